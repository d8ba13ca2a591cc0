//go:build unix

package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// flockFile takes flock on the file at p for op, without waiting, and
// returns what releases it. The kernel releases it too when the process
// ends in any way, SIGKILL included, so no run can leave a stale lock.
// The descriptor is close-on-exec (as Go opens every file), so a git
// child left running cannot keep it. A reader on read-only media, where
// the lock file cannot be made, reads unlocked: no run can write there.
func flockFile(p, mirror string, op Op) (func(), error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	writable := err == nil
	if err != nil && !op.exclusive() && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
		f, err = os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("opening the lock %s: %w", p, err)
	}
	how := syscall.LOCK_SH
	if op.exclusive() {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		data, _ := io.ReadAll(io.LimitReader(f, 512))
		_ = f.Close() // the lock was not taken: the descriptor held nothing
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{Mirror: mirror, File: p, Holder: cleanHolder(data)}
		}
		return nil, fmt.Errorf("locking %s: %w", p, err)
	}
	// Readers sharing the lock may overwrite each other's line; it only
	// names a holder for the message of a refused run.
	if writable {
		line := []byte(holderLine(op))
		err := f.Truncate(0)
		if err == nil {
			_, err = f.WriteAt(line, 0)
		}
		if err != nil {
			_ = f.Close() // releases the lock just taken; the write's error is the one reported
			return nil, fmt.Errorf("writing the lock %s: %w", p, err)
		}
	}
	// Closing the descriptor is what releases flock, and the kernel
	// releases it on any close, failed or not: nothing is left held.
	return func() { _ = f.Close() }, nil
}
