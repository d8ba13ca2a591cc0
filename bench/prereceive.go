package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/sopsfile"
)

func init() { registerBench("prereceive", 20, benchPrereceive) }

// onePushes is how many 1-record pushes are timed, the best counted: one
// is a few process starts (git push, receive-pack, the hook, dossier),
// and on a shared machine any one of them can be slowed.
const onePushes = 9

// benchPrereceive is issue 4's benchmark: the git server's pre-receive
// hook on real pushes (git push to a bare clone whose hooks/pre-receive
// runs dossier) of 1 and 1,000 changed records, on a 5,000- and a
// 50,000-record repository, next to a full keyless validate of the same
// repository (what a hook that ignored the push range would cost). The
// hook's own time is taken inside the hook script; the push's wall time
// includes git's pack transfer.
func benchPrereceive(ctx *benchContext) error {
	sizes := []int{ctx.scale(200, 20), ctx.scale(2000, 200)} // customers of 25 records
	big := ctx.scale(1000, 100)
	t := ctx.table(fmt.Sprintf("pre-receive on real pushes, the server holding a ledger of %d erasures (%d erased object ids) (peer: full keyless validate of the repository, what an unranged hook costs); 1-record time is the best of %d pushes", ledgerErasures, ledgerErasures*ledgerObjects, onePushes))
	var one []time.Duration
	for _, customers := range sizes {
		r, err := ctx.repo(genOptions{Customers: customers})
		if err != nil {
			return err
		}
		res, err := prereceiveRun(ctx, r, big)
		if err != nil {
			return err
		}
		one = append(one, res.one)
		n := fmt.Sprintf("%d records", r.Files)
		t.add(row{Metric: "pre-receive, 1-record push, " + n, Dossier: fmtDur(res.one), Peer: fmtDur(res.validate), Ratio: fmtRatio(float64(res.validate) / float64(res.one)), Target: "< 150 ms", OK: ok(res.one < 150*time.Millisecond)})
		t.add(row{Metric: fmt.Sprintf("pre-receive, %d-record push, %s", big, n), Dossier: fmtDur(res.many), Peer: fmtDur(res.validate), Ratio: fmtRatio(float64(res.validate) / float64(res.many))})
		t.add(row{Metric: "git push wall (1 / " + strconv.Itoa(big) + " records), " + n, Dossier: fmtDur(res.pushOne) + " / " + fmtDur(res.pushMany)})
	}
	growth := float64(one[1]) / float64(one[0])
	t.add(row{Metric: "1-record pre-receive, large / small repository", Dossier: fmt.Sprintf("%.2fx", growth), Target: "flat (<= 1.5x)", OK: ok(growth <= 1.5)})
	ctx.print(t)
	return nil
}

type prereceiveResult struct {
	one, many, validate time.Duration // hook times, and the full validate
	pushOne, pushMany   time.Duration // git push wall times
}

