package repo

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// settled is fixture with its index rewritten after a pause, so that no
// entry is racily clean: the state a request meets after any commit.
func settled(t *testing.T) string {
	dir := fixture(t)
	time.Sleep(20 * time.Millisecond)
	runGit(t, dir, "update-index", "--refresh", "--really-refresh")
	runGit(t, dir, "-c", "index.version=2", "update-index", "--index-version", "2")
	return dir
}

var cleanScope = []string{"ledger", "records/c-0001"}

// The shortcut fires on a clean scope (else it saves nothing), and every
// way a scope can be dirty makes it give way to git status, which reports
// the change. Changes outside the scope do not count.
func TestProvablyClean(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the stat shortcut is for Linux; elsewhere git status always decides")
	}
	dir := settled(t)
	if !provablyClean(dir, cleanScope) {
		t.Fatal("a clean scope was not proven clean: the shortcut never fires")
	}
	os.WriteFile(filepath.Join(dir, "records/c-0002/b.yaml"), []byte("elsewhere\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "records/c-0002/new.yaml"), []byte("x\n"), 0o644)
	if !provablyClean(dir, cleanScope) {
		t.Error("a change outside the scope counted")
	}
	for name, dirty := range map[string]func(dir string){
		"modified": func(dir string) {
			os.WriteFile(filepath.Join(dir, "records/c-0001/a.yaml"), []byte("b\n"), 0o644) // same size
		},
		"touched only": func(dir string) {
			later := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(dir, "records/c-0001/a.yaml"), later, later)
		},
		"staged": func(dir string) {
			os.WriteFile(filepath.Join(dir, "records/c-0001/a.yaml"), []byte("staged\n"), 0o644)
			runGit(t, dir, "add", "records/c-0001/a.yaml")
		},
		"staged and undone in the work tree": func(dir string) {
			p := filepath.Join(dir, "records/c-0001/a.yaml")
			os.WriteFile(p, []byte("staged\n"), 0o644)
			runGit(t, dir, "add", "records/c-0001/a.yaml")
			os.WriteFile(p, []byte("a\n"), 0o644)
		},
		"deleted":    func(dir string) { os.Remove(filepath.Join(dir, "records/c-0001/users/u.yaml")) },
		"executable": func(dir string) { os.Chmod(filepath.Join(dir, "records/c-0001/a.yaml"), 0o755) },
		"a symlink": func(dir string) {
			p := filepath.Join(dir, "records/c-0001/a.yaml")
			os.Remove(p)
			os.Symlink("b.yaml", p)
		},
		"untracked": func(dir string) {
			os.WriteFile(filepath.Join(dir, "records/c-0001/users/v.yaml"), []byte("v\n"), 0o644)
		},
		"untracked in the ledger": func(dir string) {
			os.WriteFile(filepath.Join(dir, "ledger/DSR-2026-0001.yaml"), []byte("v\n"), 0o644)
		},
		"intent to add": func(dir string) {
			os.WriteFile(filepath.Join(dir, "records/c-0001/n.yaml"), []byte("n\n"), 0o644)
			runGit(t, dir, "add", "-N", "records/c-0001/n.yaml")
		},
		"removed from the index only": func(dir string) { runGit(t, dir, "rm", "-q", "--cached", "records/c-0001/a.yaml") },
		"committed elsewhere, index kept": func(dir string) {
			runGit(t, dir, "update-ref", "HEAD", runGit(t, dir, "commit-tree", "-m", "x", runGit(t, dir, "mktree")+"^{tree}"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := settled(t)
			dirty(dir)
			if provablyClean(dir, cleanScope) {
				t.Fatal("proven clean")
			}
			d, err := DirtyIn(dir, cleanScope)
			if err != nil {
				t.Fatal(err)
			}
			if len(d) == 0 && name != "touched only" {
				t.Errorf("git status found nothing either: the case tests nothing")
			}
		})
	}
}

// Entries git treats specially are never judged by the shortcut: a file
// marked assume-unchanged or skip-worktree is not what the index says.
func TestProvablyCleanLeavesFlaggedEntriesToGit(t *testing.T) {
	for _, flag := range []string{"--assume-unchanged", "--skip-worktree"} {
		dir := settled(t)
		runGit(t, dir, "update-index", flag, "records/c-0001/a.yaml")
		if provablyClean(dir, cleanScope) {
			t.Errorf("%s: proven clean", flag)
		}
	}
	// Index layouts it does not read: version 4 (compressed names) and a
	// split index (entries in another file).
	for _, args := range [][]string{{"update-index", "--index-version", "4"}, {"update-index", "--split-index"}} {
		dir := settled(t)
		runGit(t, dir, args...)
		if provablyClean(dir, cleanScope) {
			t.Errorf("%v: proven clean", args)
		}
		if d, err := DirtyIn(dir, cleanScope); err != nil || len(d) != 0 {
			t.Errorf("%v: git status says %v, %v", args, d, err)
		}
	}
}
