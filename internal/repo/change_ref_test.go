package repo

import "testing"

// On a detached HEAD the commit moves HEAD itself and no branch.
func TestChangeOnADetachedHead(t *testing.T) {
	dir := fixture(t)
	main := runGit(t, dir, "rev-parse", "main")
	runGit(t, dir, "checkout", "-q", "--detach")
	h, err := Change{Write: map[string][]byte{"records/c-0002/b.yaml": []byte("b2\n")}}.Commit(dir, "dossier: test\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != h.String() {
		t.Errorf("HEAD %s, commit %s", got, h)
	}
	if got := runGit(t, dir, "rev-parse", "main"); got != main {
		t.Errorf("main moved to %s", got)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD~1"); got != main {
		t.Errorf("parent %s, want %s", got, main)
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree or index differ from the commit:\n%s", st)
	}
}
