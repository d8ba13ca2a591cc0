//go:build unix

package editor

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

// editorProc is a started editor in its own process group.
type editorProc struct {
	cmd  *exec.Cmd
	pgid int
	// foreground is set when the editor's group was given the terminal;
	// it is taken back when the editor ends.
	foreground bool
	done       chan struct{}
}

// startEditor starts cmd as the leader of a new process group, so that a
// signal to dossier alone can end the editor and everything it started
// (a shell wrapper, a GUI editor's helper) rather than orphan them with
// the plaintext open. A terminal editor needs the terminal: when dossier
// is the terminal's foreground job, the editor's group becomes the
// foreground group for as long as it runs, as a shell does for its jobs.
func startEditor(cmd *exec.Cmd) (*editorProc, error) {
	p := &editorProc{cmd: cmd, done: make(chan struct{})}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if f, ok := cmd.Stdin.(*os.File); ok && ownsTerminal(f) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
		p.foreground = true
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.pgid = cmd.Process.Pid
	return p, nil
}

// ownsTerminal reports whether f is a terminal whose foreground process
// group is dossier's own (not when dossier runs in the background).
func ownsTerminal(f *os.File) bool {
	var pgrp int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp))); errno != 0 {
		return false
	}
	return int(pgrp) == syscall.Getpgrp()
}

// wait waits for the editor and gives the terminal back to dossier.
func (p *editorProc) wait() error {
	err := p.cmd.Wait()
	close(p.done)
	p.takeTerminalBack()
	return err
}

func (p *editorProc) takeTerminalBack() {
	if !p.foreground {
		return
	}
	f, ok := p.cmd.Stdin.(*os.File)
	if !ok {
		return
	}
	// tcsetpgrp from a background group raises SIGTTOU unless ignored.
	if !signal.Ignored(syscall.SIGTTOU) {
		signal.Ignore(syscall.SIGTTOU)
		defer signal.Reset(syscall.SIGTTOU)
	}
	pgrp := int32(syscall.Getpgrp())
	// Best effort: a terminal that cannot be taken back (closed, or no
	// longer this session's) has nobody in front of it to restore it for,
	// and no data passes through this call, so the errno is dropped.
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCSPGRP), uintptr(unsafe.Pointer(&pgrp)))
}

// stop ends the editor's process group: SIGTERM, so that an editor can
// exit (and remove its swap file) before its directory goes, then
// SIGKILL to whatever is left after a grace period.
//
// A failed kill means the group has already exited (ESRCH): nothing is
// left running, so the errors are discarded.
func (p *editorProc) stop() {
	_ = syscall.Kill(-p.pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
	}
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	p.takeTerminalBack()
}

// ownedByMe reports whether the file info belongs to the user running dossier.
func ownedByMe(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// alive reports whether a process with pid exists (EPERM: it does, as
// another user's).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
