// Package editor lets a person edit a decrypted record in $EDITOR. The
// plaintext exists only in a private temporary directory (0700, file 0600)
// that is removed on every way out: success, error, abort, and the signals
// a terminal or a supervisor sends (SIGINT, SIGTERM, SIGHUP).
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
	"strings"
	"syscall"
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
}

// Run opens the editor on initial until the result passes Check, the
// person declines to reopen it, or the input is closed. It returns the
// accepted plaintext and whether it differs from initial.
func (s *Session) Run(initial []byte) ([]byte, bool, error) {
	dir, err := os.MkdirTemp("", "dossier-edit-")
	if err != nil {
		return nil, false, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, false, err
	}
	cleanup := removeOnSignal(dir)
	defer cleanup()

	file := filepath.Join(dir, s.Name)
	if err := os.WriteFile(file, initial, 0o600); err != nil {
		return nil, false, err
	}
	answers := bufio.NewReader(s.In)
	for {
		if err := launch(file, s.Err); err != nil {
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

// launch runs $VISUAL or $EDITOR (which may carry arguments) on file.
func launch(file string, stderr io.Writer) error {
	ed := os.Getenv("VISUAL")
	if ed == "" {
		ed = os.Getenv("EDITOR")
	}
	if ed == "" {
		ed = "vi"
	}
	cmd := exec.Command("/bin/sh", "-c", ed+` "$1"`, "editor", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q failed (%v); the record was not changed", ed, err)
	}
	return nil
}

// removeOnSignal removes dir when the process is told to stop, then exits
// as the signal would have; the returned func removes it on normal return.
func removeOnSignal(dir string) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			os.RemoveAll(dir)
			fmt.Fprintln(os.Stderr, "dossier: interrupted; the record was not changed")
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		os.RemoveAll(dir)
	}
}
