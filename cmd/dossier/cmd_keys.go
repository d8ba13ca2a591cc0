package main

import (
	"fmt"

	"github.com/vts/dossier/internal/keyring"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/repo"
)

func init() {
	register(&command{
		name:    "keys",
		args:    "add RECIPIENT | remove RECIPIENT | rotate",
		summary: "change who can read the records: .sops.yaml and every record's data key, in one commit",
		run:     runKeys,
	})
}

func runKeys(e *env, args []string) error {
	fs := flags(e, commands["keys"])
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("usage: dossier keys add RECIPIENT | remove RECIPIENT | rotate")
	}
	op := pos[0]
	recipient := ""
	switch {
	case (op == keyring.Add || op == keyring.Remove) && len(pos) == 2:
		recipient = pos[1]
		if _, err := keyring.Field(recipient); err != nil {
			return usageError("%v", err)
		}
	case op == keyring.Rotate && len(pos) == 1:
	default:
		return usageError("usage: dossier keys add RECIPIENT | remove RECIPIENT | rotate")
	}
	unlock, err := lockRepo(e, "keys")
	if err != nil {
		return err
	}
	defer unlock()
	root, err := repo.Find(e.dir)
	if err != nil {
		return err
	}
	ids, err := loadIdentities()
	if err != nil {
		return err
	}
	if ids.Empty() {
		return withHint(refused("no age key found (looked in %s): re-encrypting needs a key that opens every record", ids.Where), "set SOPS_AGE_KEY_FILE to the file of a key that opens every record")
	}
	// A refusal (refusal.Is) exits 1; a failure to read, write or commit is
	// internal (exit 2).
	res, err := keyring.Change(root, ids, op, recipient, progress.Terminal(e.stderr))
	if err != nil {
		return err
	}
	switch op {
	case keyring.Add:
		fmt.Fprintf(e.stdout, "added %s: %s can now be opened with it (commit %s)\n", recipient, count(res.Files, "record", "records"), res.Commit.String()[:10])
	case keyring.Remove:
		fmt.Fprintf(e.stdout, "removed %s: %s re-encrypted with new data keys (commit %s)\n", recipient, count(res.Files, "record", "records"), res.Commit.String()[:10])
		fmt.Fprintln(e.stdout, "note: older versions in git history stay readable with the removed key; see \"dossier purge\"")
	default:
		fmt.Fprintf(e.stdout, "rotated: %s re-encrypted with new data keys (commit %s)\n", count(res.Files, "record", "records"), res.Commit.String()[:10])
	}
	return nil
}
