package repo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// TestReadIndex reads git's own index and a temporary one as the hooks
// do: modes, ids, conflict stages and intent-to-add entries as git wrote
// them.
func TestReadIndex(t *testing.T) {
	dir := fixture(t)
	blob := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	// An unresolved conflict (stages 1 to 3) and a path announced with -N.
	info := "100644 " + blob + " 1\trecords/c-0003/x.yaml\n100644 " + blob + " 2\trecords/c-0003/x.yaml\n100644 " + blob + " 3\trecords/c-0003/x.yaml\n"
	cmd := exec.Command("git", "-C", dir, "update-index", "--index-info")
	cmd.Stdin = strings.NewReader(info)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git update-index: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "new.yaml"), []byte("n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "add", "-N", "new.yaml")

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := r.ReadIndex("")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]IndexEntry{}
	for _, e := range entries {
		byName[e.Name] = append(byName[e.Name], e)
	}
	if b := byName["records/c-0002/b.yaml"]; len(b) != 1 || b[0].Hash.String() != blob || b[0].Mode != filemode.Regular || b[0].Stage != 0 || b[0].IntentToAdd {
		t.Errorf("records/c-0002/b.yaml: %+v", b)
	}
	if x := byName["records/c-0003/x.yaml"]; len(x) != 3 || x[0].Stage != 1 || x[1].Stage != 2 || x[2].Stage != 3 {
		t.Errorf("the conflicted path: %+v, want stages 1, 2, 3", x)
	}
	if n := byName["new.yaml"]; len(n) != 1 || !n[0].IntentToAdd {
		t.Errorf("new.yaml: %+v, want one intent-to-add entry", n)
	}

	// A temporary index, as "git commit -a" hands the hooks.
	tmp := filepath.Join(t.TempDir(), "index")
	cmd = exec.Command("git", "-C", dir, "read-tree", "HEAD")
	cmd.Env = append(os.Environ(), "GIT_INDEX_FILE="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git read-tree: %v\n%s", err, out)
	}
	entries, err = r.ReadIndex(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("the temporary index holds %d entries, want the fixture's 4: %+v", len(entries), entries)
	}
	if _, err := r.ReadIndex(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing index file was read")
	}
}
