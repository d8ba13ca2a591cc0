package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func init() { registerBench("edits", 31, benchEdits) }

// benchEdits is issue 14's benchmark of the everyday writes: "dossier
// correct" (one field of one user, committed with its request) and
// "dossier new" (one record, encrypted and written) at 500 and at 2,000
// customers with the same history. Both should be flat: their work
// follows the record, never the width of the repository. CPU time is
// compared (the machine is shared), best of five.
func benchEdits(ctx *benchContext) error {
	small, large := ctx.scale(500, 50), ctx.scale(2000, 200)
	commits := ctx.scale(200, 20)
	const samples = 5
	type result struct{ correct, create time.Duration }
	results := map[int]result{}
	for _, n := range []int{small, large} {
		r, dir, err := ctx.workCopy(genOptions{Customers: n, Commits: commits})
		if err != nil {
			return err
		}
		work := filepath.Dir(dir) // beside the repository, outside its work tree
		dossier := func(args ...string) (string, time.Duration, error) {
			cmd := ctx.command(dir, "dossier", args...)
			var out bytes.Buffer
			cmd.Stdout = &out
			st, err := runStats(cmd)
			return out.String(), st.CPU, err
		}
		var res result
		for i := range samples {
			ci := (i + 1) * len(r.Customers) / (samples + 1)
			c := r.Customers[ci]
			user := ""
			for _, rel := range r.Records(ci) {
				if strings.Contains(rel, "/users/") {
					user = strings.TrimSuffix(filepath.Base(rel), ".yaml")
					break
				}
			}
			subject := c + "/" + user
			out, _, err := dossier("requests", "open", "--type", "rectification", "--subject", subject)
			if err != nil {
				return err
			}
			id := strings.Fields(out)[0]
			_, cpu, err := dossier("correct", subject, "--set", "role=admin", "--request", id)
			if err != nil {
				return err
			}
			ctx.logf("%d customers: correct %s: %s CPU", n, subject, fmtDur(cpu))
			if res.correct == 0 || cpu < res.correct {
				res.correct = cpu
			}

			// new: a user record from a plaintext file outside the work tree.
			plain := filepath.Join(work, fmt.Sprintf("new-%d.yaml", i))
			uid := fmt.Sprintf("u-9%04d", i)
			body := fmt.Sprintf("kind: user\nid: %s\ncustomer: %s\nfull_name: Bench Person\nemail: bench.person@example.invalid\nrole: staff\nactive: true\n", uid, c)
			if err := os.WriteFile(plain, []byte(body), 0o600); err != nil {
				return err
			}
			_, cpu, err = dossier("new", "--from", plain, "user", filepath.Join("records", c, "users", uid+".yaml"))
			if err != nil {
				return err
			}
			ctx.logf("%d customers: new %s/%s: %s CPU", n, c, uid, fmtDur(cpu))
			if res.create == 0 || cpu < res.create {
				res.create = cpu
			}
		}
		results[n] = res
	}
	t := ctx.table(fmt.Sprintf("correct and new: one record at %d customers (dossier) vs %d customers (peer column), %d commits of history each, CPU, best of %d", large, small, commits+1, samples))
	for _, m := range []struct {
		name string
		a, b time.Duration
	}{
		{"correct one user (commit with the request)", results[large].correct, results[small].correct},
		{"new one user record", results[large].create, results[small].create},
	} {
		ratio := float64(m.a) / float64(m.b)
		t.add(row{Metric: m.name, Dossier: fmtDur(m.a), Peer: fmtDur(m.b), Ratio: fmtRatio(ratio), Target: "<= 1.5x (flat)", OK: ok(ratio <= 1.5)})
	}
	ctx.print(t)
	return nil
}