// prereceiveRun sets up a bare server and a client copy of r, then pushes
// re-encrypted records (same content, new ciphertext and MAC, so every
// pushed file is a new valid blob) and reads the hook's own timing.
func prereceiveRun(ctx *benchContext, r *synthRepo, big int) (*prereceiveResult, error) {
	dir, err := ctx.dir(fmt.Sprintf("r%d", r.Files))
	if err != nil {
		return nil, err
	}
	server := filepath.Join(dir, "server.git")
	client := filepath.Join(dir, "client")
	timing := filepath.Join(dir, "hook-ns")
	if _, err := ctx.git(dir, "clone", "-q", "--bare", r.Dir, server); err != nil {
		return nil, err
	}
	hook := fmt.Sprintf("#!/bin/sh\ns=$(date +%%s%%N)\n%q hook pre-receive\nrc=$?\ne=$(date +%%s%%N)\necho $((e - s)) > %q\nexit $rc\n", ctx.Dossier, timing)
	if err := os.WriteFile(filepath.Join(server, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		return nil, err
	}
	if err := cloneDir(r.Dir, client); err != nil {
		return nil, err
	}
	if _, err := ctx.git(client, "remote", "add", "server", server); err != nil {
		return nil, err
	}
	if err := benchLedger(ctx, client); err != nil {
		return nil, err
	}
	// The bench process re-encrypts records itself with the TEST ONLY key.
	if err := os.Setenv("SOPS_AGE_KEY_FILE", r.KeyFile); err != nil {
		return nil, err
	}
	ids, err := sopsfile.LoadIdentities()
	if err != nil {
		return nil, err
	}
	rules, err := sopsfile.LoadRules(client)
	if err != nil {
		return nil, err
	}
	all := r.AllRecords()
	next := 0
	push := func(n int) (hookTime, wall time.Duration, err error) {
		for range n {
			rel := all[next%len(all)]
			next += 7919 // spread over customers
			if err := touchRecord(client, rel, ids, rules); err != nil {
				return 0, 0, fmt.Errorf("%s: %w", rel, err)
			}
		}
		if _, err := ctx.git(client, "add", "-A", "records"); err != nil {
			return 0, 0, err
		}
		if _, err := ctx.git(client, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", fmt.Sprintf("bench: %d records re-encrypted", n)); err != nil {
			return 0, 0, err
		}
		cmd := ctx.command(client, "git", "push", "-q", "server", "HEAD:main")
		wall, _, err = run(cmd)
		if err != nil {
			return 0, 0, err
		}
		data, err := os.ReadFile(timing)
		if err != nil {
			return 0, 0, err
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		return time.Duration(ns), wall, err
	}
	res := &prereceiveResult{}
	for i := range onePushes {
		h, w, err := push(1)
		if err != nil {
			return nil, err
		}
		ctx.logf("%d records: 1-record push %d: hook %s, push %s", r.Files, i+1, fmtDur(h), fmtDur(w))
		if i == 0 || h < res.one {
			res.one, res.pushOne = h, w
		}
	}
	if res.many, res.pushMany, err = push(big); err != nil {
		return nil, err
	}
	ctx.logf("%d records: %d-record push: hook %s, push %s", r.Files, big, fmtDur(res.many), fmtDur(res.pushMany))
	cmd := ctx.command(client, "dossier", "validate", "--keyless")
	if res.validate, _, err = run(cmd); err != nil {
		return nil, err
	}
	ctx.logf("%d records: full keyless validate %s", r.Files, fmtDur(res.validate))
	return res, nil
}

// ledgerErasures and ledgerObjects size the ledger the server holds while
// it is timed (issue 10): 1,000 erasures of 50 object ids each, so that the
// "erased stays erased" check has 50,000 ids to hold every push against.
const ledgerErasures, ledgerObjects = 1000, 50

// benchLedger commits and pushes a ledger of past erasures, of subjects
// the synthetic repository does not hold, before anything is timed.
func benchLedger(ctx *benchContext, client string) error {
	if err := os.MkdirAll(filepath.Join(client, ledger.Dir), 0o755); err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(10, uint64(ledgerErasures)))
	for i := range ledgerErasures {
		req := &ledger.Request{
			ID: fmt.Sprintf("DSR-2025-%04d", i+1), Type: ledger.Erasure, Subject: fmt.Sprintf("c-%04d/u-0001", 5000+i),
			Received: "2025-01-02", Due: "2025-02-02", Status: ledger.Done, Done: "2025-01-10",
			ErasedPaths: []string{fmt.Sprintf("records/c-%04d/users/u-0001.yaml", 5000+i)},
		}
		for range ledgerObjects {
			req.ErasedObjects = append(req.ErasedObjects, fmt.Sprintf("%016x%016x%08x", rnd.Uint64(), rnd.Uint64(), rnd.Uint32()))
		}
		data, err := req.Marshal()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(client, filepath.FromSlash(ledger.Path(req.ID))), data, 0o644); err != nil {
			return err
		}
	}
	if _, err := ctx.git(client, "add", ledger.Dir); err != nil {
		return err
	}
	if _, err := ctx.git(client, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "bench: a ledger of past erasures"); err != nil {
		return err
	}
	_, err := ctx.git(client, "push", "-q", "server", "HEAD:main")
	return err
}

// touchRecord encrypts a record again with a new data key, as "dossier
// keys rotate" does: same content, every ciphertext and the MAC new. (A
// re-encryption with the same key keeps the IVs of unchanged values, and
// within the second the record was generated it changes nothing at all.)
func touchRecord(root, rel string, ids *sopsfile.Identities, rules *sopsfile.Rules) error {
	path := filepath.Join(root, filepath.FromSlash(rel))
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := sopsfile.Decrypt(data, ids)
	if err != nil {
		return err
	}
	rule, err := rules.For(rel)
	if err != nil {
		return err
	}
	out, err := f.Rekey(rule)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
