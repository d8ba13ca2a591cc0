package repo

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestQuarantineDir pins where the pre-receive hook looks for the push's
// objects: git's GIT_QUARANTINE_PATH first, then a GIT_OBJECT_DIRECTORY
// that is not the repository's own objects folder (Gitaly), else none.
func TestQuarantineDir(t *testing.T) {
	gitDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(gitDir, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	for _, tc := range []struct {
		name, quarantine, objects, want string
	}{
		{"none", "", "", ""},
		{"git receive-pack", other, "", other},
		{"quarantine path wins", other, filepath.Join(gitDir, "objects"), other},
		{"own objects folder, relative", "", "objects", ""},
		{"own objects folder, absolute", "", filepath.Join(gitDir, "objects"), ""},
		{"another folder (Gitaly)", "", other, other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GIT_QUARANTINE_PATH", tc.quarantine)
			t.Setenv("GIT_OBJECT_DIRECTORY", tc.objects)
			if got := QuarantineDir(gitDir); got != tc.want {
				t.Errorf("QuarantineDir = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestQuarantineObjects reads a real objects folder as a push's
// quarantine: Each lists every object, packed and loose, and Has tells
// them from objects the folder does not hold.
func TestQuarantineObjects(t *testing.T) {
	dir := fixture(t)
	runGit(t, dir, "repack", "-q", "-a", "-d") // the fixture's objects into one pack
	if err := os.WriteFile(filepath.Join(dir, "later.txt"), []byte("only loose\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loose := runGit(t, dir, "hash-object", "-w", "later.txt")
	want := strings.Fields(runGit(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"))
	sort.Strings(want)

	t.Setenv("GIT_QUARANTINE_PATH", filepath.Join(dir, ".git", "objects"))
	q := OpenQuarantine(t.TempDir())
	if q == nil {
		t.Fatal("no quarantine opened")
	}
	var got []string
	if err := q.Each(func(h plumbing.Hash) { got = append(got, h.String()) }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Each listed %d objects %v, want %d %v", len(got), got, len(want), want)
	}
	if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+loose+" ") {
		t.Errorf("the loose object %s was not listed", loose)
	}
	for _, h := range want {
		if !q.Has(plumbing.NewHash(h)) {
			t.Errorf("Has(%s) = false for an object of the quarantine", h)
		}
	}
	if q.Has(plumbing.NewHash("1234567890123456789012345678901234567890")) {
		t.Error("Has is true for an object the quarantine does not hold")
	}

	t.Setenv("GIT_QUARANTINE_PATH", "")
	t.Setenv("GIT_OBJECT_DIRECTORY", "")
	if OpenQuarantine(dir) != nil {
		t.Error("a quarantine was opened without one")
	}
}
