package repo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

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

// A change of 1,000 files during which another commit moves the branch
// (here the signing program makes it, after the tip was read) fails at the
// ref, keeps the other commit, and leaves the work tree and the index as
// they were.
func TestChangeOfManyFilesLosesNoCommitMadeMeanwhile(t *testing.T) {
	dir, paths := largeFixture(t, 1000)
	indexBefore := runGit(t, dir, "ls-files", "-s")
	other := runGit(t, dir, "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "made meanwhile")
	tmp := t.TempDir()
	key := filepath.Join(tmp, "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-only", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	signer := filepath.Join(tmp, "sign")
	script := "#!/bin/sh\ngit --git-dir='" + filepath.Join(dir, ".git") + "' update-ref refs/heads/main " + other + " || exit 1\nexec ssh-keygen \"$@\"\n"
	if err := os.WriteFile(signer, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "config", "gpg.format", "ssh")
	runGit(t, dir, "config", "gpg.ssh.program", signer)
	runGit(t, dir, "config", "user.signingKey", key)
	runGit(t, dir, "config", "commit.gpgSign", "true")
	ch := Change{Write: map[string][]byte{"records/c-9999/new.yaml": []byte("new\n")}, Remove: paths[:5]}
	for _, p := range paths[5:] {
		ch.Write[p] = []byte("v: 2\n")
	}
	_, err := ch.Commit(dir, "dossier: rotate\n")
	if err == nil || !strings.Contains(err.Error(), "another commit happen meanwhile") {
		t.Fatalf("error %v, want the branch moved", err)
	}
	if strings.Contains(err.Error(), "putting the files back failed") {
		t.Errorf("rollback failed: %v", err)
	}
	if got := runGit(t, dir, "rev-parse", "main"); got != other {
		t.Errorf("main is %s, want the commit made meanwhile %s", got, other)
	}
	if got := runGit(t, dir, "ls-files", "-s"); got != indexBefore {
		t.Errorf("index changed")
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("not restored:\n%s", head10(st))
	}
}
