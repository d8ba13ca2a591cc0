package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// CommitFiles commits paths (slash-separated, relative to root) as the work
// tree holds them now: a file present is committed with its content and
// executable bit, a file absent is committed as removed. It is
// Change.Commit for callers that wrote the files themselves (a restore
// re-applying erasures), so its cost follows the paths given, never the
// size of the work tree. Anything at a path but a regular file is refused:
// git would commit a symlink's target name, not a record.
func CommitFiles(root string, paths []string, msg string) (plumbing.Hash, error) {
	ch := Change{Write: map[string][]byte{}, Executable: map[string]bool{}}
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		fi, err := os.Lstat(full)
		switch {
		case errors.Is(err, os.ErrNotExist):
			ch.Remove = append(ch.Remove, p)
			continue
		case err != nil:
			return plumbing.ZeroHash, fmt.Errorf("committing %s: %w", p, err)
		case !fi.Mode().IsRegular():
			return plumbing.ZeroHash, fmt.Errorf("committing %s: not a regular file", p)
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("committing %s: %w", p, err)
		}
		ch.Write[p] = data
		ch.Executable[p] = fi.Mode()&0o111 != 0
	}
	return ch.Commit(root, msg)
}

// CommitPaths is CommitFiles for a caller holding the go-git repository of
// the work tree. It remains only for backup's restore until that calls
// CommitFiles; it is linear like it.
func CommitPaths(r *git.Repository, paths []string, msg string) (plumbing.Hash, error) {
	wt, err := r.Worktree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing: %w", err)
	}
	return CommitFiles(wt.Filesystem.Root(), paths, msg)
}
