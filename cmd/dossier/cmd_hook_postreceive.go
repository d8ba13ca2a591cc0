package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/server"
)

func init() { hookRuns["post-receive"] = hookPostReceive }

// hookPostReceive makes the git server forget after an accepted purge push
// (server.PostReceive). The push is in whatever happens here, so a failure
// tells the pusher what an admin must do on the server.
func hookPostReceive(e *env, args []string) error {
	if len(args) != 0 {
		return usageError("usage: dossier hook post-receive (reads \"<old> <new> <ref>\" lines on stdin)")
	}
	updates, err := server.ParseUpdates(e.stdin)
	if err != nil {
		return err
	}
	gitDir := server.ServerDir(e.dir)
	res, err := server.PostReceive(gitDir, updates)
	if err != nil {
		hint := fmt.Sprintf("the push was accepted, but the server may still hold erased objects: an admin runs \"dossier purge --all-pending\" in %s", gitDir)
		if errors.Is(err, purge.ErrRefused) {
			return withHint(err, hint)
		}
		return &failure{kind: kindInternal, msg: err.Error(), hints: []string{hint}}
	}
	if res == nil {
		return nil // an ordinary push: nothing was rewritten
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
