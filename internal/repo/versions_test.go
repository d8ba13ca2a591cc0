package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Versions made on a side branch are found even when the branch undid its
// change before it was merged (the merge then equals its first parent, and
// a simplified history walk would never visit the branch), and a version
// that only a merge commit holds (a conflict resolved by hand) is found
// too. A tag of a tree is walked past without error.
func TestVersionsThroughMerges(t *testing.T) {
	dir := fixture(t)
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "records/c-0002/b.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	original := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	runGit(t, dir, "checkout", "-q", "-b", "side")
	write("undone\n")
	runGit(t, dir, "commit", "-q", "-am", "change")
	undone := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	write("b\n")
	runGit(t, dir, "commit", "-q", "-am", "undo")
	runGit(t, dir, "checkout", "-q", "main")
	runGit(t, dir, "commit", "-q", "--allow-empty", "-m", "main moves on")
	runGit(t, dir, "merge", "-q", "--no-ff", "-m", "merge side", "side")
	runGit(t, dir, "branch", "-D", "side") // reachable through the merge only

	runGit(t, dir, "checkout", "-q", "-b", "other", "HEAD~1")
	write("other\n")
	runGit(t, dir, "commit", "-q", "-am", "other")
	other := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	runGit(t, dir, "checkout", "-q", "main")
	write("main\n")
	runGit(t, dir, "commit", "-q", "-am", "main")
	mainV := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	// A merge that keeps neither side's text: its own version.
	runGit(t, dir, "merge", "-q", "--no-commit", "-s", "ours", "other")
	write("resolved\n")
	runGit(t, dir, "commit", "-q", "-am", "merge other by hand")
	resolved := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	runGit(t, dir, "branch", "-D", "other")
	runGit(t, dir, "tag", "-a", "-m", "a tree", "tree-tag", "HEAD^{tree}")

	got, err := Versions(dir, []string{"records/c-0002"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{original, undone, other, mainV, resolved}
	if len(got) != 1 || len(got["records/c-0002/b.yaml"]) != len(want) {
		t.Fatalf("versions %v, want the 5 of b.yaml", got)
	}
	have := strings.Join(got["records/c-0002/b.yaml"], ",")
	for _, w := range want {
		if !strings.Contains(have, w) {
			t.Errorf("version %s missing from %s", w, have)
		}
	}
}

// A folder name is matched whole (records/c-0001 is not records/c-00010),
// and a name with glob characters is a name, not a pattern.
func TestVersionsMatchesWholeLiteralNames(t *testing.T) {
	dir := fixture(t)
	for _, name := range []string{"records/c-00010/z.yaml", "records/c-*/y.yaml"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "look-alikes")
	got, err := Versions(dir, []string{"records/c-0001", "records/c-*"})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p := range got {
		paths = append(paths, p)
	}
	if len(got) != 3 || got["records/c-00010/z.yaml"] != nil || got["records/c-*/y.yaml"] == nil {
		t.Errorf("paths %v, want records/c-0001's two files and records/c-*/y.yaml", paths)
	}
	if _, err := Versions(dir, []string{"records/c-0001\nx"}); err == nil {
		t.Error("a path with a newline was accepted")
	}
}

// Many paths at once (a retention run) find what each path finds alone.
func TestVersionsOfManyPaths(t *testing.T) {
	dir := fixture(t)
	var paths []string
	for i := range manyPaths + 6 {
		p := filepath.Join(dir, "records", "c-0100", fmt.Sprintf("f%03d.yaml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("v1 %d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, fmt.Sprintf("records/c-0100/f%03d.yaml", i))
	}
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "many")
	os.WriteFile(filepath.Join(dir, "records/c-0100/f001.yaml"), []byte("v2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "records/c-0001/a.yaml"), []byte("v2\n"), 0o644)
	runGit(t, dir, "commit", "-q", "-am", "second versions")
	paths = append(paths, "records/c-0001", "ledger")
	all, err := Versions(dir, paths)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, p := range paths {
		one, err := Versions(dir, []string{p})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range one {
			want[k] = v
		}
	}
	if fmt.Sprint(all) != fmt.Sprint(want) || len(all["records/c-0100/f001.yaml"]) != 2 || len(all["records/c-0001/a.yaml"]) != 2 || all["records/c-0002/b.yaml"] != nil {
		t.Errorf("many paths: %v\none at a time: %v", all, want)
	}
}
