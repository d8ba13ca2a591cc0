package repo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "core.hooksPath=/dev/null"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// fixture is a repository with a few committed files.
func fixture(t *testing.T) string {
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	for name, body := range map[string]string{"records/c-0001/a.yaml": "a\n", "records/c-0001/users/u.yaml": "u\n", "records/c-0002/b.yaml": "b\n", "ledger/.keep": ""} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "fixture")
	return dir
}

func TestChangeCommits(t *testing.T) {
	dir := fixture(t)
	t.Setenv("GIT_AUTHOR_NAME", "t")
	ch := Change{
		Write:  map[string][]byte{"records/c-0001/a.yaml": []byte("a2\n"), "ledger/DSR-2026-0001.yaml": []byte("id: x\n")},
		Remove: []string{"records/c-0001/users/u.yaml"},
	}
	h, err := ch.Commit(dir, "dossier: test\n\nDossier-Action: erasure\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != h.String() {
		t.Errorf("HEAD %s, commit %s", got, h)
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree or index differ from the commit:\n%s", st)
	}
	if got := runGit(t, dir, "show", "--name-status", "--format=", "HEAD"); got != "A\tledger/DSR-2026-0001.yaml\nM\trecords/c-0001/a.yaml\nD\trecords/c-0001/users/u.yaml" {
		t.Errorf("commit holds:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "records/c-0001/users")); !os.IsNotExist(err) {
		t.Errorf("the emptied folder is left behind: %v", err)
	}
	runGit(t, dir, "fsck", "--no-progress", "--strict")
	if got := runGit(t, dir, "log", "-1", "--format=%(trailers:key=Dossier-Action,valueonly)"); got != "erasure" {
		t.Errorf("trailer %q", got)
	}
}

// A change that fails after it wrote and removed files leaves the work
// tree, the index and the branch exactly as they were.
func TestChangeRollsBack(t *testing.T) {
	dir := fixture(t)
	head := runGit(t, dir, "rev-parse", "HEAD")
	ch := Change{
		Write: map[string][]byte{
			"ledger/DSR-2026-0001.yaml": []byte("new\n"),
			"records/c-0001/a.yaml":     []byte("changed\n"),
			// records/c-0002/b.yaml is a file, so this write fails last.
			"records/c-0002/b.yaml/x": []byte("fails\n"),
		},
		Remove: []string{"records/c-0001/users/u.yaml"},
	}
	if _, err := ch.Commit(dir, "dossier: test\n"); err == nil {
		t.Fatal("the change did not fail")
	}
	if got := runGit(t, dir, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved to %s", got)
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("not restored:\n%s", st)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "records/c-0001/users/u.yaml")); err != nil || string(data) != "u\n" {
		t.Errorf("removed file not restored: %q %v", data, err)
	}
}

func TestDirty(t *testing.T) {
	dir := fixture(t)
	if d, err := DirtyIn(dir, nil, "records", "ledger"); err != nil || len(d) != 0 {
		t.Fatalf("clean repo: %v %v", d, err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	if d, _ := DirtyIn(dir, nil, "records", "ledger"); len(d) != 0 {
		t.Errorf("an untracked file outside records/ and ledger/ counts: %v", d)
	}
	os.WriteFile(filepath.Join(dir, "records/c-0001/new.yaml"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "records/c-0002/b.yaml"), []byte("changed"), 0o644)
	d, err := DirtyIn(dir, nil, "records", "ledger")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d, ",") != "M records/c-0002/b.yaml,?? records/c-0001/new.yaml" {
		t.Errorf("dirty = %v", d)
	}
}

func TestVersions(t *testing.T) {
	dir := fixture(t)
	v1 := runGit(t, dir, "rev-parse", "HEAD:records/c-0001/a.yaml")
	runGit(t, dir, "checkout", "-q", "-b", "side")
	os.WriteFile(filepath.Join(dir, "records/c-0001/a.yaml"), []byte("side\n"), 0o644)
	runGit(t, dir, "commit", "-q", "-am", "side")
	v2 := runGit(t, dir, "rev-parse", "HEAD:records/c-0001/a.yaml")
	runGit(t, dir, "tag", "-a", "-m", "t", "t1")
	runGit(t, dir, "checkout", "-q", "main")
	runGit(t, dir, "branch", "-D", "side") // reachable from the annotated tag only
	runGit(t, dir, "rm", "-q", "records/c-0001/a.yaml")
	runGit(t, dir, "commit", "-q", "-m", "rm")
	got, err := Versions(dir, []string{"records/c-0001"})
	if err != nil {
		t.Fatal(err)
	}
	u := runGit(t, dir, "rev-parse", "HEAD:records/c-0001/users/u.yaml")
	if a := strings.Join(got["records/c-0001/a.yaml"], ","); a != strings.Join(sorted(v1, v2), ",") {
		t.Errorf("a.yaml versions %s, want %s %s", a, v1, v2)
	}
	if len(got) != 2 || len(got["records/c-0001/users/u.yaml"]) != 1 || got["records/c-0001/users/u.yaml"][0] != u {
		t.Errorf("versions %v", got)
	}
	// A file rather than a folder, a path that never existed, and a name
	// with a space (git cat-file takes the whole line as the name).
	os.MkdirAll(filepath.Join(dir, "records/c 0003"), 0o755)
	os.WriteFile(filepath.Join(dir, "records/c 0003/x.yaml"), []byte("x\n"), 0o644)
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "odd name")
	got, err = Versions(dir, []string{"records/c-0002/b.yaml", "records/c-0009", "records/c 0003"})
	if err != nil {
		t.Fatal(err)
	}
	b := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	x := runGit(t, dir, "rev-parse", "HEAD:records/c 0003/x.yaml")
	if len(got) != 2 || strings.Join(got["records/c-0002/b.yaml"], ",") != b || strings.Join(got["records/c 0003/x.yaml"], ",") != x {
		t.Errorf("versions of a file, a missing folder and a spaced name: %v", got)
	}
}

func sorted(a, b string) []string {
	if a > b {
		return []string{b, a}
	}
	return []string{a, b}
}

// A version reachable only from a detached HEAD is found too: for-each-ref,
// the one ref lister, does not list HEAD.
func TestVersionsOfADetachedHead(t *testing.T) {
	dir := fixture(t)
	runGit(t, dir, "checkout", "-q", "--detach")
	os.WriteFile(filepath.Join(dir, "records/c-0002/b.yaml"), []byte("detached\n"), 0o644)
	runGit(t, dir, "commit", "-q", "-am", "detached")
	want := runGit(t, dir, "rev-parse", "HEAD:records/c-0002/b.yaml")
	got, err := Versions(dir, []string{"records/c-0002"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range got["records/c-0002/b.yaml"] {
		found = found || h == want
	}
	if !found || len(got["records/c-0002/b.yaml"]) != 2 {
		t.Errorf("versions %v, want 2 with %s", got, want)
	}
}
