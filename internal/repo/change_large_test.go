package repo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// largeFixture is a repository with n committed records in n/10 customer
// folders, more than packMin so a change of them all goes through a pack.
func largeFixture(t *testing.T, n int) (string, []string) {
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	var paths []string
	for i := range n {
		p := fmt.Sprintf("records/c-%04d/r-%04d.yaml", i/10, i)
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(fmt.Sprintf("v: 1\nn: %d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "fixture")
	return dir, paths
}

// A change of every record (a key rotation) is committed through one pack:
// the repository stays sound, and the work tree and the index match the
// commit with nothing left for git status to re-read.
func TestChangeCommitsManyFilesInOnePack(t *testing.T) {
	dir, paths := largeFixture(t, 1000)
	packs := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/*.pack"))
		return len(m)
	}
	before, looseBefore := packs(), runGit(t, dir, "count-objects")
	ch := Change{Write: map[string][]byte{}, Remove: paths[:5]}
	for i, p := range paths[5:] {
		ch.Write[p] = []byte(fmt.Sprintf("v: 2\nn: %d\n", i))
	}
	ch.Write["records/c-9999/new.yaml"] = []byte("new\n")
	h, err := ch.Commit(dir, "dossier: rotate\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != h.String() {
		t.Errorf("HEAD %s, commit %s", got, h)
	}
	if packs() != before+1 {
		t.Errorf("%d packs after the commit, want %d", packs(), before+1)
	}
	if loose := runGit(t, dir, "count-objects"); loose != looseBefore {
		t.Errorf("loose objects written: %s, before %s", loose, looseBefore)
	}
	runGit(t, dir, "fsck", "--no-progress", "--strict")
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree or index differ from the commit:\n%s", head10(st))
	}
	if n := strings.Count(runGit(t, dir, "diff", "--name-only", "HEAD~1", "HEAD"), "\n") + 1; n != 1001 {
		t.Errorf("the commit changed %d paths, want 1001", n)
	}
	if got := runGit(t, dir, "show", "HEAD:records/c-0050/r-0505.yaml"); got != "v: 2\nn: 500" {
		t.Errorf("committed content %q", got)
	}
	if got := runGit(t, dir, "reflog", "-1", "--format=%gs", "main"); got != "commit: dossier: rotate" {
		t.Errorf("reflog says %q", got)
	}
}

// A change of 1,000 files that fails at the last step, moving the branch
// (git holds the ref's lock: another commit under way), leaves the work
// tree, the index and the refs exactly as they were.
func TestChangeOfManyFilesRollsBackAtTheRef(t *testing.T) {
	dir, paths := largeFixture(t, 1000)
	headBefore := runGit(t, dir, "rev-parse", "HEAD")
	refsBefore := runGit(t, dir, "for-each-ref")
	indexBefore := runGit(t, dir, "ls-files", "-s")
	ch := Change{Write: map[string][]byte{}, Remove: paths[:5], Executable: map[string]bool{}}
	for i, p := range paths[5:] {
		ch.Write[p] = []byte(fmt.Sprintf("v: 2\nn: %d\n", i))
	}
	ch.Write["records/c-9999/new.yaml"] = []byte("new\n")
	ch.Write["records/c-0001/r-0011.yaml"] = []byte("now a program\n")
	ch.Executable["records/c-0001/r-0011.yaml"] = true
	lock := filepath.Join(dir, ".git/refs/heads/main.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ch.Commit(dir, "dossier: rotate\n")
	if err == nil {
		t.Fatal("the change did not fail")
	}
	if !strings.Contains(err.Error(), "moving main") || strings.Contains(err.Error(), "putting the files back failed") {
		t.Errorf("error: %v", err)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != headBefore {
		t.Errorf("HEAD moved to %s", got)
	}
	if got := runGit(t, dir, "for-each-ref"); got != refsBefore {
		t.Errorf("refs changed:\n%s", got)
	}
	if got := runGit(t, dir, "ls-files", "-s"); got != indexBefore {
		t.Errorf("index changed")
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("not restored:\n%s", head10(st))
	}
	for _, p := range []string{paths[0], paths[500]} {
		want := runGit(t, dir, "show", "HEAD:"+p)
		if data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || strings.TrimSpace(string(data)) != want {
			t.Errorf("%s not restored: %q %v", p, data, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "records/c-0001/r-0011.yaml")); err != nil || fi.Mode()&0o111 != 0 {
		t.Errorf("mode not restored: %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "records/c-9999")); !os.IsNotExist(err) {
		t.Errorf("the new folder is left behind: %v", err)
	}
}

func head10(s string) string {
	lines := strings.SplitN(s, "\n", 11)
	return strings.Join(lines[:min(10, len(lines))], "\n")
}

// A large change in a repository that signs its commits: git signs the
// commit, and finds the tree it names in the pack written just before.
func TestChangeOfManyFilesSigned(t *testing.T) {
	dir, paths := largeFixture(t, packMin+10)
	key := filepath.Join(t.TempDir(), "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-only", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	runGit(t, dir, "config", "gpg.format", "ssh")
	runGit(t, dir, "config", "user.signingKey", key)
	runGit(t, dir, "config", "commit.gpgSign", "true")
	ch := Change{Write: map[string][]byte{}}
	for _, p := range paths {
		ch.Write[p] = []byte("v: 2\n")
	}
	h, err := ch.Commit(dir, "dossier: rotate\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "cat-file", "-p", h.String()); !strings.Contains(got, "gpgsig -----BEGIN SSH SIGNATURE-----") {
		t.Errorf("the commit is not signed:\n%s", got)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != h.String() {
		t.Errorf("HEAD %s, commit %s", got, h)
	}
	runGit(t, dir, "fsck", "--no-progress", "--strict")
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree or index differ from the commit:\n%s", head10(st))
	}
}
