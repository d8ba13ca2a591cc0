// Command bench measures dossier against its peers (the stock sops CLI,
// git filter-repo, git push --mirror) on synthetic records repositories and
// prints the figures side by side with the targets of the issues, from one
// run. It is run by "make bench", never by "make test".
//
// Each benchmark lives in its own file and registers itself from init with
// registerBench; it asks the context for a synthetic repository (generated
// once per size and cached under the work dir), times the dossier binary and
// the peer with run, and adds rows to a table.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"
)

// bench is one registered benchmark.
type bench struct {
	name  string
	order int
	fn    func(*benchContext) error
}

var benches = map[string]*bench{}

// registerBench adds a benchmark; order sets where it runs (lower first),
// so that benches sharing a generated repository run next to each other.
func registerBench(name string, order int, fn func(*benchContext) error) {
	if _, dup := benches[name]; dup {
		panic("bench: " + name + " registered twice")
	}
	benches[name] = &bench{name: name, order: order, fn: fn}
}

// benchContext is what a benchmark may use: the binaries under test, a work
// dir of its own, the size of the run and the table of results.
type benchContext struct {
	Dossier string // absolute path of the dossier binary
	Sops    string // absolute path of the stock sops CLI
	Work    string // scratch space; generated repositories are cached under Work/repos
	Quick   bool   // a smoke run: small sizes, same code paths
	KeyFile string // the TEST ONLY age key every synthetic repository is encrypted to

	name   string   // the benchmark running now
	tables []*table // every table printed so far, for the summary
	out    io.Writer
}

func main() {
	os.Exit(mainErr())
}

