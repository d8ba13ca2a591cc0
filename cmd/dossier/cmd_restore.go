package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/backup"
)

func init() {
	register(&command{
		name:    "restore",
		args:    "--from MIRROR [--ledger FILE_OR_DIR] DIR",
		summary: "make a working repository from a backup mirror and re-apply every erasure the backup predates",
		run:     runRestore,
	})
}

func runRestore(e *env, args []string) error {
	fs := flags(e, commands["restore"])
	from := fs.String("from", "", "the backup mirror: a bare repository on a mounted disk (path or file:// URL)")
	ledgerArg := fs.String("ledger", "", "the newest ledger: a ledger file, a ledger/ folder or a records repository (default: the backup's own)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *from == "" || len(pos) != 1 {
		return usageError("usage: dossier restore --from MIRROR [--ledger FILE_OR_DIR] DIR")
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) || strings.HasPrefix(p, "file://") {
			return p
		}
		return filepath.Join(e.dir, p)
	}
	var newest *backup.Ledger
	if *ledgerArg != "" {
		if newest, err = backup.LoadLedger(abs(*ledgerArg)); err != nil {
			return refused("%v", err)
		}
	}
	src := &backup.Remote{Name: "--from", URL: *from, Path: strings.TrimPrefix(abs(*from), "file://")}
	lock, err := backup.LockMirrors("", []*backup.Remote{src}, backup.OpRestore)
	if err != nil {
		return refused("restore: %v", err)
	}
	defer lock.Release()
	res, err := backup.Restore(abs(*from), abs(pos[0]), newest)
	if err != nil {
		return refused("restore: %v", err)
	}
	fmt.Fprintf(e.stdout, "restored %s from %s: %d ref(s), HEAD %s\n", res.Dir, *from, res.Refs, res.Head)
	if len(res.Reapplied) == 0 {
		fmt.Fprintln(e.stdout, "no erasure to re-apply: the backup already holds every erasure in the ledger")
		return nil
	}
	fmt.Fprintf(e.stdout, "re-applied erasures the backup predates: %s\n", strings.Join(res.Reapplied, ", "))
	for _, p := range res.Removed {
		fmt.Fprintf(e.stdout, "  removed at HEAD: %s\n", p)
	}
	if len(res.Ledger) > 0 {
		fmt.Fprintf(e.stdout, "  ledger brought up to date: %s\n", strings.Join(res.Ledger, ", "))
	}
	if res.Commit != "" {
		fmt.Fprintf(e.stdout, "  erasure commit %.12s\n", res.Commit)
	}
	if res.Objects > 0 {
		fmt.Fprintf(e.stdout, "  %d erased object(s) removed from history (%d commit(s) rewritten)\n", res.Objects, res.Rewritten)
	}
	return nil
}
