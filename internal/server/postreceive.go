package server

import (
	"fmt"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/purge"
)

// PostReceive makes the git server forget after an accepted purge push,
// and returns what it did (nil when the push rewrote nothing). pre-receive
// accepts a rewrite or deletion only as a purge it recomputed, but the old
// objects stay in the server's object database (reflogs, packs, refs
// nobody pushed, such as an old tag) until something prunes them: this
// does, without anyone logging in to the server. An ordinary push costs
// one "git merge-base" per updated ref.
//
// A refused forget is a purge.ErrRefused error: the push is in, and an
// admin must run the purge on the server.
func PostReceive(gitDir string, updates []Update) (*purge.Result, error) {
	rewrote, err := Rewrote(gitDir, updates)
	if err != nil {
		return nil, fmt.Errorf("telling whether the push rewrote history: %w", err)
	}
	if !rewrote {
		return nil, nil
	}
	now, err := ledger.Today()
	if err != nil {
		return nil, err
	}
	res, err := purge.Run(gitDir, purge.Options{Forget: true, Now: now})
	if err != nil {
		return nil, fmt.Errorf("after the purge push, forgetting the erased objects in %s: %w", gitDir, err)
	}
	return res, nil
}
