package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/backup"
	"github.com/vts/dossier/internal/proof"
)

func init() {
	register(&command{
		name:    "verify-erasure",
		args:    "ID [--mirror PATH...] [--git-dir BARE-REPO] [--format text|json]",
		summary: "prove that no object of an erasure survives in the repository or in the named mirrors",
		run:     runVerifyErasure,
	})
}

func runVerifyErasure(e *env, args []string) error {
	fs := flags(e, commands["verify-erasure"])
	var mirrors listFlag
	fs.Var(&mirrors, "mirror", "also check this bare repository (repeatable)")
	gitDir := fs.String("git-dir", "", "check this bare repository (the git server's) instead of the work tree here")
	format := fs.String("format", "text", "output format: text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := formatFlag(*format, "text", "json"); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("verify-erasure takes one request id (e.g. DSR-2026-0042)")
	}
	root, err := purgeRoot(e, *gitDir)
	if err != nil {
		return openErr(err)
	}
	// A mirror is read under the backup lock, shared with other readers:
	// a backup pruning it meanwhile would make the proof unreliable.
	var remotes []*backup.Remote
	for _, m := range mirrors {
		remotes = append(remotes, &backup.Remote{Name: m, URL: m, Path: m})
	}
	lock, err := backup.LockMirrors(root, remotes, backup.OpProof)
	if err != nil {
		return refused("%v", err)
	}
	defer lock.Release()
	p, err := proof.Verify(root, pos[0], mirrors)
	if err != nil {
		// A request that cannot be verified (not an erasure, not in the
		// ledger) is a refusal, exit 1; a repository git cannot read is a
		// failure, exit 2: no proof either way, and not the person's doing.
		return err
	}
	if *format == "json" {
		if err := encodeJSON(e.stdout, proofOut(p)); err != nil {
			return err
		}
		if !p.OK() {
			return silentFailure(exitFindings)
		}
		return nil
	}
	id := p.Request.ID
	for _, s := range p.Stores {
		for _, o := range s.Survivors {
			fmt.Fprintf(e.stdout, "SURVIVES %s: object %s of %s is still in %s (run \"dossier purge --request %s\" there)\n", s.Name, o, id, s.GitDir, id)
		}
		for _, h := range s.PathHits {
			fmt.Fprintf(e.stdout, "SURVIVES %s: %s is in commit %s (run \"dossier purge --request %s\" there)\n", s.Name, h.Path, h.Commit, id)
		}
		for _, o := range s.Identified {
			fmt.Fprintf(e.stdout, "SURVIVES %s: object %s identifies %s by its kind, id and customer, and is not in the ledger's list (run \"dossier purge --request %s\" there)\n", s.Name, o, p.Request.Subject, id)
		}
		for _, f := range s.Files {
			fmt.Fprintf(e.stdout, "SURVIVES %s: %s holds a copy of a record of %s (run \"dossier purge --request %s\" there)\n", s.Name, filepath.Join(s.GitDir, f), p.Request.Subject, id)
		}
	}
	verdict := "PASS"
	if !p.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(e.stdout, "verify-erasure %s (subject %s): %s\n", id, p.Request.Subject, verdict)
	fmt.Fprintf(e.stdout, "  %s, %s checked\n", count(p.Objects, "erased object", "erased objects"), count(len(p.Paths), "erased path", "erased paths"))
	for _, s := range p.Stores {
		state := "none survives"
		if !s.OK() {
			state = fmt.Sprintf("%d objects and %d paths survive", len(s.Survivors)+len(s.Identified), len(s.PathHits))
		}
		fmt.Fprintf(e.stdout, "  %s: object database %s (%d packs, %d loose objects, reachable or not): %s; %d refs, %d commits checked\n",
			s.Name, s.GitDir, s.Packs, s.Loose, state, s.Refs, s.Commits)
		fmt.Fprintf(e.stdout, "  %s: by identity: %s read, %s, %s beside the object database\n",
			s.Name, count(s.Blobs, "blob", "blobs"), count(len(s.Identified), "unlisted version", "unlisted versions"), count(len(s.Files), "copy", "copies"))
		if len(s.Alternates) > 0 {
			fmt.Fprintf(e.stdout, "  %s: borrows objects from %s (scanned too)\n", s.Name, strings.Join(s.Alternates, ", "))
		}
	}
	if !p.OK() {
		return silentFailure(exitFindings)
	}
	return nil
}
