package repo

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestCommitTreeAndSymrefs(t *testing.T) {
	dir := fixture(t)
	t.Setenv("GIT_COMMITTER_NAME", "")
	t.Setenv("GIT_COMMITTER_EMAIL", "")
	g := At(dir)
	sign, err := g.SignsCommits()
	if err != nil || sign {
		t.Fatalf("Signing() = %v, %v on a repository that does not sign", sign, err)
	}
	runGit(t, dir, "config", "commit.gpgSign", "true")
	if sign, err := g.SignsCommits(); err != nil || !sign {
		t.Fatalf("Signing() = %v, %v with commit.gpgSign set", sign, err)
	}
	runGit(t, dir, "config", "commit.gpgSign", "false")

	head := plumbing.NewHash(runGit(t, dir, "rev-parse", "HEAD"))
	tree := plumbing.NewHash(runGit(t, dir, "rev-parse", "HEAD:records"))
	sig := &object.Signature{Name: "Privacy Officer", Email: "po@example.invalid"}
	id, err := g.CommitTree(tree, []plumbing.Hash{head}, "subject\n\nDossier-Request: DSR-2026-0001\n", sig, false)
	if err != nil {
		t.Fatal(err)
	}
	got := runGit(t, dir, "cat-file", "-p", id.String())
	for _, want := range []string{"tree " + tree.String() + "\n", "parent " + head.String() + "\n",
		"author Privacy Officer <po@example.invalid>", "committer Privacy Officer <po@example.invalid>", "\n\nsubject\n\nDossier-Request: DSR-2026-0001"} {
		if !strings.Contains(got, want) {
			t.Errorf("commit lacks %q:\n%s", want, got)
		}
	}
	if runGit(t, dir, "rev-parse", "HEAD") != head.String() {
		t.Error("CommitTree moved HEAD")
	}

	runGit(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	runGit(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	sym, err := g.Symrefs()
	if err != nil {
		t.Fatal(err)
	}
	if len(sym) != 1 || !sym["refs/remotes/origin/HEAD"] {
		t.Fatalf("Symrefs() = %v, want only refs/remotes/origin/HEAD", sym)
	}
}
