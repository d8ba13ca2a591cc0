package main

import (
	"fmt"
	"strings"
	"time"
)

func init() { registerBench("keys", 12, benchKeys) }

// benchKeys is issue 14's key rotation benchmark: "dossier keys rotate"
// re-encrypts every record with a new data key and commits them all, at
// 12,500 and at 50,000 records. The peer column is keyed validate of the
// same 50,000 records (it decrypts each record once, as rotation must):
// rotation should be in the same order, and the 50,000 run about four
// times the 12,500 one (linear: the commit edits the trees and the index
// entries of the files it changed, nothing per file times the tree).
func benchKeys(ctx *benchContext) error {
	sizes := []int{ctx.scale(500, 20), ctx.scale(2000, 80)}
	type result struct {
		files int
		st    stats
	}
	var res []result
	var validateLarge stats
	for i, n := range sizes {
		r, dir, err := ctx.workCopy(genOptions{Customers: n})
		if err != nil {
			return err
		}
		if i == len(sizes)-1 {
			if validateLarge, err = runStats(ctx.command(dir, "dossier", "validate")); err != nil {
				return err
			}
			ctx.logf("validate (keyed) %d records: %s wall, %s CPU", r.Files, fmtDur(validateLarge.Wall), fmtDur(validateLarge.CPU))
		}
		st, err := runStats(ctx.command(dir, "dossier", "keys", "rotate"))
		if err != nil {
			return err
		}
		ctx.logf("keys rotate %d records: %s wall, %s CPU, peak RSS %s", r.Files, fmtDur(st.Wall), fmtDur(st.CPU), fmtBytes(st.RSS))
		if out, err := ctx.git(dir, "status", "--porcelain"); err != nil || out != "" {
			return fmt.Errorf("work tree not clean after keys rotate (%v):\n%s", err, head(out, 10))
		}
		// The stock sops CLI reads a rotated record: a rotation that wrote
		// what sops cannot open would be fast and worthless. Its stderr
		// only: stdout is the (synthetic) plaintext.
		check := ctx.command(dir, "sops", "--decrypt", "records/c-0001/customer.yaml")
		var stderr strings.Builder
		check.Stderr = &stderr
		if err := check.Run(); err != nil {
			return fmt.Errorf("the stock sops cannot decrypt a rotated record (%v):\n%s", err, head(stderr.String(), 10))
		}
		// Rotation keeps .sops.yaml: the commit holds every record, no more.
		if n, err := ctx.git(dir, "diff", "--name-only", "HEAD~1", "HEAD"); err != nil || countLines(n) != r.Files {
			return fmt.Errorf("keys rotate committed %d files, want %d (%v)", countLines(n), r.Files, err)
		}
		res = append(res, result{r.Files, st})
	}
	small, large := res[0], res[1]
	t := ctx.table(fmt.Sprintf("keys rotate: %d and %d records re-encrypted and committed in one commit (peer: keyed validate of the %d records)", small.files, large.files, large.files))
	vsValidate := float64(large.st.Wall) / float64(validateLarge.Wall)
	t.add(row{Metric: fmt.Sprintf("keys rotate, %d records (wall)", large.files), Dossier: fmtDur(large.st.Wall), Peer: fmtDur(validateLarge.Wall), Ratio: fmtRatio(vsValidate),
		Target: "same order (<= 10x), < 1 min", OK: ok(vsValidate <= 10 && large.st.Wall < time.Minute)})
	t.add(row{Metric: fmt.Sprintf("keys rotate, %d records (wall)", small.files), Dossier: fmtDur(small.st.Wall)})
	growth := float64(large.st.CPU) / float64(small.st.CPU)
	want := float64(large.files) / float64(small.files)
	t.add(row{Metric: fmt.Sprintf("keys rotate CPU, %d vs %d records", large.files, small.files), Dossier: fmtDur(large.st.CPU), Peer: fmtDur(small.st.CPU), Ratio: fmtRatio(growth),
		Target: fmt.Sprintf("linear: <= %.1fx", want*1.25), OK: ok(growth <= want*1.25)})
	t.add(row{Metric: fmt.Sprintf("keys rotate peak RSS, %d records", large.files), Dossier: fmtBytes(large.st.RSS)})
	ctx.print(t)
	return nil
}

func countLines(s string) int {
	if s == "" {
		return 0
	}
	n := 1
	for i := range len(s) {
		if s[i] == '\n' {
			n++
		}
	}
	return n
}
