package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vts/dossier/internal/parallel"
)

// writeWorkers is how many files are created or renamed at once: the
// work waits on the file system more than on the CPU.
const writeWorkers = 16

// writeFiles writes the files of a change atomically, each as a temporary
// file renamed over its path, in three steps over all of them rather than
// three steps per file: every temporary file is written, then their
// content is synced to disk, then each is renamed into place. A rename
// never exposes content that a crash could lose, as safefile.Write
// guarantees for one file, but a key rotation pays one file-system sync
// (syncFiles) instead of 50,000 fsyncs, which were a third of the cost of
// writing its files.
//
// A failure removes every temporary file not yet renamed (they hold the
// new content); files already renamed are the caller's to put back, as
// Commit's rollback does.
func (ch Change) writeFiles(root string, paths []string) (err error) {
	n := min(writeWorkers, len(paths))
	idx := make([]int, len(paths))
	for i := range idx {
		idx[i] = i
	}
	temps := make([]string, len(paths)) // "" once renamed, or never made
	defer func() {
		if err == nil {
			return
		}
		for _, t := range temps {
			if t == "" {
				continue
			}
			if rerr := os.Remove(t); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, fmt.Errorf("removing the temporary file %s: %w", t, rerr))
			}
		}
	}()
	if err := firstOf(parallel.Each(n, idx, func(i int) error {
		full := filepath.Join(root, filepath.FromSlash(paths[i]))
		perm := os.FileMode(0o644)
		if ch.Executable[paths[i]] {
			perm = 0o755
		}
		t, err := writeTemp(full, ch.Write[paths[i]], perm)
		temps[i] = t
		return err
	})); err != nil {
		return err
	}
	if err := syncFiles(root, temps); err != nil {
		return fmt.Errorf("syncing the written files: %w", err)
	}
	return firstOf(parallel.Each(n, idx, func(i int) error {
		if err := os.Rename(temps[i], filepath.Join(root, filepath.FromSlash(paths[i]))); err != nil {
			return fmt.Errorf("writing %s: %w", paths[i], err)
		}
		temps[i] = ""
		return nil
	}))
}

// writeTemp writes data to a new temporary file beside path and returns
// its name, which is set even on failure when the file was made.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".dossier-tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(perm)
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return f.Name(), fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Name(), nil
}

// fsyncEach syncs each file named, several at a time: the waits are on
// the disk, which batches them.
func fsyncEach(names []string) error {
	return errors.Join(parallel.Each(writeWorkers, names, func(name string) error {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		return errors.Join(f.Sync(), f.Close())
	})...)
}

// firstOf is the first of errs, saying how many more there were: a full
// disk fails every write alike, and the first says why.
func firstOf(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more files could not be written)", errs[0], len(errs)-1)
}
