package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func init() { registerBench("backup", 40, benchBackup) }

// benchBackup is issue 6's benchmark: a full backup of the 50,000-record /
// 20,000-commit repository to a new mirror, and incremental backups of one
// new commit each, side by side with "git push --mirror" to an identical
// bare repository, plus peak RSS. The incremental backup is measured again
// on a small repository: its cost must not grow with the repository.
func benchBackup(ctx *benchContext) error {
	big, err := backupFigures(ctx, genOptions{Customers: ctx.scale(2000, 100), Commits: ctx.scale(20000, 500)}, "big")
	if err != nil {
		return err
	}
	small, err := backupFigures(ctx, genOptions{Customers: 50, Commits: 200}, "small")
	if err != nil {
		return err
	}
	t := ctx.table(fmt.Sprintf("backup: %d files / %d commits to a new mirror on the same disk (peer: git push --mirror to a bare repository)", big.files, big.commits))
	fullRatio := float64(big.full) / float64(big.gitFull)
	t.add(row{Metric: "full backup (push, verify, manifest)", Dossier: fmtDur(big.full), Peer: fmtDur(big.gitFull), Ratio: fmtRatio(fullRatio), Target: "<= 1.5x", OK: ok(fullRatio <= 1.5)})
	incRatio := float64(big.inc) / float64(big.gitInc)
	t.add(row{Metric: "incremental backup, one new commit (best of 5)", Dossier: fmtDur(big.inc), Peer: fmtDur(big.gitInc), Ratio: fmtRatio(incRatio), Target: "<= 1.0x", OK: ok(incRatio <= 1.0)})
	growth := float64(big.inc) / float64(small.inc)
	t.add(row{Metric: fmt.Sprintf("incremental: %d-commit repo vs %d-commit repo", big.commits, small.commits), Dossier: fmtDur(big.inc) + " vs " + fmtDur(small.inc), Peer: fmtDur(big.gitInc) + " vs " + fmtDur(small.gitInc), Ratio: fmtRatio(growth), Target: "<= 1.5x (does not grow)", OK: ok(growth <= 1.5)})
	t.add(row{Metric: "full backup peak RSS", Dossier: fmtBytes(big.fullRSS), Peer: fmtBytes(big.gitFullRSS)})
	t.add(row{Metric: "incremental backup peak RSS", Dossier: fmtBytes(big.incRSS), Peer: fmtBytes(big.gitIncRSS)})
	ctx.print(t)
	return nil
}

type backupRun struct {
	files, commits             int
	full, gitFull, inc, gitInc time.Duration
	fullRSS, gitFullRSS        int64
	incRSS, gitIncRSS          int64
}

func backupFigures(ctx *benchContext, opt genOptions, name string) (*backupRun, error) {
	r, err := ctx.repo(opt)
	if err != nil {
		return nil, err
	}
	dir, err := ctx.dir(name)
	if err != nil {
		return nil, err
	}
	live := filepath.Join(dir, "live")
	if err := cloneDir(r.Dir, live); err != nil {
		return nil, err
	}
	mirror := filepath.Join(dir, "dossier.git")
	settings := fmt.Sprintf("internal_hosts: []\nbackups:\n  - name: disk\n    url: %s\n", mirror)
	if err := os.WriteFile(filepath.Join(live, "dossier.yaml"), []byte(settings), 0o644); err != nil {
		return nil, err
	}
	if _, err := ctx.git(live, "commit", "-q", "--no-verify", "-m", "bench: backup settings", "dossier.yaml"); err != nil {
		return nil, err
	}
	res := &backupRun{files: r.Files, commits: r.Commits}
	gitPush := func(bare string) (time.Duration, int64, error) {
		return run(ctx.command(live, "git", "push", "--quiet", "--mirror", bare))
	}
	backup := func() (time.Duration, int64, error) {
		return run(ctx.command(live, "dossier", "backup"))
	}
	// Full: git, dossier, git, dossier, each to a new mirror; the first
	// run also warms the page cache. The machine is shared, so each side's
	// figure is its best run.
	var bares []string
	for i := range 2 {
		bare := filepath.Join(dir, fmt.Sprintf("git-%d.git", i))
		if _, err := ctx.git(dir, "init", "-q", "--bare", bare); err != nil {
			return nil, err
		}
		bares = append(bares, bare)
		wall, rss, err := gitPush(bare)
		if err != nil {
			return nil, err
		}
		ctx.logf("%s: git push --mirror (full) run %d: %s, peak RSS %s", name, i+1, fmtDur(wall), fmtBytes(rss))
		if i == 0 || wall < res.gitFull {
			res.gitFull = wall
		}
		res.gitFullRSS = max(res.gitFullRSS, rss)
		if err := os.RemoveAll(mirror); err != nil {
			return nil, err
		}
		dw, drss, err := backup()
		if err != nil {
			return nil, err
		}
		ctx.logf("%s: dossier backup (full) run %d: %s, peak RSS %s", name, i+1, fmtDur(dw), fmtBytes(drss))
		if i == 0 || dw < res.full {
			res.full = dw
		}
		res.fullRSS = max(res.fullRSS, drss)
	}

	// One new commit changing one record, then both incrementals.
	for i := range 5 {
		rec := r.AllRecords()[i*7%len(r.AllRecords())]
		f, err := os.OpenFile(filepath.Join(live, rec), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		_, err = fmt.Fprintf(f, "# bench edit %d\n", i)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		if _, err := ctx.git(live, "commit", "-q", "--no-verify", "-am", fmt.Sprintf("bench: edit %d", i)); err != nil {
			return nil, err
		}
		gw, grss, err := gitPush(bares[1])
		if err != nil {
			return nil, err
		}
		dw, drss, err := backup()
		if err != nil {
			return nil, err
		}
		ctx.logf("%s: incremental %d: dossier backup %s (peak RSS %s), git push --mirror %s (peak RSS %s)", name, i+1, fmtDur(dw), fmtBytes(drss), fmtDur(gw), fmtBytes(grss))
		if i == 0 || dw < res.inc {
			res.inc = dw
		}
		if i == 0 || gw < res.gitInc {
			res.gitInc = gw
		}
		res.incRSS, res.gitIncRSS = max(res.incRSS, drss), max(res.gitIncRSS, grss)
	}
	return res, nil
}
