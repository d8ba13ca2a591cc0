package repo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// A new repository's first commit goes through Change.Commit: a root
// commit, programs committed executable, the index matching it.
func TestChangeMakesTheRootCommit(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	t.Setenv("GIT_AUTHOR_NAME", "t")
	ch := Change{
		Write:      map[string][]byte{"hooks/pre-commit": []byte("#!/bin/sh\n"), "dossier.yaml": []byte("a: 1\n")},
		Executable: map[string]bool{"hooks/pre-commit": true},
	}
	h, err := ch.Commit(dir, "first\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "rev-list", "--parents", "HEAD"); got != h.String() {
		t.Errorf("not one root commit: %q", got)
	}
	if got := runGit(t, dir, "ls-tree", "-r", "--format=%(objectmode) %(path)", "HEAD"); got != "100644 dossier.yaml\n100755 hooks/pre-commit" {
		t.Errorf("tree:\n%s", got)
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree or index differ from the commit:\n%s", st)
	}
	if fi, err := os.Stat(filepath.Join(dir, "hooks/pre-commit")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("hook on disk: %v %v", fi.Mode(), err)
	}
	runGit(t, dir, "fsck", "--no-progress", "--strict")
}

// A root commit that fails leaves no branch, no index entries and no files.
func TestChangeRootCommitRollsBack(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	ch := Change{Write: map[string][]byte{"a": []byte("a\n"), "a/b": []byte("fails\n")}}
	if _, err := ch.Commit(dir, "first\n"); err == nil {
		t.Fatal("the change did not fail")
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("left behind:\n%s", st)
	}
}

func TestCommitTree(t *testing.T) {
	dir := fixture(t)
	head := runGit(t, dir, "rev-parse", "HEAD")
	tree := runGit(t, dir, "rev-parse", "HEAD^{tree}")
	sig := &object.Signature{Name: "Priv Officer", Email: "po@example.invalid", When: time.Now()}
	t.Setenv("GIT_COMMITTER_NAME", "")
	h, err := At(dir).CommitTree(plumbing.NewHash(tree), []plumbing.Hash{plumbing.NewHash(head)}, "msg\n", sig, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "log", "-1", "--format=%P %an <%ae> %cn", h.String()); got != head+" Priv Officer <po@example.invalid> Priv Officer" {
		t.Errorf("commit: %s", got)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved")
	}
	// Signing with no key configured fails with git's words in the error.
	_, err = At(dir).CommitTree(plumbing.NewHash(tree), nil, "msg\n", sig, true)
	var ge *Error
	if !errors.As(err, &ge) || ge.Stderr == "" {
		t.Errorf("signing without a key: %v", err)
	}
}
