// Package repolock makes the commands that write a records repository
// (requests, correct, erase, retention --apply, keys, purge, new, edit)
// take turns. Two of them at once would read the same ledger and hand out
// the same request id, or commit over each other's index.
//
// The lock is flock(2) on .git/dossier/repo.lock in the repository's
// common git directory (shared by its worktrees): the kernel releases it
// when the process ends in any way, SIGKILL included, so no run leaves a
// stale lock. The file itself is never removed, and holds one line naming
// the current holder (command, pid, host, time) for the message of a run
// that gives up waiting.
package repolock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is the lock's path inside the common git directory.
const File = "dossier/repo.lock"

// Wait is how long a writer waits for the lock before refusing: long
// enough for another command's commit to finish, short enough that a
// person or a cron job is not left hanging behind a hung run.
var Wait = 10 * time.Second

// BusyError is a lock still held by another run after Wait.
type BusyError struct {
	File   string
	Holder string // what the holder wrote into the lock file; may be empty
	Waited time.Duration
}

func (e *BusyError) Error() string {
	by := ""
	if e.Holder != "" {
		by = " (" + e.Holder + ")"
	}
	return fmt.Sprintf("another dossier command is writing this repository%s; waited %s: run again when it has finished. "+
		staleAdvice, by, e.Waited.Round(time.Second), e.File)
}

// Lock is a held repository lock.
type Lock struct {
	release func()
}

// Release frees the lock. It is safe to call more than once.
func (l *Lock) Release() {
	if l != nil && l.release != nil {
		l.release()
		l.release = nil
	}
}

// Acquire takes the writer lock of the repository at root for the command
// named cmd, waiting up to Wait. waiting, if not nil, is called once with
// the holder's line when the lock is not free at once, so that a person
// knows why the command pauses.
func Acquire(root, cmd string, waiting func(holder string)) (*Lock, error) {
	dir, err := commonDir(root)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, filepath.FromSlash(File))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("creating the lock's folder: %w", err)
	}
	start := time.Now()
	told := false
	for {
		release, holder, err := tryLock(p, holderLine(cmd))
		if err != nil {
			return nil, err
		}
		if release != nil {
			return &Lock{release: release}, nil
		}
		if time.Since(start) >= Wait {
			return nil, &BusyError{File: p, Holder: holder, Waited: time.Since(start)}
		}
		if !told && waiting != nil {
			waiting(holder)
			told = true
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holderLine names this run: ids of a machine and a process only, never
// anything from the records.
func holderLine(cmd string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("dossier %s, pid %d on %s since %s\n", cmd, os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
}

// cleanHolder makes a lock file's contents safe to print: one line of
// printable ASCII, bounded.
func cleanHolder(r io.Reader) string {
	data, _ := io.ReadAll(io.LimitReader(r, 512))
	line, _, _ := strings.Cut(string(data), "\n")
	var b strings.Builder
	for _, c := range line {
		if b.Len() == 120 {
			break
		}
		if c >= ' ' && c < 0x7f {
			b.WriteRune(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// commonDir is the git directory shared by the repository's worktrees,
// found without running git: root/.git, or the directory a worktree's
// .git file points to and its commondir.
func commonDir(root string) (string, error) {
	dotgit := filepath.Join(root, ".git")
	info, err := os.Stat(dotgit)
	if err != nil && bare(root) {
		return root, nil // a bare repository: the git server's
	}
	if err != nil {
		return "", fmt.Errorf("%s is not a git repository: %w", root, err)
	}
	if info.IsDir() {
		return dotgit, nil
	}
	data, err := os.ReadFile(dotgit)
	if err != nil {
		return "", err
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
	if !ok {
		return "", errors.New(dotgit + " is neither a git directory nor a gitdir file")
	}
	if !filepath.IsAbs(gitdir) {
		gitdir = filepath.Join(root, gitdir)
	}
	common, err := os.ReadFile(filepath.Join(gitdir, "commondir"))
	if err != nil {
		return gitdir, nil // not a worktree: a separate git dir
	}
	c := strings.TrimSpace(string(common))
	if !filepath.IsAbs(c) {
		c = filepath.Join(gitdir, c)
	}
	return filepath.Clean(c), nil
}

// bare reports whether dir looks like a bare git repository (objects/,
// refs/ and HEAD directly inside).
func bare(dir string) bool {
	for _, f := range []string{"objects", "refs", "HEAD"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}
