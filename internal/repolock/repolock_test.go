package repolock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOneWriterAtATime(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	first, err := Acquire(root, "requests open", nil)
	if err != nil {
		t.Fatal(err)
	}
	old := Wait
	Wait = 300 * time.Millisecond
	defer func() { Wait = old }()
	var told string
	_, err = Acquire(root, "correct", func(h string) { told = h })
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(busy.Holder, "dossier requests open, pid ") || told != busy.Holder {
		t.Fatalf("second Acquire = %v (told %q), want a BusyError naming the holder", err, told)
	}
	if !strings.Contains(err.Error(), filepath.Join(root, ".git", "dossier", "repo.lock")) {
		t.Errorf("message %q does not name the lock file", err)
	}
	// The holder releases while the next one waits: it gets the lock.
	go func() {
		time.Sleep(100 * time.Millisecond)
		first.Release()
	}()
	second, err := Acquire(root, "correct", nil)
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	second.Release()
	second.Release()
}

func TestCommonDirOfAWorktree(t *testing.T) {
	main := t.TempDir()
	wt := t.TempDir()
	gitdir := filepath.Join(main, ".git", "worktrees", "wt")
	if err := os.MkdirAll(gitdir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(gitdir, "commondir"), []byte("../..\n"), 0o644)
	os.WriteFile(filepath.Join(wt, ".git"), []byte("gitdir: "+gitdir+"\n"), 0o644)
	got, err := commonDir(wt)
	if err != nil || got != filepath.Join(main, ".git") {
		t.Fatalf("commonDir = %q, %v; want %s", got, err, filepath.Join(main, ".git"))
	}
}
