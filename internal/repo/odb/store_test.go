package odb

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// repoFixture is a repository with nested files, committed by git; git
// answers every question the tests ask of odb.
func repoFixture(t *testing.T) (dir string, git func(stdin []byte, args ...string) string) {
	t.Helper()
	dir = t.TempDir()
	git = func(stdin []byte, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "core.hooksPath=/dev/null"}, args...)...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(nil, "init", "-q", "-b", "main")
	for name, body := range map[string]string{"a.txt": "a\n", "d/e/f.txt": "f\n", "d/e/g.txt": "g\n", "d/h.txt": "h\n", "d.txt": "dot\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(nil, "add", "-A")
	git(nil, "commit", "-q", "-m", "fixture")
	return dir, git
}

func TestFindAndTreeOf(t *testing.T) {
	dir, git := repoFixture(t)
	st := OpenStore(filepath.Join(dir, ".git"))
	defer func() { _ = st.Close() }()
	head := plumbing.NewHash(git(nil, "rev-parse", "HEAD"))
	tree, err := TreeOf(st, head)
	if err != nil || tree.String() != git(nil, "rev-parse", "HEAD^{tree}") {
		t.Fatalf("TreeOf = %s, %v", tree, err)
	}
	if _, err := TreeOf(st, tree); err == nil {
		t.Error("TreeOf of a tree: no error")
	}
	for _, c := range []struct {
		path  string
		found bool
		tree  bool
	}{
		{"a.txt", true, false},
		{"d/e/f.txt", true, false},
		{"d/e", true, true},
		{"d.txt", true, false},
		{"d/e/missing.txt", false, false},
		{"missing/f.txt", false, false},
		{"a.txt/f.txt", false, false}, // through a file
	} {
		e, ok, err := Find(st, tree, c.path)
		if err != nil || ok != c.found {
			t.Errorf("Find(%s) = %v, %v; want found %v", c.path, ok, err, c.found)
			continue
		}
		if !ok {
			continue
		}
		if want := git(nil, "rev-parse", "HEAD:"+c.path); e.Hash.String() != want || e.IsTree() != c.tree {
			t.Errorf("Find(%s) = %s (tree %v), git says %s", c.path, e.Hash, e.IsTree(), want)
		}
	}
	ents, err := Entries(st, tree)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, string(e.Name))
	}
	if got, want := strings.Join(names, " "), strings.Join(strings.Fields(git(nil, "ls-tree", "--name-only", "HEAD")), " "); got != want {
		t.Errorf("Entries = %s, git ls-tree = %s", got, want)
	}
	// An object that is not there is an error, never "not found".
	if _, _, err := Find(st, plumbing.NewHash("1111111111111111111111111111111111111111"), "a.txt"); err == nil {
		t.Error("Find in a missing tree: no error")
	}
}

