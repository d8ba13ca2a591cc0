package purge

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// TestRewriteDeterministic checks the property the git server relies
// on: Rewrite, which writes nothing, gives the same ids whatever order the
// tips come in, leaves history before the erased blob alone, and gives
// for the branch the same tree git itself gets when it removes the file.
func TestRewriteDeterministic(t *testing.T) {
	dir := t.TempDir()
	env := append(os.Environ(), "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("keep.txt", "one\n")
	git("add", "-A")
	git("commit", "-q", "-m", "keep")
	first := plumbing.NewHash(git("rev-parse", "HEAD"))
	write("secret.txt", "erase me\n")
	git("add", "-A")
	git("commit", "-q", "-m", "secret")
	secret := plumbing.NewHash(git("rev-parse", "HEAD:secret.txt"))
	write("keep.txt", "two\n")
	git("commit", "-q", "-am", "keep two")
	git("tag", "-a", "-m", "v1", "v1")
	tip := plumbing.NewHash(git("rev-parse", "HEAD"))
	tag := plumbing.NewHash(git("rev-parse", "v1"))

	st := filesystem.NewStorageWithOptions(osfs.New(filepath.Join(dir, ".git")), cache.NewObjectLRUDefault(), filesystem.Options{})
	defer st.Close()
	erased := map[plumbing.Hash]bool{secret: true}
	a, err := Rewrite(st, erased, []plumbing.Hash{tag, tip, first})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Rewrite(st, erased, []plumbing.Hash{first, tip, tag})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []plumbing.Hash{tag, tip, first} {
		if a[h] != b[h] {
			t.Errorf("%s: %s in one order, %s in the other", h, a[h], b[h])
		}
	}
	if a[first] != first {
		t.Errorf("the commit before the erased blob changed: %s", a[first])
	}
	if a[tip] == tip || a[tag] == tag || a[tag].IsZero() {
		t.Errorf("the tip or tag was not rewritten: %s, %s", a[tip], a[tag])
	}
	// Git's own removal of the file gives the same tree.
	git("rm", "-q", "secret.txt")
	git("commit", "-q", "-m", "rm")
	want := git("rev-parse", "HEAD^{tree}")
	rw := newRewriter(st, erased, nil)
	oldTree, err := rw.commitTree(tip)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rw.rootTree(oldTree)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want {
		t.Errorf("rewritten tip tree %s, git's %s", got, want)
	}
	if _, err := st.EncodedObject(plumbing.AnyObject, a[tip]); err == nil {
		t.Errorf("Rewrite wrote the rewritten commit %s into the repository", a[tip])
	}
}
