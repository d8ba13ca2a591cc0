// Package editor lets a person edit a decrypted record in $EDITOR. The
// plaintext exists only in a private temporary directory (0700, file 0600)
// that is removed on every way out: success, error, abort, and the signals
// a terminal or a supervisor sends (SIGINT, SIGTERM, SIGHUP), on which the
// editor's whole process group is ended too, so no editor is left holding
// the plaintext.
//
// As pass(1) does, the directory is on a tmpfs when there is one
// ($XDG_RUNTIME_DIR, /dev/shm), so the plaintext never reaches a disk; when
// there is none, Run says so before it writes. A run killed with SIGKILL
// cannot clean up: the next Run removes what such runs left (see
// removeLeftovers).
package editor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrAborted means the person gave up; the record was not changed.
var ErrAborted = errors.New("edit aborted; the record was not changed")

// Session edits one plaintext document.
type Session struct {
	// Name is the temp file's base name; it must hold no personal value.
	Name string
	// Check returns a description of each problem, none if valid.
	Check func(plain []byte) []string
	// In answers the "edit again?" question; Out/Err show messages.
	In       io.Reader
	Out, Err io.Writer
	// Dirs are the places tried for the plaintext, first usable tmpfs
	// wins; nil means DefaultDirs.
	Dirs []string
}

// DefaultDirs are where the plaintext may go, in order of preference.
func DefaultDirs() []string {
	var dirs []string
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	return append(dirs, "/dev/shm")
}

// dirPrefix names the directories of edit sessions; the pid after it is
// how removeLeftovers tells a dead run's directory from a live one's.
const dirPrefix = "dossier-edit-"

// privateParent picks the folder for the session's directory: the first
// of dirs that is a tmpfs the user can write to, else the system's temp
// folder, on disk, which the returned notice tells the person.
func privateParent(dirs []string) (string, string) {
	for _, d := range dirs {
		if d != "" && isTmpfs(d) && writable(d) {
			return d, ""
		}
	}
	tmp := os.TempDir()
	return tmp, fmt.Sprintf("dossier: no tmpfs found (%s): the decrypted record is written to %s, on disk, while the editor is open", strings.Join(dirs, ", "), tmp)
}

func writable(dir string) bool {
	f, err := os.CreateTemp(dir, dirPrefix+"probe-")
	if err != nil {
		return false
	}
	// An empty probe file: whether closing or removing it fails, it held
	// nothing, and its name (dirPrefix) is not one removeLeftovers takes.
	_ = f.Close()
	_ = os.Remove(f.Name())
	return true
}

// removeLeftovers removes the session directories that runs killed
// before they could clean up left in parent: only directories named by
// this package, owned by this user, older than this run, and whose run is
// no longer alive (another edit going on in another terminal keeps its
// file). It returns the failures to remove one: each may still hold a
// decrypted record.
func removeLeftovers(parent string, started time.Time) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), dirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		info, err := os.Lstat(filepath.Join(parent, e.Name()))
		if err != nil || !info.IsDir() || !ownedByMe(info) || !info.ModTime().Before(started) || alive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run opens the editor on initial until the result passes Check, the
// person declines to reopen it, or the input is closed. It returns the
// accepted plaintext and whether it differs from initial.
func (s *Session) Run(initial []byte) ([]byte, bool, error) {
	started := time.Now()
	dirs := s.Dirs
	if dirs == nil {
		dirs = DefaultDirs()
	}
	parent, notice := privateParent(dirs)
	if err := removeLeftovers(parent, started); err != nil {
		fmt.Fprintf(s.Err, "dossier: warning: a decrypted record may be left from an earlier edit: remove it: %v\n", err)
	}
	if notice != "" {
		fmt.Fprintln(s.Err, notice)
	}
	dir, err := os.MkdirTemp(parent, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, false, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		// Still empty: a failed removal leaves no data, and err is reported.
		_ = os.RemoveAll(dir)
		return nil, false, err
	}
	ed := &running{}
	cleanup := removeOnSignal(dir, ed)
	// The edit itself is done (or failed) whatever happens here, so a
	// directory that cannot be removed is a warning naming it, not a
	// lost edit; the next edit's removeLeftovers tries again.
	defer func() {
		if err := cleanup(); err != nil {
			fmt.Fprintf(s.Err, "dossier: warning: could not remove %s, which holds the decrypted record: remove it (rm -rf %s): %v\n", dir, dir, err)
		}
	}()

	file := filepath.Join(dir, s.Name)
	if err := os.WriteFile(file, initial, 0o600); err != nil {
		return nil, false, err
	}
	answers := bufio.NewReader(s.In)
	for {
		if err := launch(file, s.Err, ed); err != nil {
			return nil, false, err
		}
		edited, err := os.ReadFile(file)
		if err != nil {
			return nil, false, err
		}
		if bytes.Equal(edited, initial) {
			return edited, false, nil
		}
		problems := s.Check(edited)
		if len(problems) == 0 {
			return edited, true, nil
		}
		for _, p := range problems {
			fmt.Fprintln(s.Err, p)
		}
		fmt.Fprint(s.Err, "the record is not valid; edit again? [Y/n] ")
		line, err := answers.ReadString('\n')
		line = strings.TrimSpace(strings.ToLower(line))
		if err != nil && line == "" || line == "n" || line == "no" {
			fmt.Fprintln(s.Err)
			return nil, false, ErrAborted
		}
	}
}

// running is the editor process of a session, if one is running, for
// the signal handler to end.
type running struct {
	mu   sync.Mutex
	proc *editorProc
	// stopping is set by the signal handler before it ends the editor:
	// the editor's exit is then the handler's doing, and the handler, not
	// the caller, reports it and exits.
	stopping bool
}

// interrupted reports whether a signal is ending the editor.
func (r *running) interrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopping
}

func (r *running) set(p *editorProc) {
	r.mu.Lock()
	r.proc = p
	r.mu.Unlock()
}

// stop ends the running editor's process group, if any.
func (r *running) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopping = true
	if r.proc != nil {
		r.proc.stop()
	}
}

// launch runs $VISUAL or $EDITOR (which may carry arguments) on file, in a
// process group of its own (see startEditor) that ed can end.
func launch(file string, stderr io.Writer, ed *running) error {
	name := os.Getenv("VISUAL")
	if name == "" {
		name = os.Getenv("EDITOR")
	}
	if name == "" {
		name = "vi"
	}
	cmd := exec.Command("/bin/sh", "-c", name+` "$1"`, "editor", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	p, err := startEditor(cmd)
	if err != nil {
		return fmt.Errorf("starting the editor %q: %v; the record was not changed", name, err)
	}
	ed.set(p)
	err = p.wait()
	ed.set(nil)
	if ed.interrupted() {
		select {} // the signal handler removes the plaintext and exits
	}
	if err != nil {
		return fmt.Errorf("editor %q failed (%v); the record was not changed", name, err)
	}
	return nil
}

// removeOnSignal removes dir when the process is told to stop, after
// ending the editor's process group, then exits as the signal would have;
// the returned func removes it on normal return.
func removeOnSignal(dir string, ed *running) func() error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			ed.stop()
			if err := os.RemoveAll(dir); err != nil {
				fmt.Fprintf(os.Stderr, "dossier: could not remove %s, which holds the decrypted record: remove it (rm -rf %s): %v\n", dir, dir, err)
			}
			fmt.Fprintln(os.Stderr, "dossier: interrupted; the record was not changed")
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	return func() error {
		signal.Stop(ch)
		close(done)
		return os.RemoveAll(dir)
	}
}
