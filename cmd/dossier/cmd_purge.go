package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/repo"
)

func init() {
	register(&command{
		name:    "purge",
		args:    "--request ID [--request ID...] | --all-pending [--map FILE]",
		summary: "remove erased data from all history: rewrite branches and tags, expire reflogs, drop the stash, prune",
		run:     runPurge,
	})
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runPurge(e *env, args []string) error {
	fs := flags(e, commands["purge"])
	var ids listFlag
	fs.Var(&ids, "request", "the erasure request to purge (repeatable)")
	all := fs.Bool("all-pending", false, "purge every erasure that is done and not purged yet")
	mapFile := fs.String("map", "", "write the old->new commit map to FILE (default .git/dossier/purge-ID-map.txt)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (len(ids) == 0) == !*all {
		return usageError("purge takes --request ID or --all-pending")
	}
	root, err := repo.Find(e.dir)
	if err != nil {
		return openErr(err)
	}
	opts := purge.Options{Requests: ids, AllPending: *all, MapFile: *mapFile, Progress: progress.Terminal(e.stderr),
		CrashAt: os.Getenv("DOSSIER_PURGE_CRASH")} // test only, see purge.Options
	if opts.MapFile != "" && !filepath.IsAbs(opts.MapFile) {
		opts.MapFile = filepath.Join(e.dir, opts.MapFile)
	}
	res, err := purge.Run(root, opts)
	if errors.Is(err, purge.ErrRefused) {
		return refused("%s; nothing was changed", strings.TrimPrefix(err.Error(), purge.ErrRefused.Error()+": "))
	}
	if err != nil {
		return err
	}
	if res.NoPending {
		fmt.Fprintln(e.stdout, "nothing to purge: every done erasure is purged already")
		return nil
	}
	ids = res.Requests
	if res.Resumed {
		fmt.Fprintf(e.stdout, "finished an interrupted purge of %s\n", strings.Join(ids, ", "))
	}
	fmt.Fprintf(e.stdout, "purged %s from history: %d commits rewritten (%d dropped as empty), %d refs changed\n",
		strings.Join(ids, ", "), res.Commits, res.Dropped, len(res.Refs))
	fmt.Fprintf(e.stdout, "commit map (old new): %s\n", res.MapFile)
	fmt.Fprintf(e.stdout, `
NOTICE for everyone who holds a clone, mirror or fork of this repository:
history was rewritten to honour erasure request %s. An old clone still
holds the erased data and must not be pushed or pulled again.
  - delete your clone and clone the repository afresh;
  - the server needs this history force-pushed (its hook accepts the old tips
    recorded in the ledger), then "dossier verify-erasure" there;
  - backups: run "dossier backup" to purge every mirror.
Next: dossier verify-erasure %s
`, strings.Join(ids, ", "), ids[0])
	return nil
}