func TestWriteAndReplaceBlob(t *testing.T) {
	dir, git := repoFixture(t)
	st := OpenStore(filepath.Join(dir, ".git"))
	defer func() { _ = st.Close() }()
	tree := plumbing.NewHash(git(nil, "rev-parse", "HEAD^{tree}"))
	blob, err := Write(st, plumbing.BlobObject, []byte("f2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := git([]byte("f2\n"), "hash-object", "--stdin"); blob.String() != want {
		t.Fatalf("Write = %s, git hash-object = %s", blob, want)
	}
	got, err := ReplaceBlob(st, tree, "d/e/f.txt", blob)
	if err != nil {
		t.Fatal(err)
	}
	// git's own tree for the same change.
	if err := os.WriteFile(filepath.Join(dir, "d", "e", "f.txt"), []byte("f2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(nil, "add", "d/e/f.txt")
	if want := git(nil, "write-tree"); got.String() != want {
		t.Fatalf("ReplaceBlob = %s, git write-tree = %s", got, want)
	}
	git(nil, "fsck", "--no-dangling", "--strict", "--no-progress")
	for _, bad := range []string{"d/e/missing.txt", "d/e", "a.txt/x"} {
		if _, err := ReplaceBlob(st, tree, bad, blob); err == nil {
			t.Errorf("ReplaceBlob(%s): no error", bad)
		}
	}
}

func TestPackWriterRoundTrip(t *testing.T) {
	dir, git := repoFixture(t)
	gitDir := filepath.Join(dir, ".git")
	w, err := NewPackWriter(gitDir)
	if err != nil {
		t.Fatal(err)
	}
	blob := []byte("in a pack\n")
	t1 := tree("a", "b", "c")
	t2 := tree("a", "b", "c", "d")
	for _, o := range []struct {
		t    plumbing.ObjectType
		raw  []byte
		path string
	}{{plumbing.BlobObject, blob, ""}, {plumbing.TreeObject, t1, "/x"}, {plumbing.TreeObject, t2, "/x"}, {plumbing.BlobObject, blob, ""}} {
		if err := w.Add(o.t, HashObject(o.t, o.raw), o.raw, o.path); err != nil {
			t.Fatal(w.Abort(err))
		}
	}
	if ok, err := w.Close(); err != nil || !ok {
		t.Fatalf("Close = %v, %v", ok, err)
	}
	packs, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "pack-*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs: %v", packs)
	}
	out := git(nil, "verify-pack", "-v", packs[0])
	if !strings.Contains(out, HashObject(plumbing.TreeObject, t2).String()+" tree") {
		t.Errorf("verify-pack does not list the second tree:\n%s", out)
	}
	if got := git(nil, "cat-file", "blob", HashObject(plumbing.BlobObject, blob).String()); got+"\n" != string(blob) {
		t.Errorf("blob read back as %q", got)
	}
	if got, want := git(nil, "cat-file", "-s", HashObject(plumbing.TreeObject, t2).String()), strconv.Itoa(len(t2)); got != want {
		t.Errorf("second tree (a delta) has size %s, want %s", got, want)
	}
}

func TestRemoveStale(t *testing.T) {
	dir, _ := repoFixture(t)
	gitDir := filepath.Join(dir, ".git")
	w, err := NewPackWriter(gitDir)
	if err != nil {
		t.Fatal(err)
	}
	// A writer killed mid-write: its temporary pack stays; git's own
	// temporary files are not dossier's to remove.
	theirs := filepath.Join(gitDir, "objects", "pack", "tmp_pack_git")
	if err := os.WriteFile(theirs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveStale(gitDir); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "tmp_*"))
	if len(left) != 1 || left[0] != theirs {
		t.Fatalf("left after RemoveStale: %v", left)
	}
	if err := w.Abort(nil); err != nil {
		t.Fatal(err)
	}
}

func TestFindPaths(t *testing.T) {
	dir, git := repoFixture(t)
	first := git(nil, "rev-parse", "HEAD")
	git(nil, "rm", "-q", "d/e/f.txt")
	git(nil, "commit", "-q", "-m", "f gone")
	git(nil, "tag", "-a", "-m", "v1", "v1")
	st := OpenStore(filepath.Join(dir, ".git"))
	defer func() { _ = st.Close() }()
	tag := plumbing.NewHash(git(nil, "rev-parse", "v1"))
	commits, hits, err := FindPaths(st, []plumbing.Hash{tag}, []string{"d/e/f.txt", "d/h.txt", "d/e/never.txt", "a.txt/x"})
	if err != nil {
		t.Fatal(err)
	}
	if commits != 2 {
		t.Errorf("walked %d commits, want 2 (the tag is peeled, the parent followed)", commits)
	}
	got := map[string]string{}
	for _, h := range hits {
		got[h.Path] = h.Commit.String()
	}
	if len(got) != 2 || got["d/e/f.txt"] != first || got["d/h.txt"] == "" {
		t.Errorf("hits %v: want d/e/f.txt in %s and d/h.txt", got, first)
	}
}
