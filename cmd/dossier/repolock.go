package main

import (
	"errors"
	"fmt"

	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/repolock"
)

// lockRepo takes the repository's writer lock for a command that writes
// it (see internal/repolock), waiting briefly for another writer; the
// caller defers the returned release. Refused: exit 1, nothing changed.
func lockRepo(e *env, cmd string) (func(), error) {
	root, err := repo.Find(e.dir)
	if err != nil {
		return nil, openErr(err)
	}
	return lockRoot(e, root, cmd)
}

// lockRoot is lockRepo for the repository at root: a work tree's root or a
// bare repository (the git server's, for purge and post-receive).
func lockRoot(e *env, root, cmd string) (func(), error) {
	l, err := repolock.Acquire(root, cmd, func(holder string) {
		fmt.Fprintf(e.stderr, "dossier: waiting for another dossier command to finish writing (%s)\n", holder)
	})
	var busy *repolock.BusyError
	if errors.As(err, &busy) {
		return nil, refused("%v; nothing was changed", err)
	}
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}
