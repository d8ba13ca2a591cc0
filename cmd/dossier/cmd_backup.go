package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vts/dossier/internal/backup"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/settings"
	"github.com/vts/dossier/internal/sopsfile"
)

func init() {
	register(&command{
		name:    "backup",
		args:    "[--format text|json] [NAME] | verify [NAME]",
		summary: "mirror every ref to the offline backups in dossier.yaml, apply pending purges there and verify; \"backup verify\" only checks",
		run:     runBackup,
	})
}

func runBackup(e *env, args []string) error {
	fs := flags(e, commands["backup"])
	format := fs.String("format", "text", "output format: text or json (one object listing every remote, for monitoring)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := formatFlag(*format, "text", "json"); err != nil {
		return err
	}
	asJSON := *format == "json"
	verify := len(pos) > 0 && pos[0] == "verify"
	if verify {
		pos = pos[1:]
	}
	if len(pos) > 1 {
		return usageError("backup takes at most one remote name")
	}
	root, err := repo.Find(e.dir)
	if err != nil {
		return openErr(err)
	}
	s, err := settings.Load(root)
	if err != nil {
		return refused("%v", err)
	}
	// Files encrypted to a cloud key service would put data keys on the
	// internet: a backup of them is refused, naming the rule
	// (sopsfile.CloudKMSError). Rules that do not parse are refused too:
	// nobody could tell who can read the copy.
	if _, err := sopsfile.LoadRules(root); err != nil {
		return refused("backup refused: %v", err)
	}
	if err := knownRemotes(s, pos); err != nil {
		return err
	}
	remotes, err := backup.Select(s, pos)
	if err != nil {
		return refused("%v", err)
	}
	reqs, err := ledger.All(root)
	if err != nil {
		return refused("reading the ledger: %v", err)
	}
	op := backup.OpBackup
	if verify {
		op = backup.OpVerify
	}
	lock, err := backup.LockMirrors(root, remotes, op)
	if err != nil {
		return refused("%v", err)
	}
	defer lock.Release()
	opts := backup.Options{Root: root, Ledger: reqs}
	opts.Progress = progress.Terminal(e.stderr)
	failed := false
	out := backupJSON{FormatVersion: jsonVersion, Operation: "backup", Remotes: []remoteJSON{}}
	if verify {
		out.Operation = "verify"
	}
	for _, r := range remotes {
		// A run that completed but found the mirror wrong returns
		// backup.Findings; any other error stops the command.
		var findings backup.Findings
		if verify {
			rep, err := backup.Verify(opts, r)
			if !errors.As(err, &findings) && err != nil {
				return refused("%s: %v", r.Name, err)
			}
			if asJSON {
				out.Remotes = append(out.Remotes, verifyOut(r, rep, findings.Texts()))
			} else {
				printVerify(e.stdout, rep)
			}
		} else {
			res, err := backup.Run(opts, r)
			if !errors.As(err, &findings) && err != nil {
				return refused("%s: %v", r.Name, err)
			}
			if asJSON {
				out.Remotes = append(out.Remotes, backupOut(r, res, findings.Texts()))
			} else {
				printBackup(e.stdout, res, findings == nil)
			}
		}
		for _, p := range findings {
			fmt.Fprintf(e.stderr, "dossier: %s: %s\n", r.Name, p.Text)
		}
		if findings.Has(backup.Damaged) {
			fmt.Fprintf(e.stderr, "dossier: %s: the mirror is damaged: move it aside and run \"dossier backup %s\" to write a new one\n", r.Name, r.Name)
		}
		failed = failed || findings != nil
	}
	if asJSON {
		out.OK = !failed
		if err := encodeJSON(e.stdout, out); err != nil {
			return err
		}
	}
	if failed {
		return silentFailure(exitFindings)
	}
	return nil
}

func where(r *backup.Remote) string {
	if r.SSH() {
		return r.URL
	}
	return r.Path
}

