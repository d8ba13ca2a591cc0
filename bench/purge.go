package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/ledger"
)

func init() { registerBench("purge", 30, benchPurge) }

// benchPurge is issue 5's benchmark: remove one customer from all history
// of a 20,000-commit, 50,000-record repository with "dossier purge" and with
// "git filter-repo --invert-paths --path records/<customer>" on identical
// copies, both including their cleanup (reflog expiry, repack, prune),
// and check that both give the same tree.
func benchPurge(ctx *benchContext) error {
	r, err := ctx.repo(genOptions{Customers: ctx.scale(2000, 100), PerCustomer: 25, Commits: ctx.scale(20000, 500)})
	if err != nil {
		return err
	}
	cust := r.Customers[len(r.Customers)/3]
	id := "DSR-2026-0001"
	base, err := ctx.dir("copies")
	if err != nil {
		return err
	}
	prep := filepath.Join(base, "erased")
	if err := cloneDir(r.Dir, prep); err != nil {
		return err
	}
	if err := eraseForBench(ctx, prep, cust, id); err != nil {
		return err
	}
	ours, peer := filepath.Join(base, "dossier"), filepath.Join(base, "filter-repo")
	for _, d := range []string{ours, peer} {
		if err := cloneDir(prep, d); err != nil {
			return err
		}
	}

	d, err := runStats(ctx.command(ours, "dossier", "purge", "--request", id))
	if err != nil {
		return err
	}
	ctx.logf("dossier purge: %s, CPU %s, peak RSS %s", fmtDur(d.Wall), fmtDur(d.CPU), fmtBytes(d.RSS))
	p, err := runStats(ctx.command(peer, "git", "filter-repo", "--force", "--invert-paths", "--path", "records/"+cust))
	if err != nil {
		return err
	}
	ctx.logf("git filter-repo: %s, CPU %s, peak RSS %s", fmtDur(p.Wall), fmtDur(p.CPU), fmtBytes(p.RSS))

	// Same result: the tree before dossier's ledger commit is filter-repo's.
	ourTree, err := ctx.git(ours, "rev-parse", "main~1^{tree}")
	if err != nil {
		return err
	}
	peerTree, err := ctx.git(peer, "rev-parse", "main^{tree}")
	if err != nil {
		return err
	}
	if ourTree != peerTree {
		return fmt.Errorf("dossier purge and git filter-repo disagree: tree %s vs %s", ourTree, peerTree)
	}
	v, err := runStats(ctx.command(ours, "dossier", "verify-erasure", id))
	if err != nil {
		return fmt.Errorf("verify-erasure after purge: %w", err)
	}
	ctx.logf("dossier verify-erasure: %s, peak RSS %s", fmtDur(v.Wall), fmtBytes(v.RSS))
	sv, err := benchServerCheck(ctx, base, prep, ours)
	if err != nil {
		return err
	}
	ctx.logf("pre-receive of the purge's force push: %s, peak RSS %s", fmtDur(sv.Wall), fmtBytes(sv.RSS))
	ourSize, _ := ctx.git(ours, "count-objects", "-vH")
	peerSize, _ := ctx.git(peer, "count-objects", "-vH")

	ratio := d.Wall.Seconds() / p.Wall.Seconds()
	t := ctx.table(fmt.Sprintf("purge: one customer (%s) out of %d commits, %d records (peer: git filter-repo --invert-paths, same copy)", cust, r.Commits, r.Files))
	t.add(row{Metric: "purge wall, cleanup included", Dossier: fmtDur(d.Wall), Peer: fmtDur(p.Wall), Ratio: fmtRatio(ratio), Target: "< 1.0", OK: ok(ratio < 1.0)})
	t.add(row{Metric: "purge CPU (user+sys, children included)", Dossier: fmtDur(d.CPU), Peer: fmtDur(p.CPU), Ratio: fmtRatio(d.CPU.Seconds() / p.CPU.Seconds())})
	t.add(row{Metric: "peak RSS (largest process)", Dossier: fmtBytes(d.RSS), Peer: fmtBytes(p.RSS), Target: "< 1 GB", OK: ok(d.RSS < 1e9)})
	t.add(row{Metric: "pack size after", Dossier: packSize(ourSize), Peer: packSize(peerSize)})
	t.add(row{Metric: "verify-erasure wall (every blob scanned by identity)", Dossier: fmtDur(v.Wall)})
	sr := sv.Wall.Seconds() / p.Wall.Seconds()
	t.add(row{Metric: "server: pre-receive recomputes the purge push", Dossier: fmtDur(sv.Wall), Peer: fmtDur(p.Wall), Ratio: fmtRatio(sr), Target: "<= 1.0", OK: ok(sr <= 1.0)})
	ctx.print(t)
	return nil
}

