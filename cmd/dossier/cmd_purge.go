package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/repo"
)

func init() {
	register(&command{
		name:    "purge",
		args:    "--request ID [--request ID...] | --all-pending [--map FILE] [--git-dir BARE-REPO]",
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
	gitDir := fs.String("git-dir", "", "purge this bare repository (the git server's) instead of the work tree here")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (len(ids) == 0) == !*all {
		return usageError("purge takes --request ID or --all-pending")
	}
	root, err := purgeRoot(e, *gitDir)
	if err != nil {
		return err
	}
	unlock, err := lockRoot(e, root, "purge")
	if err != nil {
		return err
	}
	defer unlock()
	now, err := ledger.Today()
	if err != nil {
		return usageError("%v", err)
	}
	opts := purge.Options{Requests: ids, AllPending: *all, MapFile: *mapFile, Progress: progress.Terminal(e.stderr),
		Now: now, CrashAt: os.Getenv("DOSSIER_PURGE_CRASH")} // test only, see purge.Options
	if opts.MapFile != "" && !filepath.IsAbs(opts.MapFile) {
		opts.MapFile = filepath.Join(e.dir, opts.MapFile)
	}
	res, err := purge.Run(root, opts)
	var re *purge.RefusedError
	switch {
	case errors.As(err, &re) && err == error(re):
		return refused("%s; nothing was changed", re.Reason)
	case errors.As(err, &re):
		// A refusal with more to say (a temporary pack that could not be
		// removed): all of it is shown, and "nothing was changed" is not
		// claimed.
		return refused("%v", err)
	case err != nil:
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
	if !res.Rewritten() {
		fmt.Fprintf(e.stdout, "nothing in history held the erased objects: no ref changed, clones need nothing\n")
		return nil
	}
	fmt.Fprintf(e.stdout, "commit map (old new): %s\n", res.MapFile)
	if res.Branch != "" {
		fmt.Fprintf(e.stdout, "the purge is recorded on %s\n", strings.TrimPrefix(res.Branch, "refs/heads/"))
	}
	fmt.Fprintf(e.stdout, `
NOTICE for everyone who holds a clone, mirror or fork of this repository:
history was rewritten to honour erasure request %s. An old clone still
holds the erased data and must not be pushed or pulled again.
  - delete your clone and clone the repository afresh;
  - the server needs this history force-pushed, branches and tags
    ("git push --force origin --all" and "git push --force origin --tags"):
    its hook recomputes the purge from its own history and ledger and
    accepts exactly that; or an admin runs "dossier purge --request ID" in
    the server's bare repository; then "dossier verify-erasure" there;
  - backups: run "dossier backup" to purge every mirror.
Next: dossier verify-erasure %s
`, strings.Join(ids, ", "), ids[0])
	return nil
}

// purgeRoot is where a purge runs: the bare repository --git-dir names, or
// the records repository around the working directory, or the working
// directory itself when it is a bare repository (an admin on the git
// server, "cd /srv/git/records.git && dossier purge ...").
func purgeRoot(e *env, gitDir string) (string, error) {
	if gitDir != "" {
		if !filepath.IsAbs(gitDir) {
			gitDir = filepath.Join(e.dir, gitDir)
		}
		if !purge.IsBare(gitDir) {
			return "", refused("%s is not a bare git repository (--git-dir names the server's repository, e.g. /srv/git/records.git)", gitDir)
		}
		return gitDir, nil
	}
	root, err := repo.Find(e.dir)
	if err == nil {
		return root, nil
	}
	if purge.IsBare(e.dir) {
		return e.dir, nil
	}
	return "", openErr(err)
}