func printBackup(w io.Writer, res *backup.Result, ok bool) {
	if res == nil {
		return
	}
	name := res.Remote.Name
	state := "updated"
	if res.Created {
		state = "created"
	}
	fmt.Fprintf(w, "%s: %s %s: %d ref(s) updated, %d deleted\n", name, where(res.Remote), state, len(res.Updated), len(res.Deleted))
	if len(res.Applied) > 0 {
		fmt.Fprintf(w, "%s: purges applied: %s (their objects deleted from the mirror)\n", name, strings.Join(res.Applied, ", "))
	}
	if ok {
		// Say exactly what was read back, so that "verified" means what
		// it says: the packs re-read and hashed, and whether every object
		// was also walked from the refs.
		pc := res.Packs
		check := fmt.Sprintf("%d pack file(s) re-read and hashed (%s, %d objects), the new objects among them", pc.Packs, sizeText(pc.Bytes), pc.Objects)
		if pc.Trusted > 0 {
			check += fmt.Sprintf("; %d older pack file(s) (%s) unchanged since hashed in the last %d runs, next one due in %d run(s)",
				pc.Trusted, sizeText(pc.TrustedBytes), backup.RecheckRuns, pc.DueIn)
		}
		if pc.Fsck {
			check = "every pack and loose object read and hashed by git fsck --full on " + res.Remote.Host
		}
		if pc.Loose > 0 {
			check += fmt.Sprintf(", %d loose object(s) not re-read", pc.Loose)
		}
		if res.FullCheck {
			check += ", every object reachable from the refs read and hashed"
			if res.Checked > 0 {
				check += fmt.Sprintf(" (%d)", res.Checked)
			}
		}
		fmt.Fprintf(w, "%s: verified: refs equal, %s, no purged object present; HEAD %s %.12s\n", name, check, res.Head, res.HeadCommit)
	}
	printUnpurged(w, name, res.Unpurged)
}

func printVerify(w io.Writer, rep *backup.Report) {
	if rep == nil {
		return
	}
	name := rep.Remote.Name
	if rep.Manifest != nil {
		fmt.Fprintf(w, "%s: last backup %s, HEAD %s %.12s, purges applied: %d\n", name, rep.Manifest.Time, rep.Manifest.Head, rep.Manifest.HeadCommit, len(rep.Manifest.Applied))
	} else {
		fmt.Fprintf(w, "%s: no manifest: this mirror was not written by a completed \"dossier backup\"\n", name)
	}
	objects := "every reachable object"
	if rep.Checked > 0 {
		objects = fmt.Sprintf("every reachable object (%d)", rep.Checked)
	}
	fmt.Fprintf(w, "%s: %s: checked refs, purged objects and %s\n", name, where(rep.Remote), objects)
	printUnpurged(w, name, rep.Unpurged)
}

func printUnpurged(w io.Writer, name string, ids []string) {
	if len(ids) > 0 {
		fmt.Fprintf(w, "%s: erased but not yet purged in the live repository, so still in its history and this backup: %s (run \"dossier purge --request ID\", then back up again)\n", name, strings.Join(ids, ", "))
	}
}

// sizeText is a byte count for a person.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// knownRemotes refuses a remote name dossier.yaml does not list, as a
// usage error suggesting the nearest name.
func knownRemotes(s *settings.Settings, names []string) error {
	var known []string
	for _, b := range s.Backups {
		known = append(known, b.Name)
	}
	for _, n := range names {
		if slices.Contains(known, n) {
			continue
		}
		err := usageError("no backup remote named %q in %s", n, settings.File)
		if len(known) > 0 {
			err = withHint(err, "remotes: "+strings.Join(known, ", "))
		}
		if sug := suggest(n, known); sug != "" {
			err = withHint(err, fmt.Sprintf("did you mean %q?", sug))
		}
		return err
	}
	return nil
}
