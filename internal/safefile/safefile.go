// Package safefile writes files atomically: a temporary file in the same
// directory, synced, then renamed over the target. A reader (or a crash)
// sees the old content or the new, never half of either.
package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data, creating missing parent directories.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".dossier-tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	// A temporary file left behind holds the new content, which may be
	// decrypted data: failing to remove it is part of the error.
	defer func() {
		if ok {
			return
		}
		_ = tmp.Close() // removed next; a second close after tmp.Close below fails harmlessly
		if rerr := os.Remove(name); rerr != nil {
			err = errors.Join(err, fmt.Errorf("removing the temporary file %s: %w", name, rerr))
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	ok = true
	return nil
}