func mainErr() int {
	dossier := flag.String("dossier", "bin/dossier", "dossier binary to measure")
	sops := flag.String("sops", "bin/tools/sops", "stock sops CLI (the peer for decryption)")
	quick := flag.Bool("quick", false, "smoke run with small repositories (under 2 minutes)")
	only := flag.String("only", "", "comma-separated benchmarks to run (default all): "+strings.Join(names(), ","))
	work := flag.String("work", "", "work dir; generated repositories are cached there between runs (default: a temp dir removed at the end)")
	keep := flag.Bool("keep", false, "keep the temp work dir")
	strict := flag.Bool("strict", false, "exit 1 when a target is missed, not only when a benchmark fails")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the bench process itself (the generator) to this file")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./bench -dossier BIN -sops BIN [-quick] [-only NAME,...] [-work DIR] [-keep] [-strict]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return 2
	}
	ctx := &benchContext{Quick: *quick, out: os.Stdout}
	var err error
	for _, b := range []struct {
		dst *string
		val string
	}{{&ctx.Dossier, *dossier}, {&ctx.Sops, *sops}} {
		if *b.dst, err = filepath.Abs(b.val); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		if _, err := os.Stat(*b.dst); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s not found (run \"make build bin/tools/sops\")\n", *b.dst)
			return 2
		}
	}
	if ctx.KeyFile, err = filepath.Abs(filepath.Join("testdata", "test-only-age-key.txt")); err == nil {
		_, err = os.Stat(ctx.KeyFile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: run from the source root: testdata/test-only-age-key.txt is needed")
		return 2
	}
	selected, err := selectBenches(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if *work == "" {
		if ctx.Work, err = os.MkdirTemp("", "dossier-bench-"); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		if !*keep {
			defer func() {
				if err := os.RemoveAll(ctx.Work); err != nil {
					fmt.Fprintln(os.Stderr, "bench: removing the work dir:", err)
				}
			}()
		}
	} else if ctx.Work, err = filepath.Abs(*work); err == nil {
		err = os.MkdirAll(ctx.Work, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(ctx.out, "dossier bench: %s, %s/%s, GOMAXPROCS %d, %s run, work dir %s\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), map[bool]string{true: "quick", false: "full"}[ctx.Quick], ctx.Work)
	start := time.Now()
	var failed []string
	for _, b := range selected {
		ctx.name = b.name
		fmt.Fprintf(ctx.out, "\n== %s\n", b.name)
		t0 := time.Now()
		if err := b.fn(ctx); err != nil {
			fmt.Fprintf(ctx.out, "FAILED %s: %v\n", b.name, err)
			failed = append(failed, b.name)
			continue
		}
		fmt.Fprintf(ctx.out, "(%s took %s)\n", b.name, fmtDur(time.Since(t0)))
	}
	met, missed := ctx.summary()
	fmt.Fprintf(ctx.out, "\nall benchmarks took %s; targets met %d, missed %d", fmtDur(time.Since(start)), met, missed)
	if len(failed) > 0 {
		fmt.Fprintf(ctx.out, "; FAILED: %s", strings.Join(failed, ", "))
	}
	fmt.Fprintln(ctx.out)
	if len(failed) > 0 || (*strict && missed > 0) {
		return 1
	}
	return 0
}

func names() []string {
	var out []string
	for _, b := range sorted() {
		out = append(out, b.name)
	}
	return out
}

func sorted() []*bench {
	var out []*bench
	for _, b := range benches {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].order != out[j].order {
			return out[i].order < out[j].order
		}
		return out[i].name < out[j].name
	})
	return out
}

func selectBenches(only string) ([]*bench, error) {
	all := sorted()
	if only == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if _, ok := benches[n]; !ok {
			return nil, fmt.Errorf("-only: no benchmark %q (have %s)", n, strings.Join(names(), ", "))
		}
		want[n] = true
	}
	var out []*bench
	for _, b := range all {
		if want[b.name] {
			out = append(out, b)
		}
	}
	return out, nil
}

// scale picks the full or the quick size of a parameter.
func (c *benchContext) scale(full, quick int) int {
	if c.Quick {
		return quick
	}
	return full
}

// logf prints a progress line of the running benchmark.
func (c *benchContext) logf(format string, a ...any) {
	fmt.Fprintf(c.out, "  "+format+"\n", a...)
}

// dir returns a fresh directory for the running benchmark under the work
// dir, removing what a previous run left there.
func (c *benchContext) dir(name string) (string, error) {
	d := filepath.Join(c.Work, "run", c.name, name)
	if err := os.RemoveAll(d); err != nil {
		return "", err
	}
	return d, os.MkdirAll(d, 0o755)
}

// env is the environment of every child process: the TEST ONLY key, a
// config dir inside the work dir (so no real key of the person running the
// bench is found or touched), a git identity, and no system/global git
// config that could change git's behaviour between runs.
func (c *benchContext) env() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "XDG_CONFIG_HOME", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE":
			continue
		}
		out = append(out, kv)
	}
	return append(out,
		"SOPS_AGE_KEY_FILE="+c.KeyFile,
		"XDG_CONFIG_HOME="+filepath.Join(c.Work, "config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@dossier.invalid",
		"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@dossier.invalid",
	)
}

// command prepares a child process in dir with the bench environment.
// name "dossier" and "sops" mean the binaries under test.
func (c *benchContext) command(dir, name string, args ...string) *exec.Cmd {
	switch name {
	case "dossier":
		name = c.Dossier
	case "sops":
		name = c.Sops
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = c.env()
	return cmd
}

// run runs a child process to completion and returns its wall time and
// peak resident set size in bytes. For a process that starts others (git
// filter-repo runs git), the peak is the largest single process among it
// and the children it waited for, as the kernel reports it, not their sum.
// Stdout is discarded unless the caller set it; stderr is kept for the
// error message.
func run(cmd *exec.Cmd) (time.Duration, int64, error) {
	st, err := runStats(cmd)
	return st.Wall, st.RSS, err
}

// stats are what one child process cost.
type stats struct {
	Wall time.Duration
	CPU  time.Duration // user + system, the process and the children it waited for
	RSS  int64         // peak resident set size, bytes
}

// runStats is run with the CPU time as well: on a machine shared with
// other work, wall time includes waiting for a core, CPU time does not.
func runStats(cmd *exec.Cmd) (stats, error) {
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	start := time.Now()
	err := cmd.Run()
	st := stats{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		st.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		st.RSS = maxRSS(cmd.ProcessState)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		return st, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, msg)
	}
	return st, nil
}

