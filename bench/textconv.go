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
// "sops -d FILE" on the same files, one process per file as well.
//
// The two run interleaved, file by file (which goes first alternates),
// so that both see the same load on a shared machine: run one after the
// other, a change of load between them showed as a ratio of 1.5x where
// interleaved runs measured 1.0x. Best of three passes over the same
// sample, per file, in wall time (the target) and CPU time. The start-up
// alone is measured the same way, with "--version" (sops's with its check
// for a newer release turned off: that is a request to GitHub).
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
	// pair runs a and b interleaved, n times each (with file(i) appended
	// when file is set), and returns the best pass of each.
	pair := func(n int, file func(i int) string, a, b []string) (best [2]stats, err error) {
		for range 3 {
			var pass [2]stats
			for i := range n {
				cmds := [2][]string{a, b}
				for k := range 2 {
					args := cmds[(i+k)%2]
					if file != nil {
						args = append(args[:len(args):len(args)], file(i))
					}
					cmd := ctx.command(r.Dir, args[0], args[1:]...)
					cmd.Stdout = devnull
					st, err := runStats(cmd)
					if err != nil {
						return best, err
					}
					slot := (i + k) % 2
					pass[slot].Wall += st.Wall
					pass[slot].CPU += st.CPU
				}
			}
			for k := range 2 {
				pass[k].Wall /= time.Duration(n)
				pass[k].CPU /= time.Duration(n)
				if best[k].Wall == 0 || pass[k].Wall < best[k].Wall {
					best[k].Wall = pass[k].Wall
				}
				if best[k].CPU == 0 || pass[k].CPU < best[k].CPU {
					best[k].CPU = pass[k].CPU
				}
			}
		}
		return best, nil
	}
	tc, err := pair(sample, func(i int) string { return all[i*len(all)/sample] },
		[]string{"dossier", "hook", "textconv"}, []string{"sops", "-d"})
	if err != nil {
		return err
	}
	start, err := pair(ctx.scale(50, 10), nil, []string{"dossier", "--version"}, []string{"sops", "--version", "--disable-version-check"})
	if err != nil {
		return err
	}
	ctx.logf("textconv %s per file (%s CPU), sops -d %s per file (%s CPU)", fmtDur(tc[0].Wall), fmtDur(tc[0].CPU), fmtDur(tc[1].Wall), fmtDur(tc[1].CPU))
	ctx.logf("start-up: dossier --version %s (%s CPU), sops --version --disable-version-check %s (%s CPU)", fmtDur(start[0].Wall), fmtDur(start[0].CPU), fmtDur(start[1].Wall), fmtDur(start[1].CPU))
	t := ctx.table(fmt.Sprintf("textconv: one process per record, as git log -p runs it, %d files (peer: stock sops -d)", sample))
	ratio := float64(tc[0].Wall) / float64(tc[1].Wall)
	t.add(row{Metric: "dossier hook textconv per file (wall)", Dossier: fmtDur(tc[0].Wall), Peer: fmtDur(tc[1].Wall), Ratio: fmtRatio(ratio), Target: "<= 1.0x", OK: ok(ratio <= 1.0)})
	t.add(row{Metric: "dossier hook textconv per file (CPU)", Dossier: fmtDur(tc[0].CPU), Peer: fmtDur(tc[1].CPU), Ratio: fmtRatio(float64(tc[0].CPU) / float64(tc[1].CPU))})
	t.add(row{Metric: "start-up: --version (wall)", Dossier: fmtDur(start[0].Wall), Peer: fmtDur(start[1].Wall), Ratio: fmtRatio(float64(start[0].Wall) / float64(start[1].Wall))})
	ctx.print(t)
	return nil
}
