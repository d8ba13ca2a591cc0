package identity

import (
	"os"
	"syscall"
)

// widenPipe asks Linux for a 1 MB pipe from git (the default is 64 KB):
// reading a pack's 100 MB of blobs then takes a sixteenth of the wake-ups
// on both sides. A refusal (a lower system limit) leaves the pipe as it
// was, which works the same, more slowly.
func widenPipe(f any) {
	p, ok := f.(*os.File)
	if !ok {
		return
	}
	rc, err := p.SyscallConn()
	if err != nil {
		return
	}
	const setPipeSize = 1031 // F_SETPIPE_SZ
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, setPipeSize, 1<<20)
	})
}
