// Command dossier keeps customer records as SOPS-encrypted YAML in git,
// validates them, and turns data-subject requests into commits.
//
// This package only parses flags and calls one operation per command; the
// work is done in internal/ packages.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFindings = 1 // findings, or a request refused
	exitUsage    = 2 // usage or internal error
)

// command is one subcommand. Each lives in its own cmd_*.go file and
// registers itself from init, so commands can be added without touching
// this file.
type command struct {
	name    string
	args    string
	summary string
	run     func(env *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// env is what a command may touch: its streams and working directory.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	dir            string
}

// failure is an error shown to a person with an exit code; its message is
// already plain words.
type failure struct {
	code int
	msg  string
}

func (f *failure) Error() string { return f.msg }

// refused is a request dossier will not carry out (exit 1).
func refused(format string, a ...any) error {
	return &failure{code: exitFindings, msg: fmt.Sprintf(format, a...)}
}

// usageError is a wrong invocation (exit 2).
func usageError(format string, a ...any) error {
	return &failure{code: exitUsage, msg: fmt.Sprintf(format, a...)}
}

// silentFailure exits with code after the command printed its own report.
type silentFailure int

func (s silentFailure) Error() string { return fmt.Sprintf("exit %d", int(s)) }

func main() {
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dossier:", err)
		os.Exit(exitUsage)
	}
	stop := startProfile(os.Getenv("DOSSIER_CPUPROFILE"))
	code := run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, dir: dir}, os.Args[1:])
	stop()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole run to path, if set: how
// the benchmarks' figures are explained (DOSSIER_CPUPROFILE=cpu.out).
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dossier: DOSSIER_CPUPROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintln(e.stdout, "dossier", version())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "dossier: unknown command %q (run \"dossier help\")\n", args[0])
		return exitUsage
	}
	err := c.run(e, args[1:])
	var s silentFailure
	var f *failure
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &s):
		return int(s)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &f):
		fmt.Fprintf(e.stderr, "dossier: %s\n", f.msg)
		return f.code
	default:
		fmt.Fprintf(e.stderr, "dossier: %s\n", err)
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `dossier keeps customer records as SOPS-encrypted YAML in git.

Usage:
  dossier <command> [flags] [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-16s %s\n", n, c.summary)
	}
	fmt.Fprint(w, `
Run "dossier <command> -h" for a command's flags.
Exit codes: 0 ok, 1 findings or request refused, 2 usage or internal error.
`)
}

// flags returns a FlagSet whose usage text names the command.
func flags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("dossier "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: dossier %s %s\n\n%s\n", c.name, c.args, c.summary)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
		if b.Len() > 0 {
			fmt.Fprintf(e.stderr, "\nFlags:\n%s", b.String())
		}
	}
	return fs
}

// parse parses flags, turning flag errors into usage errors. Flags may
// follow positional arguments (dossier show PATH --format json).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, silentFailure(exitUsage)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
