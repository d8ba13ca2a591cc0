// Package repo is the records repository as a git repository: finding its
// root, creating it, committing, and every other use of git. It is the
// one door to git: no package above it opens go-git's repository or runs
// the git binary (door_test.go holds them to it).
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/settings"
)

// ErrNotFound means no records repository encloses the directory; the
// error Find returns is a *NotFoundError naming it.
var ErrNotFound = errors.New("not in a records repository")

// NotFoundError names the directory no records repository encloses: most
// often the person is merely in the wrong directory.
type NotFoundError struct{ Dir string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("not in a records repository (no %s found in %s or above)", settings.File, e.Dir)
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Find returns the root of the records repository that contains dir.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	start := dir
	for {
		if _, err := os.Stat(filepath.Join(dir, settings.File)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", &NotFoundError{Dir: start}
		}
		dir = parent
	}
}

// Init creates a git repository in dir with main as its branch and the
// repository's own hooks/ as core.hooksPath.
func Init(dir string) (*git.Repository, error) {
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return nil, fmt.Errorf("git init: %w", err)
	}
	cfg, err := r.Config()
	if err != nil {
		return nil, err
	}
	cfg.Raw.Section("core").SetOption("hooksPath", "hooks")
	return r, r.SetConfig(cfg)
}

// Signature is the committer from git's configuration (repository, then
// global), as git itself would use, with dossier as the last resort.
func Signature(r *git.Repository) *object.Signature {
	sig := &object.Signature{Name: "dossier", Email: "dossier@localhost", When: time.Now()}
	for _, scope := range []config.Scope{config.GlobalScope, config.LocalScope} {
		if cfg, err := r.ConfigScoped(scope); err == nil {
			if cfg.User.Name != "" {
				sig.Name = cfg.User.Name
			}
			if cfg.User.Email != "" {
				sig.Email = cfg.User.Email
			}
		}
	}
	if v := os.Getenv("GIT_AUTHOR_NAME"); v != "" {
		sig.Name = v
	}
	if v := os.Getenv("GIT_AUTHOR_EMAIL"); v != "" {
		sig.Email = v
	}
	return sig
}
