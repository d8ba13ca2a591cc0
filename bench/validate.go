package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func init() { registerBench("validate", 10, benchValidate) }

// benchValidate is issue 2's benchmark: validate all records of the
// 2,000 x 25 repository without a key (the server's view) and with one,
// the keyed run side by side with the stock sops CLI decrypting the same
// files one process per file, as a shell loop would.
func benchValidate(ctx *benchContext) error {
	r, err := ctx.repo(genOptions{Customers: ctx.scale(2000, 100)})
	if err != nil {
		return err
	}
	files := r.Files
	validate := func(args ...string) (stats, error) {
		cmd := ctx.command(r.Dir, "dossier", append([]string{"validate"}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		st, err := runStats(cmd)
		if err != nil {
			err = fmt.Errorf("dossier validate %s failed on a generated repository (a generator or validator bug): %v\n%s", strings.Join(args, " "), err, head(out.String(), 20))
		}
		return st, err
	}

	// Keyless: best of three, the first one also warming the page cache.
	var keyless stats
	for i := range ctx.scale(3, 2) {
		st, err := validate("--keyless")
		if err != nil {
			return err
		}
		ctx.logf("validate --keyless run %d: %s, %s, CPU %s, peak RSS %s", i+1, fmtDur(st.Wall), fmtRate(files, st.Wall, "files"), fmtDur(st.CPU), fmtBytes(st.RSS))
		if i == 0 || st.Wall < keyless.Wall {
			keyless.Wall, keyless.CPU = st.Wall, st.CPU
		}
		keyless.RSS = max(keyless.RSS, st.RSS)
	}
	keyed, err := validate()
	if err != nil {
		return err
	}
	ctx.logf("validate (keyed): %s, %s, CPU %s, peak RSS %s", fmtDur(keyed.Wall), fmtRate(files, keyed.Wall, "files"), fmtDur(keyed.CPU), fmtBytes(keyed.RSS))

	// The peer: "for f in ...; do sops -d $f >/dev/null; done" over an
	// evenly spread sample, scaled to the whole repository.
	all := r.AllRecords()
	sample := ctx.scale(200, 40)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer func() { _ = devnull.Close() }() // opened for writing nothing that is kept
	var sopsTotal time.Duration
	var sopsRSS int64
	for i := range sample {
		rel := all[i*len(all)/sample]
		cmd := ctx.command(r.Dir, "sops", "-d", rel)
		cmd.Stdout = devnull
		wall, rss, err := run(cmd)
		if err != nil {
			return err
		}
		sopsTotal += wall
		sopsRSS = max(sopsRSS, rss)
	}
	sopsScaled := time.Duration(float64(sopsTotal) * float64(files) / float64(sample))
	ctx.logf("sops -d loop: %d files in %s, %s per file, scaled to %d files: %s", sample, fmtDur(sopsTotal), fmtDur(sopsTotal/time.Duration(sample)), files, fmtDur(sopsScaled))

	// The CPU-bound rate is what the run would reach with the cores to
	// itself: CPU time spread over GOMAXPROCS cores.
	cores := float64(runtime.GOMAXPROCS(0))
	cpuBound := func(st stats) time.Duration { return time.Duration(float64(st.CPU) / cores) }
	t := ctx.table(fmt.Sprintf("validate: %d customers x %d records = %d files (peer: stock sops -d, one process per file, %d-file sample scaled)", len(r.Customers), r.Opt.PerCustomer, files, sample))
	t.add(row{Metric: "keyless validate (wall)", Dossier: fmtRate(files, keyless.Wall, "files"), Target: ">= 20000 files/s", OK: ok(rate(files, keyless.Wall) >= 20000)})
	t.add(row{Metric: fmt.Sprintf("keyless validate (CPU time / %.0f cores)", cores), Dossier: fmtRate(files, cpuBound(keyless), "files")})
	t.add(row{Metric: "keyless validate wall, CPU", Dossier: fmtDur(keyless.Wall) + ", " + fmtDur(keyless.CPU)})
	t.add(row{Metric: "keyless validate peak RSS", Dossier: fmtBytes(keyless.RSS), Target: "< 300 MB", OK: ok(keyless.RSS < 300e6)})
	speedup := rate(files, keyed.Wall) / rate(files, sopsScaled)
	t.add(row{Metric: "keyed validate vs sops -d loop (wall)", Dossier: fmtRate(files, keyed.Wall, "files"), Peer: fmtRate(files, sopsScaled, "files"), Ratio: fmtRatio(speedup), Target: ">= 100x", OK: ok(speedup >= 100)})
	t.add(row{Metric: fmt.Sprintf("keyed validate (CPU time / %.0f cores)", cores), Dossier: fmtRate(files, cpuBound(keyed), "files")})
	t.add(row{Metric: "keyed validate wall", Dossier: fmtDur(keyed.Wall), Peer: fmtDur(sopsScaled), Ratio: fmtRatio(speedup)})
	t.add(row{Metric: "keyed peak RSS (peer: per process)", Dossier: fmtBytes(keyed.RSS), Peer: fmtBytes(sopsRSS), Target: "< 300 MB", OK: ok(keyed.RSS < 300e6)})
	ctx.print(t)
	return nil
}

// head returns the first n lines of s.
func head(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}
