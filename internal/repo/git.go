package repo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Git runs the git binary on one repository. It is the only place dossier
// starts git (a test in this package holds every other package to that),
// so every run gets the same safety options and every failure carries
// git's own words.
//
// Every run passes --no-replace-objects: a replace ref would let a
// repository show dossier a different object than the one it holds, and a
// check that reads a replacement checks nothing.
type Git struct {
	where []string // -C DIR or --git-dir DIR
	env   []string // added to the process environment
}

// At runs git in the work tree at dir.
func At(dir string) Git { return Git{where: []string{"-C", dir}} }

// AtGitDir runs git on the git directory dir (a bare repository, a
// mirror, or a work tree's .git).
func AtGitDir(dir string) Git { return Git{where: []string{"--git-dir", dir}} }

// WithEnv returns g with env (KEY=VALUE) added to the environment of every
// run, for the few runs that must override what the user's setup says
// (a signing key, a quarantine directory).
func (g Git) WithEnv(env ...string) Git {
	g.env = append(append([]string(nil), g.env...), env...)
	return g
}

// Command returns the git process for args, not started, for the callers
// that stream: a long-lived cat-file, a pack piped into index-pack. Its
// Stderr is left to the caller.
func (g Git) Command(args ...string) *exec.Cmd {
	cmd := exec.Command("git", append(append([]string{"--no-replace-objects"}, g.where...), args...)...)
	if len(g.env) > 0 {
		cmd.Env = append(os.Environ(), g.env...)
	}
	return cmd
}

// Run runs git with args and returns its standard output. A failure is an
// *Error holding the exit code and git's standard error.
func (g Git) Run(args ...string) ([]byte, error) {
	return g.RunInput(nil, args...)
}

// RunInput is Run with in as git's standard input.
func (g Git) RunInput(in io.Reader, args ...string) ([]byte, error) {
	cmd := g.Command(args...)
	cmd.Stdin = in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), newError(args, err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// Lines runs git and splits its output into lines, or into NUL-separated
// fields when args ask git for -z output. Empty entries are dropped.
func (g Git) Lines(args ...string) ([]string, error) {
	out, err := g.Run(args...)
	if err != nil {
		return nil, err
	}
	sep := "\n"
	if hasZ(args) {
		sep = "\x00"
	}
	var lines []string
	for _, l := range strings.Split(string(out), sep) {
		if l = strings.TrimSuffix(l, "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func hasZ(args []string) bool {
	for _, a := range args {
		if a == "-z" {
			return true
		}
	}
	return false
}

// Config returns the value of a git config key as git resolves it (the
// repository's config, then the user's and the system's), and whether it
// is set. typ is a git --type (bool, path, int) or "".
func (g Git) Config(key, typ string) (string, bool, error) {
	args := []string{"config"}
	if typ != "" {
		args = append(args, "--type="+typ)
	}
	out, err := g.Run(append(args, "--get", key)...)
	if ExitCode(err) == 1 {
		return "", false, nil // not set
	}
	if err != nil {
		return "", false, fmt.Errorf("reading git config %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), true, nil
}

// Error is a git run that failed: which subcommand, how it exited, and
// what git said on its standard error.
type Error struct {
	Args   []string
	Code   int // the exit code, -1 when git did not run or was killed
	Stderr string
	Err    error
}

func newError(args []string, err error, stderr string) *Error {
	e := &Error{Args: args, Code: -1, Stderr: strings.TrimSpace(stderr), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		e.Code = ee.ExitCode()
	}
	return e
}

func (e *Error) Error() string {
	sub := "git"
	if len(e.Args) > 0 {
		sub = "git " + e.Args[0]
	}
	if e.Stderr == "" {
		return fmt.Sprintf("%s: %v", sub, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", sub, e.Err, e.Stderr)
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode is the exit code of the git run that err reports, or -1 when
// err is nil or not a git run's failure. Callers tell git's answers apart
// by code ("not set", "not an ancestor"), never by its words.
func ExitCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}
