package repo

import (
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Repo is an open git repository: go-git's view of its objects and refs,
// and a Git that runs the git binary on the same repository. Packages
// above repo open repositories only here.
type Repo struct {
	*git.Repository
	Git
	gitDir string
}

// Open opens the repository at dir: a work tree (or any directory in it)
// or a git directory (a bare server repository, a mirror). A linked
// worktree's objects and refs are its main repository's.
func Open(dir string) (*Repo, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("opening the git repository: %w", err)
	}
	st, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("opening the git repository: unexpected storage %T", r.Storer)
	}
	gitDir := st.Filesystem().Root()
	return &Repo{Repository: r, Git: AtGitDir(gitDir), gitDir: gitDir}, nil
}

// GitDir is the repository's git directory (for a work tree, its .git).
func (r *Repo) GitDir() string { return r.gitDir }

// Objects starts a git cat-file reader on the repository; the caller
// closes it.
func (r *Repo) Objects() (*CatFile, error) {
	st, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("reading objects: unexpected storage %T", r.Storer)
	}
	return NewCatFile(r.gitDir, st)
}
