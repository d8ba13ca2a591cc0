package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/backup"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/settings"
)

func init() {
	register(&command{
		name:    "restore",
		args:    "--from MIRROR (--ledger FILE_OR_DIR | --no-ledger) [--internal-host HOST] DIR",
		summary: "make a working repository from a backup mirror and re-apply every erasure the backup predates",
		run:     runRestore,
	})
}

func runRestore(e *env, args []string) error {
	fs := flags(e, commands["restore"])
	from := fs.String("from", "", "the backup mirror: a bare repository on a mounted disk (path or file:// URL) or on an internal host (ssh://[user@]host[:port]/path or [user@]host:path)")
	ledgerArg := fs.String("ledger", "", "the newest ledger: a ledger file, a ledger/ folder or a records repository (best: the live one, which also holds the versions its erasures wrote)")
	noLedger := fs.Bool("no-ledger", false, "there is no newer ledger than the backup's own: erasures made after the backup cannot be re-applied")
	var hosts listFlag
	fs.Var(&hosts, "internal-host", "an internal host an ssh --from may name, beside internal_hosts of the records repository you run in (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *from == "" || len(pos) != 1 {
		return usageError("usage: dossier restore --from MIRROR (--ledger FILE_OR_DIR | --no-ledger) [--internal-host HOST] DIR")
	}
	// A backup knows only the erasures made before it: restoring without
	// the newest ledger brings back everyone erased since, so it takes a
	// deliberate flag.
	if (*ledgerArg == "") == !*noLedger {
		return usageError("restore: give --ledger with the newest ledger (the live records repository, its ledger/ folder, or a copy of it), or --no-ledger if none survives: without it, erasures made after the backup cannot be re-applied")
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(e.dir, p)
	}
	url := *from
	if !isURL(url) {
		url = abs(url)
	}
	// An ssh mirror is read only from a host that counts as internal, by
	// the rules a backup is sent by (the public-service and public-IP
	// refusals included): the records repository around the working
	// directory lists them, or --internal-host on a machine without one.
	internal := []string(hosts)
	if root, err := repo.Find(e.dir); err == nil {
		s, err := settings.Load(root)
		if err != nil {
			return refused("restore: %v", err)
		}
		internal = append(internal, s.InternalHosts...)
	}
	src, err := backup.ParseRemote(settings.Backup{Name: "--from", URL: url}, internal)
	var rerr *backup.RefusedError
	if errors.As(err, &rerr) {
		err := refused("restore: --from %s refused: %s", rerr.URL, rerr.Rule)
		if rerr.Unlisted {
			err = withHint(err, "run the restore in the records repository whose dossier.yaml lists it, or pass --internal-host HOST")
		}
		return err
	} else if err != nil {
		return refused("restore: %v", err)
	}
	var newest *backup.Ledger
	if *ledgerArg != "" {
		if newest, err = backup.LoadLedger(abs(*ledgerArg)); err != nil {
			return refused("%v", err)
		}
	}
	lock, err := backup.LockMirrors("", []*backup.Remote{src}, backup.OpRestore)
	var busy *backup.BusyError
	if errors.As(err, &busy) {
		// The lock's own words say who holds it; the remote's name
		// ("--from") adds nothing.
		return refused("restore: %v", busy)
	} else if err != nil {
		return refused("restore: %v", err)
	}
	defer lock.Release()
	res, err := backup.Restore(src, abs(pos[0]), newest)
	if err != nil {
		return refused("restore: %v", err)
	}
	fmt.Fprintf(e.stdout, "restored %s from %s: %d ref(s), HEAD %s\n", res.Dir, *from, res.Refs, res.Head)
	if *noLedger {
		fmt.Fprintln(e.stderr, "dossier: WARNING: restored without a ledger (--no-ledger): erasures made after this backup was taken are NOT re-applied, and the restored repository may hold the data of people who asked to be erased. Find the newest ledger (the live repository, a copy of ledger/, another mirror) and restore again with --ledger.")
	}
	if len(res.Reapplied) == 0 {
		if *noLedger {
			fmt.Fprintln(e.stdout, "no erasure in the backup's own ledger to re-apply; erasures made after the backup are unknown without a ledger")
		} else {
			fmt.Fprintln(e.stdout, "no erasure to re-apply: the backup already holds every erasure in the ledger (checked at HEAD)")
		}
		return nil
	}
	fmt.Fprintf(e.stdout, "re-applied erasures the backup predates: %s\n", strings.Join(res.Reapplied, ", "))
	for _, p := range res.Removed {
		fmt.Fprintf(e.stdout, "  removed at HEAD: %s\n", p)
	}
	for _, p := range res.Rewritten {
		fmt.Fprintf(e.stdout, "  as the erasure left it: %s\n", p)
	}
	if len(res.Ledger) > 0 {
		fmt.Fprintf(e.stdout, "  ledger brought up to date: %s\n", strings.Join(res.Ledger, ", "))
	}
	if res.Commit != "" {
		fmt.Fprintf(e.stdout, "  erasure commit %.12s\n", res.Commit)
	}
	if res.Objects > 0 {
		fmt.Fprintf(e.stdout, "  %d erased object(s) removed from history (%d commit(s) rewritten)\n", res.Objects, res.Rewrote)
	}
	return nil
}

// isURL reports whether a --from is a URL or git's scp-like host:path
// rather than a local path: a colon before the first slash.
func isURL(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	i := strings.Index(s, ":")
	return i > 0 && !strings.Contains(s[:i], "/")
}
