package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vts/dossier/internal/repo"
)

// LockFile is the lock's name inside a mirror, beside the manifest. It is
// never removed: the lock is the kernel's flock on the open file, not the
// file's existence, so a run killed with SIGKILL leaves a file that locks
// nothing, and deleting the file while a run holds it would let a second
// run lock a new file beside the first.
const LockFile = "dossier-backup.lock"

// Op is what a run does with a mirror; it decides how the run holds the
// mirror's lock.
type Op string

const (
	// OpBackup moves refs, adds packs, prunes and writes the manifest: it
	// holds the lock alone.
	OpBackup Op = "backup"
	// OpVerify and OpRestore only read, so they share the lock with each
	// other; they still exclude a backup, whose ref switch and prune
	// would make objects vanish under them: a verification would report
	// a sound mirror as damaged, a restore could copy a state that never
	// was.
	OpVerify  Op = "backup verify"
	OpRestore Op = "restore"
	// OpProof is verify-erasure reading a mirror: a reader like OpVerify.
	OpProof Op = "verify-erasure"
)

func (op Op) exclusive() bool { return op == OpBackup }

// BusyError is a lock held by another run. The run that gets it has
// changed nothing.
type BusyError struct {
	Mirror string // the mirror's path or URL
	File   string // the lock file (host:path for a lock on an ssh host)
	Holder string // what the holder wrote into the lock file; may be empty
}

func (e *BusyError) Error() string {
	by := ""
	if e.Holder != "" {
		by = ", taken by " + e.Holder
	}
	return fmt.Sprintf("another dossier run is using %s (lock %s%s): wait for it to finish, then run again; "+
		"if none is running, a hung process holds the lock: stop it (\"fuser -v %s\" names it), do not delete the file",
		e.Mirror, e.File, by, e.File)
}

// Lock is the set of mirror locks one command holds.
type Lock struct {
	held []func()
}

// Release frees every lock, newest first.
func (l *Lock) Release() {
	for i := len(l.held) - 1; i >= 0; i-- {
		l.held[i]()
	}
	l.held = nil
}

// LockMirrors takes the lock of every remote for op before anything is
// read or written, so that a command either works on all its mirrors or,
// refused, on none. A lock held elsewhere is a *BusyError at once: a cron
// job must not queue behind a hung run. root is the live repository, ""
// when there is none (a restore on a fresh machine).
//
// A local mirror is locked by flock on LockFile inside it. flock does not
// travel over ssh, so an ssh mirror is locked twice: on the host, by
// flock(1) held through an ssh session (sshMirror.lock), against runs
// from other machines; and on this side, in the live repository's git
// directory, which still holds where the host has no flock(1).
func LockMirrors(root string, remotes []*Remote, op Op) (*Lock, error) {
	l := &Lock{}
	for _, r := range remotes {
		release, err := lockMirror(root, r, op)
		if err != nil {
			l.Release()
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		if release != nil {
			l.held = append(l.held, release)
		}
	}
	return l, nil
}

func lockMirror(root string, r *Remote, op Op) (func(), error) {
	if !r.SSH() {
		return lockLocal(r.Path, op)
	}
	var local func()
	if root != "" {
		dir, err := gitCommonDir(root)
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(dir, "dossier")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if local, err = flockFile(filepath.Join(dir, "backup-"+fileSafe(r.Name)+".lock"), r.URL, op); err != nil {
			return nil, err
		}
	}
	remote, err := (&sshMirror{r: r}).lock(op)
	if err != nil {
		if local != nil {
			local()
		}
		return nil, err
	}
	return func() {
		if remote != nil {
			remote()
		}
		if local != nil {
			local()
		}
	}, nil
}

// lockLocal locks the mirror at path. A backup makes the directory of a
// new mirror first (its parent must exist: an unmounted disk is not
// written to); a read of a mirror that is not there needs no lock, the
// run itself reports the missing mirror.
func lockLocal(path string, op Op) (func(), error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if !op.exclusive() {
			return nil, nil
		}
		if _, err := os.Stat(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("%s does not exist: is the backup disk mounted?", filepath.Dir(path))
		}
		if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("creating the mirror %s: %w", path, err)
		}
	} else if err != nil {
		return nil, err
	}
	if err := notMirror(path); err != nil {
		if !op.exclusive() {
			return nil, nil
		}
		return nil, err
	}
	return flockFile(filepath.Join(path, LockFile), path, op)
}

// notMirror refuses a directory that holds something other than a bare
// repository or the start of one (nothing, or only the lock file):
// dossier does not write into a folder that is not its own.
func notMirror(path string) error {
	if info, err := os.Stat(filepath.Join(path, "objects")); err == nil && info.IsDir() {
		return nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != LockFile {
			return fmt.Errorf("%s exists and is not a bare git repository: point the backup at an empty or new directory", path)
		}
	}
	return nil
}

// holderLine is what a lock holder writes into the lock file so that a
// refused run can say who holds it: the command, pid, host and time. Ids
// of machines and processes only, never anything from the records.
func holderLine(op Op) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("dossier %s, pid %d on %s at %s\n", op, os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
}

// cleanHolder makes a lock file's contents safe to print: one line of
// printable ASCII, bounded. The file is on a disk that may have been
// anywhere.
func cleanHolder(data []byte) string {
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

// fileSafe turns a remote's name into a file name part.
func fileSafe(name string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' {
			return c
		}
		return '_'
	}, name)
}

// gitCommonDir is the live repository's git directory, shared by its
// worktrees. Real git: go-git does not resolve a worktree's commondir.
func gitCommonDir(root string) (string, error) {
	if info, err := os.Stat(filepath.Join(root, ".git")); err == nil && info.IsDir() {
		return filepath.Join(root, ".git"), nil
	}
	out, err := repo.At(root).Run("rev-parse", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("finding the git directory of %s: %w", root, err)
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	return dir, nil
}