// benchServerCheck times the git server's pre-receive hook on the purge's
// force push of main: a bare copy of the history before the purge (prep)
// holds the purged objects unreferenced, as git's quarantine would, and
// the hook is fed the update line git would give it. It recomputes the
// purge from the server's own history and ledger and must accept.
func benchServerCheck(ctx *benchContext, base, prep, purged string) (stats, error) {
	srv := filepath.Join(base, "server.git")
	if _, err := ctx.git(base, "clone", "-q", "--bare", prep, srv); err != nil {
		return stats{}, err
	}
	oldTip, err := ctx.git(srv, "rev-parse", "refs/heads/main")
	if err != nil {
		return stats{}, err
	}
	newTip, err := ctx.git(purged, "rev-parse", "refs/heads/main")
	if err != nil {
		return stats{}, err
	}
	for _, args := range [][]string{{"fetch", "-q", purged, "main:refs/bench/purged"}, {"update-ref", "-d", "refs/bench/purged"}} {
		if _, err := ctx.git(srv, args...); err != nil {
			return stats{}, err
		}
	}
	cmd := ctx.command(srv, "dossier", "hook", "pre-receive")
	cmd.Stdin = strings.NewReader(strings.TrimSpace(oldTip) + " " + strings.TrimSpace(newTip) + " refs/heads/main\n")
	st, err := runStats(cmd)
	if err != nil {
		return st, fmt.Errorf("the server's pre-receive refused the purge push: %w", err)
	}
	return st, nil
}

// eraseForBench makes the erasure commit "dossier erase" makes, with git
// alone so the benchmark measures purge only: the customer's records
// removed at HEAD, its ledger entry listing every historical blob.
func eraseForBench(ctx *benchContext, dir, cust, id string) error {
	prefix := "records/" + cust
	raw, err := ctx.git(dir, "log", "--all", "-m", "--format=", "--raw", "--no-abbrev", "--", prefix)
	if err != nil {
		return err
	}
	objects := map[string]bool{}
	for _, line := range strings.Split(raw, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		for _, o := range f[2:4] {
			if strings.Trim(o, "0") != "" {
				objects[o] = true
			}
		}
	}
	files, err := ctx.git(dir, "ls-files", "--", prefix)
	if err != nil {
		return err
	}
	req := &ledger.Request{ID: id, Type: ledger.Erasure, Subject: cust, Received: "2026-01-05", Due: "2026-02-05",
		Status: ledger.Done, Done: "2026-01-10", ErasedPaths: strings.Fields(files)}
	for o := range objects {
		req.ErasedObjects = append(req.ErasedObjects, o)
	}
	sort.Strings(req.ErasedObjects)
	if err := req.Save(dir); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"rm", "-r", "-q", prefix},
		{"add", ledger.Path(id)},
		{"-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Erase " + cust + "\n\nDossier-Request: " + id + "\nDossier-Action: erasure\nDossier-Subject: " + cust + "\n"},
	} {
		if _, err := ctx.git(dir, args...); err != nil {
			return err
		}
	}
	ctx.logf("erased %s at HEAD: %d files, %d historical objects", cust, len(req.ErasedPaths), len(req.ErasedObjects))
	return nil
}

// packSize picks size-pack out of "git count-objects -vH".
func packSize(countObjects string) string {
	for _, line := range strings.Split(countObjects, "\n") {
		if v, ok := strings.CutPrefix(line, "size-pack: "); ok {
			return v
		}
	}
	return "?"
}
