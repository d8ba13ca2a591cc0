//go:build unix

package repolock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

const staleAdvice = "If none is running, a hung process holds %s: stop it (\"fuser -v\" names it); do not delete the file"

// tryLock takes flock on p without waiting. It returns the release func,
// or nil and the holder's line when another process holds it. The
// descriptor is close-on-exec (as Go opens every file), so a git child
// that outlives dossier cannot keep the lock.
func tryLock(p, holder string) (func(), string, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("opening the repository lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		h := cleanHolder(f)
		_ = f.Close() // the lock was not taken: the descriptor held nothing
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, h, nil
		}
		return nil, "", fmt.Errorf("locking %s: %w", p, err)
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(holder), 0)
	}
	if err != nil {
		_ = f.Close() // releases the lock just taken; the write's error is the one reported
		return nil, "", fmt.Errorf("writing the repository lock %s: %w", p, err)
	}
	// Closing the descriptor is what releases flock, and the kernel
	// releases it on any close, failed or not: nothing is left held.
	return func() { _ = f.Close() }, "", nil
}
