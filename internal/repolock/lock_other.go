//go:build !unix

package repolock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

const staleAdvice = "If that process is gone, remove %s"

// tryLock, where there is no flock, creates p exclusively and removes it
// on release. Unlike flock it does not die with the process: a run killed
// hard leaves the file, and the BusyError's message (naming the holder's
// pid) is how a person finds out it is stale and removes it.
func tryLock(p, holder string) (func(), string, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		g, err := os.Open(p)
		if err != nil {
			return nil, "", nil
		}
		defer g.Close()
		return nil, cleanHolder(g), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("creating the repository lock %s: %w", p, err)
	}
	f.WriteString(holder)
	f.Close()
	return func() { os.Remove(p) }, "", nil
}
