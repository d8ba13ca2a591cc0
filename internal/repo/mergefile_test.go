package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// MergeFile needs no repository, merges clean changes, marks conflicts
// with the name given, and fails (not "conflicts") on a missing file.
func TestMergeFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("base", "a\nb\nc\n")
	write("ours", "A\nb\nc\n")
	write("theirs", "a\nb\nC\n")
	conflicts, err := MergeFile(dir, "base", "ours", "theirs", "x.yaml")
	if err != nil || conflicts {
		t.Fatalf("clean merge: %v %v", conflicts, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "ours")); string(got) != "A\nb\nC\n" {
		t.Errorf("merged %q", got)
	}
	write("theirs", "a\nb\nC2\n")
	write("ours", "a\nb\nC1\n")
	conflicts, err = MergeFile(dir, "base", "ours", "theirs", "x.yaml")
	if err != nil || !conflicts {
		t.Fatalf("conflicting merge: %v %v", conflicts, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "ours")); !strings.Contains(string(got), "<<<<<<< x.yaml (ours)") {
		t.Errorf("no labelled markers: %q", got)
	}
	if _, err := MergeFile(dir, "base", "ours", "missing", "x.yaml"); err == nil || ExitCode(err) < 128 && ExitCode(err) > 0 {
		t.Errorf("a missing file: %v", err)
	}
}
