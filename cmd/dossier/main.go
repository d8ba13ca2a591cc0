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
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/repo"
)

// Exit codes, documented in the README. exitCode is the one place an
// error becomes one of them.
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

// kind is what an error means to the person who ran dossier, and so
// which exit code it gets. Kinds are decided where the error is made (a
// typed error of the package, or refused/usageError here), never by
// reading an error's text.
type kind int

const (
	kindInternal kind = iota // a bug or a failing environment: exit 2
	kindUsage                // a wrong invocation: exit 2
	kindRefused              // a request dossier will not carry out: exit 1
	kindFindings             // checks found problems: exit 1
)

// failure is an error shown to a person; its message is already plain
// words, and each hint is printed on a line of its own ("hint: ...").
type failure struct {
	kind  kind
	msg   string
	hints []string
}

func (f *failure) Error() string { return f.msg }

// refused is a request dossier will not carry out (exit 1).
func refused(format string, a ...any) error {
	return &failure{kind: kindRefused, msg: fmt.Sprintf(format, a...)}
}

// usageError is a wrong invocation (exit 2).
func usageError(format string, a ...any) error {
	return &failure{kind: kindUsage, msg: fmt.Sprintf(format, a...)}
}

// withHint adds hint lines to a failure made by refused or usageError;
// any other error becomes a refusal carrying them.
func withHint(err error, hints ...string) error {
	var f *failure
	if errors.As(err, &f) {
		return &failure{kind: f.kind, msg: f.msg, hints: append(append([]string(nil), f.hints...), hints...)}
	}
	return &failure{kind: kindRefused, msg: err.Error(), hints: hints}
}

// silentFailure exits with code after the command printed its own report.
type silentFailure int

func (s silentFailure) Error() string { return fmt.Sprintf("exit %d", int(s)) }

// classify says what err means, from its type: the failures made here, and
// the typed refusals of the operation packages. Anything else is internal.
func classify(err error) (kind, []string) {
	var f *failure
	switch {
	case errors.As(err, &f):
		return f.kind, f.hints
	case errors.Is(err, repo.ErrNotFound):
		return kindUsage, []string{"run \"dossier init DIR\" to create one, or cd into one"}
	case refusal.Is(err):
		return kindRefused, nil
	}
	return kindInternal, nil
}

// exitCode is the one map from an error to an exit code.
func exitCode(k kind) int {
	switch k {
	case kindRefused, kindFindings:
		return exitFindings
	default:
		return exitUsage
	}
}

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
		fmt.Fprintln(os.Stderr, "dossier: DOSSIER_CPUPROFILE:", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "dossier: DOSSIER_CPUPROFILE:", err)
		}
	}
}

func run(e *env, args []string) (code int) {
	// A panic is a bug: it is reported without its message, which could
	// hold a value from a record, and without a stack unless asked for.
	defer func() {
		if r := recover(); r != nil {
			code = internalPanic(e, r)
		}
	}()
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(e.stdout)
		return exitOK
	case "help":
		return help(e, args[1:])
	case "--version", "-version", "version":
		if len(args) > 1 {
			return finish(e, usageError("version takes no arguments"))
		}
		fmt.Fprint(e.stdout, versionText())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		return finish(e, unknownCommand(args[0]))
	}
	return finish(e, c.run(e, args[1:]))
}

// unknownCommand is the usage error for a command name dossier lacks,
// suggesting the nearest one.
func unknownCommand(name string) error {
	f := &failure{kind: kindUsage, msg: fmt.Sprintf("unknown command %q", name)}
	if s := suggest(name, commandNames()); s != "" {
		f.hints = append(f.hints, fmt.Sprintf("did you mean %q?", s))
	}
	f.hints = append(f.hints, "run \"dossier help\" for the list of commands")
	return f
}

// finish prints err for a person and returns its exit code.
func finish(e *env, err error) int {
	var s silentFailure
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &s):
		return int(s)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	k, hints := classify(err)
	fmt.Fprintf(e.stderr, "dossier: %s\n", err)
	for _, h := range hints {
		fmt.Fprintf(e.stderr, "hint: %s\n", h)
	}
	return exitCode(k)
}

// internalPanic reports a panic as an internal error. The panic's value is
// not printed: it may hold input. DOSSIER_DEBUG=1 prints it and the stack,
// for a developer reproducing the bug on test data.
func internalPanic(e *env, r any) int {
	fmt.Fprintln(e.stderr, "dossier: internal error (a bug in dossier; nothing more is shown because it could include record values)")
	fmt.Fprintln(e.stderr, "hint: rerun with DOSSIER_DEBUG=1 on test data to see where it happened, and report it")
	if os.Getenv("DOSSIER_DEBUG") == "1" {
		fmt.Fprintf(e.stderr, "panic: %v\n%s", r, debug.Stack())
	}
	return exitUsage
}

// help prints the general help, or one command's ("dossier help export").
func help(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		return finish(e, unknownCommand(args[0]))
	}
	// The command prints its help on its stderr for "-h"; asked for by
	// name, the help is the output.
	he := &env{stdin: e.stdin, stdout: e.stdout, stderr: e.stdout, dir: e.dir}
	return finish(he, c.run(he, append(append([]string(nil), args[1:]...), "-h")))
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprint(w, `dossier keeps customer records as SOPS-encrypted YAML in git.

Usage:
  dossier <command> [flags] [arguments]

Commands:
`)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run "dossier help <command>" or "dossier <command> --help" for a command's flags.
"dossier --version" names the version, the commit and the sops version.
Exit codes: 0 ok, 1 findings or request refused, 2 usage or internal error.
`)
}

// flags returns a FlagSet whose usage text names the command and shows its
// flags as --name, the way the README writes them (the flag package
// accepts -name and --name alike).
func flags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("dossier "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: dossier %s %s\n\n%s\n", c.name, c.args, c.summary)
		printFlags(e.stderr, fs)
	}
	return fs
}

// printFlags prints a FlagSet's flags as --name VALUE lines with their
// usage indented below, as flag.PrintDefaults does with one dash.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		name, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(text, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "-1" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
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

// openErr is the error of finding or opening the records repository: not
// being in one stays itself (a usage error with a hint, see classify);
// anything else, such as a broken schema or .sops.yaml, is a refusal.
func openErr(err error) error {
	if errors.Is(err, repo.ErrNotFound) {
		return err
	}
	return refused("%v", err)
}

// isSet reports whether the flag was given on the command line, where its
// default could not tell ("--due-within -1" from no --due-within).
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
