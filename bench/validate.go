package main

import (
	"bytes"
	"fmt"
	"os"
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
	validate := func(args ...string) (time.Duration, int64, error) {
		cmd := ctx.command(r.Dir, "dossier", append([]string{"validate"}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		wall, rss, code, err := runExit(cmd)
		if err == nil && code != 0 {
			err = fmt.Errorf("dossier validate %s exited %d on a generated repository (a generator or validator bug):\n%s", strings.Join(args, " "), code, head(out.String(), 20))
		}
		return wall, rss, err
	}

	// Keyless: best of three, the first one also warming the page cache.
	var keyless time.Duration
	var keylessRSS int64
	for i := range ctx.scale(3, 2) {
		wall, rss, err := validate("--keyless")
		if err != nil {
			return err
		}
		ctx.logf("validate --keyless run %d: %s, %s, peak RSS %s", i+1, fmtDur(wall), fmtRate(files, wall, "files"), fmtBytes(rss))
		if i == 0 || wall < keyless {
			keyless = wall
		}
		keylessRSS = max(keylessRSS, rss)
	}
	keyed, keyedRSS, err := validate()
	if err != nil {
		return err
	}
	ctx.logf("validate (keyed): %s, %s, peak RSS %s", fmtDur(keyed), fmtRate(files, keyed, "files"), fmtBytes(keyedRSS))

	// The peer: "for f in ...; do sops -d $f >/dev/null; done" over an
	// evenly spread sample, scaled to the whole repository.
	all := r.AllRecords()
	sample := ctx.scale(200, 40)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
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

	t := ctx.table(fmt.Sprintf("validate: %d customers x %d records = %d files (peer: stock sops -d, one process per file, %d-file sample scaled)", len(r.Customers), r.Opt.PerCustomer, files, sample))
	keylessRate := rate(files, keyless)
	t.add(row{Metric: "keyless validate", Dossier: fmtRate(files, keyless, "files"), Target: ">= 20000 files/s", OK: ok(keylessRate >= 20000)})
	t.add(row{Metric: "keyless validate wall", Dossier: fmtDur(keyless)})
	t.add(row{Metric: "keyless validate peak RSS", Dossier: fmtBytes(keylessRSS), Target: "< 300 MB", OK: ok(keylessRSS < 300e6)})
	speedup := rate(files, keyed) / rate(files, sopsScaled)
	t.add(row{Metric: "keyed validate vs sops -d loop", Dossier: fmtRate(files, keyed, "files"), Peer: fmtRate(files, sopsScaled, "files"), Ratio: fmtRatio(speedup), Target: ">= 100x", OK: ok(speedup >= 100)})
	t.add(row{Metric: "keyed validate wall", Dossier: fmtDur(keyed), Peer: fmtDur(sopsScaled), Ratio: fmtRatio(speedup)})
	t.add(row{Metric: "keyed peak RSS (peer: per process)", Dossier: fmtBytes(keyedRSS), Peer: fmtBytes(sopsRSS), Target: "< 300 MB", OK: ok(keyedRSS < 300e6)})
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
