package main

import (
	"fmt"
	"os"
	"time"
)

func init() { registerBench("textconv", 13, benchTextconv) }

// benchTextconv is issue 14's textconv benchmark: "git log -p" runs
// "dossier hook textconv FILE" once per record version it shows, so the
// start-up of the process is most of the cost. The peer is the stock
// "sops -d FILE" on the same files, one process per file as well. Best
// of three passes over the same sample, per file.
func benchTextconv(ctx *benchContext) error {
	r, err := ctx.repo(genOptions{Customers: ctx.scale(500, 20)})
	if err != nil {
		return err
	}
	all := r.AllRecords()
	sample := ctx.scale(100, 20)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer func() { _ = devnull.Close() }() // opened for writing nothing that is kept
	pass := func(args ...string) (time.Duration, error) {
		var total time.Duration
		for i := range sample {
			rel := all[i*len(all)/sample]
			cmd := ctx.command(r.Dir, args[0], append(args[1:], rel)...)
			cmd.Stdout = devnull
			wall, _, err := run(cmd)
			if err != nil {
				return 0, err
			}
			total += wall
		}
		return total / time.Duration(sample), nil
	}
	best := func(args ...string) (time.Duration, error) {
		var b time.Duration
		for range 3 {
			d, err := pass(args...)
			if err != nil {
				return 0, err
			}
			if b == 0 || d < b {
				b = d
			}
		}
		return b, nil
	}
	tc, err := best("dossier", "hook", "textconv")
	if err != nil {
		return err
	}
	sops, err := best("sops", "-d")
	if err != nil {
		return err
	}
	ctx.logf("textconv %s per file, sops -d %s per file", fmtDur(tc), fmtDur(sops))
	t := ctx.table(fmt.Sprintf("textconv: one process per record, as git log -p runs it, %d files (peer: stock sops -d)", sample))
	ratio := float64(tc) / float64(sops)
	t.add(row{Metric: "dossier hook textconv per file (wall)", Dossier: fmtDur(tc), Peer: fmtDur(sops), Ratio: fmtRatio(ratio), Target: "<= 1.0x", OK: ok(ratio <= 1.0)})
	ctx.print(t)
	return nil
}