// git runs a git command in dir and returns its trimmed stdout.
func (c *benchContext) git(dir string, args ...string) (string, error) {
	cmd := c.command(dir, "git", args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if _, _, err := run(cmd); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

// row is one line of a results table. Peer, Ratio and Target may be empty
// when there is nothing to compare with; OK is nil when there is no target.
type row struct {
	Metric  string
	Dossier string
	Peer    string
	Ratio   string
	Target  string
	OK      *bool
}

type table struct {
	title string
	rows  []row
}

// table starts a results table for the running benchmark; it is printed
// by print and again in the summary at the end of the run.
func (c *benchContext) table(title string) *table {
	t := &table{title: title}
	c.tables = append(c.tables, t)
	return t
}

// add appends a row.
func (t *table) add(r row) { t.rows = append(t.rows, r) }

// ok is a helper for row.OK.
func ok(b bool) *bool { return &b }

func (t *table) print(w io.Writer) {
	header := row{Metric: "metric", Dossier: "dossier", Peer: "peer", Ratio: "ratio", Target: "target"}
	cells := func(r row) []string {
		okText := ""
		switch {
		case r == header:
			okText = "ok?"
		case r.OK == nil:
			okText = "-"
		case *r.OK:
			okText = "yes"
		default:
			okText = "NO"
		}
		return []string{r.Metric, r.Dossier, r.Peer, r.Ratio, r.Target, okText}
	}
	all := append([]row{header}, t.rows...)
	width := make([]int, 6)
	for _, r := range all {
		for i, s := range cells(r) {
			width[i] = max(width[i], len(s))
		}
	}
	fmt.Fprintf(w, "%s\n", t.title)
	for n, r := range all {
		var parts []string
		for i, s := range cells(r) {
			if i == 0 {
				parts = append(parts, fmt.Sprintf("%-*s", width[i], s))
			} else {
				parts = append(parts, fmt.Sprintf("%*s", width[i], s))
			}
		}
		fmt.Fprintf(w, "  %s\n", strings.Join(parts, " | "))
		if n == 0 {
			var dashes []string
			for _, wd := range width {
				dashes = append(dashes, strings.Repeat("-", wd))
			}
			fmt.Fprintf(w, "  %s\n", strings.Join(dashes, "-|-"))
		}
	}
}

// print prints the table now.
func (c *benchContext) print(t *table) { t.print(c.out) }

// summary prints every table again and counts the targets met and missed.
func (c *benchContext) summary() (met, missed int) {
	if len(c.tables) == 0 {
		return 0, 0
	}
	fmt.Fprintf(c.out, "\n== summary\n")
	for _, t := range c.tables {
		t.print(c.out)
		for _, r := range t.rows {
			if r.OK != nil {
				if *r.OK {
					met++
				} else {
					missed++
				}
			}
		}
	}
	return met, missed
}

// fmtDur prints a duration with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		s := int(d.Round(time.Second).Seconds())
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
}

// fmtBytes prints a size in MB (10^6 bytes, as the targets are written).
func fmtBytes(n int64) string {
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// fmtRate prints a throughput.
func fmtRate(n int, d time.Duration, unit string) string {
	return fmt.Sprintf("%.0f %s/s", rate(n, d), unit)
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// fmtRatio prints dossier/peer (or any ratio) with an x.
func fmtRatio(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// workCopy is a private copy of a generated repository of n customers
// (and commits), under its own work folder, with the index refreshed once:
// the copy has new inodes, and git would have refreshed them where the
// repository lives. Benches that change a repository run on such a copy.
func (c *benchContext) workCopy(opt genOptions) (*synthRepo, string, error) {
	r, err := c.repo(opt)
	if err != nil {
		return nil, "", err
	}
	work, err := c.dir(fmt.Sprintf("c%d", opt.Customers))
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(work, "repo")
	if err := cloneDir(r.Dir, dir); err != nil {
		return nil, "", err
	}
	if _, err := c.git(dir, "update-index", "-q", "--refresh"); err != nil {
		return nil, "", err
	}
	return r, dir, nil
}
