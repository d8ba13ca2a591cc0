package main

import (
	"fmt"
	"strings"

	"github.com/vts/dossier/internal/request"
)

func init() {
	register(&command{
		name:    "erase",
		args:    "SUBJECT|PATH --request ID [--dry-run] [--format text|json]",
		summary: "erasure: remove a customer's or user's data at HEAD in one commit, keeping what the law retains",
		run:     runErase,
	})
}

func runErase(e *env, args []string) error {
	fs := flags(e, commands["erase"])
	id := fs.String("request", "", "the open erasure request this carries out")
	format := fs.String("format", "text", "output format: text or json")
	dry := fs.Bool("dry-run", false, "check everything and say what would be removed, cleared and kept, without changing anything")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := formatFlag(*format, "text", "json"); err != nil {
		return err
	}
	if len(pos) != 1 || *id == "" {
		return usageError("usage: dossier erase SUBJECT --request ID (SUBJECT is c-0042 or c-0042/u-0017)")
	}
	unlock, err := lockRepo(e, "erase")
	if err != nil {
		return err
	}
	defer unlock()
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	renv.DryRun = *dry
	subject, err := subjectArg(renv.WS, e.dir, pos[0])
	if err != nil {
		return err
	}
	res, err := renv.Erase(subject, *id)
	if err != nil {
		return requestError(err)
	}
	if *format == "json" {
		return encodeJSON(e.stdout, erasedOut(subject, res))
	}
	printErased(e, res)
	return nil
}

func printErased(e *env, res *request.Erased) {
	for _, p := range res.Removed {
		fmt.Fprintf(e.stdout, "removed  %s\n", p)
	}
	for _, p := range res.Cleared {
		fmt.Fprintf(e.stdout, "cleared  %s (references to the user removed)\n", p)
	}
	for _, m := range res.Mentions {
		if m.Removed > 0 {
			fmt.Fprintf(e.stdout, "removed  %s from %s (%s)\n", count(m.Removed, "mention", "mentions"), m.Path, strings.Join(m.Fields, ", "))
		}
		if len(m.Dropped) > 0 {
			fmt.Fprintf(e.stdout, "         %s: left out %s, which held only the user's value and cannot hold the marker\n", m.Path, strings.Join(m.Dropped, ", "))
		}
		if len(m.Retained) > 0 {
			fmt.Fprintf(e.stdout, "retained mentions in %s (%s): the record's legal retention keeps these fields\n", m.Path, strings.Join(m.Retained, ", "))
		}
	}
	if n := len(res.NotSearched); n > 0 {
		for _, p := range res.NotSearched {
			fmt.Fprintf(e.stdout, "not searched %s (no key opens it)\n", p)
		}
		for _, p := range res.NotCleared {
			fmt.Fprintf(e.stdout, "not cleared  %s (it still refers to the user; no key opens it)\n", p)
		}
		fmt.Fprintf(e.stderr, "dossier: warning: %s of the customer could not be searched for the user's name, e-mail, phone or logins, for want of a key; a key holder must check and correct them (listed as unsearched in ledger/%s.yaml)\n", count(n, "record", "records"), res.Request.ID)
	}
	for _, k := range res.Kept {
		until := "until " + k.Until
		if k.Running {
			until = "until " + k.Until + " (still running: the period starts when it ends)"
		}
		if k.DateSet != "" {
			until += " (" + k.DateField + " was empty: set to " + k.DateSet + ", the erasure date, so that the period runs out)"
		}
		fmt.Fprintf(e.stdout, "kept     %s, minimised: %s, %s\n", k.Path, k.Basis, until)
	}
	if res.Commit == "" {
		fmt.Fprintf(e.stdout, "dry run: nothing was changed; %s stays open (%s of erased data would be recorded)\n", res.Request.ID, count(len(res.Request.ErasedObjects), "object id", "object ids"))
		return
	}
	fmt.Fprintf(e.stdout, "%s closed (commit %s): %s of erased data recorded in %s for \"dossier purge --request %s\"\n",
		res.Request.ID, res.Commit[:12], count(len(res.Request.ErasedObjects), "object id", "object ids"), "ledger/"+res.Request.ID+".yaml", res.Request.ID)
}
