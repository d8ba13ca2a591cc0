package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vts/dossier/internal/githook"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/purge"
)

func init() { hookRuns["post-receive"] = hookPostReceive }

// hookPostReceive makes the git server forget after an accepted purge push.
// pre-receive accepts a rewrite or deletion only as a purge it recomputed,
// but the old objects stay in the server's object database (reflogs, packs,
// refs nobody pushed, such as an old tag) until something prunes them:
// this does, without anyone logging in to the server. An ordinary push
// costs one "git merge-base" per updated ref.
func hookPostReceive(e *env, args []string) error {
	if len(args) != 0 {
		return usageError("usage: dossier hook post-receive (reads \"<old> <new> <ref>\" lines on stdin)")
	}
	updates, err := githook.ParseUpdates(e.stdin)
	if err != nil {
		return err
	}
	gitDir := githook.ServerDir(e.dir)
	if !githook.Rewrote(gitDir, updates) {
		return nil
	}
	now, err := ledger.Today()
	if err != nil {
		return usageError("%v", err)
	}
	res, err := purge.Run(gitDir, purge.Options{Forget: true, Now: now})
	if errors.Is(err, purge.ErrRefused) {
		return refused("after the purge push the server could not forget the erased objects: %s; an admin runs \"dossier purge --all-pending\" in %s",
			strings.TrimPrefix(err.Error(), purge.ErrRefused.Error()+": "), gitDir)
	}
	if err != nil {
		return fmt.Errorf("after the purge push, forgetting the erased objects in %s: %w", gitDir, err)
	}
	if res.NoPending {
		fmt.Fprintln(e.stderr, "dossier: history was rewritten, but no purge is recorded: nothing to forget")
		return nil
	}
	fmt.Fprintf(e.stderr, "dossier: the server forgot the erased objects of %s (reflogs expired, old objects pruned; %d other refs rewritten)\n",
		strings.Join(res.Requests, ", "), len(res.Refs))
	for _, b := range res.Skipped {
		fmt.Fprintf(e.stderr, "dossier: WARNING: %s still holds erased objects; an admin runs \"dossier purge --all-pending\" in %s\n", b, gitDir)
	}
	return nil
}
