package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each operation git leaves unfinished is found, by its file in the git
// directory, and named.
func TestInProgress(t *testing.T) {
	dir := fixture(t)
	gitDir := filepath.Join(dir, ".git")
	if op, err := InProgress(gitDir); err != nil || op != nil {
		t.Fatalf("clean repository: %v %v", op, err)
	}
	for _, want := range operations {
		p := filepath.Join(gitDir, want.File)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		op, err := InProgress(gitDir)
		if err != nil || op == nil || *op != want {
			t.Errorf("%s: got %v %v", want.File, op, err)
		}
		why, err := Unsettled(dir)
		if err != nil || !strings.Contains(why, want.What+" is in progress") {
			t.Errorf("Unsettled with %s: %q %v", want.File, why, err)
		}
		os.Remove(p)
	}
}

// A branch behind the upstream it last fetched is unsettled; one with no
// upstream, an upstream never fetched, or a detached HEAD is not.
func TestUnsettledUpstream(t *testing.T) {
	up := fixture(t)
	dir := t.TempDir()
	runGit(t, dir, "clone", "-q", up, ".")
	if why, err := Unsettled(dir); err != nil || why != "" {
		t.Fatalf("fresh clone: %q %v", why, err)
	}
	os.WriteFile(filepath.Join(up, "ledger/x"), []byte("x"), 0o644)
	runGit(t, up, "add", "-A")
	runGit(t, up, "commit", "-q", "-m", "ahead")
	runGit(t, dir, "fetch", "-q")
	if why, err := Unsettled(dir); err != nil || why != "the branch is 1 commit(s) behind its upstream; pull (and resolve any conflict) first" {
		t.Errorf("behind: %q %v", why, err)
	}
	runGit(t, dir, "config", "branch.main.merge", "refs/heads/never-fetched")
	if why, err := Unsettled(dir); err != nil || why != "" {
		t.Errorf("upstream never fetched: %q %v", why, err)
	}
	runGit(t, dir, "checkout", "-q", "--detach")
	if why, err := Unsettled(dir); err != nil || why != "" {
		t.Errorf("detached: %q %v", why, err)
	}
	if why, err := Unsettled(up); err != nil || why != "" {
		t.Errorf("no upstream: %q %v", why, err)
	}
}
