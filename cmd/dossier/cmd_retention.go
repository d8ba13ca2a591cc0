package main

import (
	"encoding/json"
	"fmt"
)

func init() {
	register(&command{
		name:    "retention",
		args:    "[--customer ID] [--format text|json] | --apply --request ID [--dry-run]",
		summary: "records whose retention period has run out (exit 1 if any, for a daily alert); --apply erases them in one commit",
		run:     runRetention,
	})
}

func runRetention(e *env, args []string) error {
	fs := flags(e, commands["retention"])
	apply := fs.Bool("apply", false, "erase the records listed, closing a retention request")
	id := fs.String("request", "", "the open retention request (\"dossier requests open --type retention\") that --apply carries out")
	customer := fs.String("customer", "", "list only this customer's records")
	format := fs.String("format", "text", "output format: text or json")
	dry := fs.Bool("dry-run", false, "with --apply: check everything and list what would be erased, without changing anything")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (*apply && *id == "") || (!*apply && *id != "") || (*dry && !*apply) {
		return usageError("usage: dossier retention [--customer ID] [--format text|json], or dossier retention --apply --request ID")
	}
	if *format != "text" && *format != "json" {
		return usageError("--format %q: use text or json", *format)
	}
	if *apply {
		unlock, err := lockRepo(e, "retention --apply")
		if err != nil {
			return err
		}
		defer unlock()
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	renv.DryRun = *dry
	if *apply {
		res, err := renv.ApplyRetention(*id)
		if err != nil {
			return requestError(err)
		}
		if *format == "json" {
			return writeJSON(e, res.Removed)
		}
		for _, x := range res.Removed {
			fmt.Fprintf(e.stdout, "removed  %s (retention ran out %s: %s, %s after %s)\n", x.Path, x.RanOut, x.Basis, x.Period, x.After)
		}
		if res.Commit == "" {
			fmt.Fprintf(e.stdout, "dry run: nothing was changed; %s stays open\n", res.Request.ID)
			return nil
		}
		fmt.Fprintf(e.stdout, "%s closed (commit %s): %s of erased data recorded for \"dossier purge --request %s\"\n", res.Request.ID, res.Commit[:12], count(len(res.Request.ErasedObjects), "object id", "object ids"), res.Request.ID)
		return nil
	}
	list, err := renv.Expired(*customer)
	if err != nil {
		return requestError(err)
	}
	// Like "requests --due-within", a record kept past its period is a
	// finding: exit 1, so that a daily job alerts on it.
	if *format == "json" {
		if err := writeJSON(e, list); err != nil {
			return err
		}
	} else {
		if len(list) == 0 {
			fmt.Fprintf(e.stdout, "no record's retention has run out on %s\n", renv.Now.Format("2006-01-02"))
			return nil
		}
		for _, x := range list {
			fmt.Fprintf(e.stdout, "%s  ran out %s  (%s: %s, %s after %s)\n", x.Path, x.RanOut, x.Basis, x.Law, x.Period, x.After)
		}
		fmt.Fprintf(e.stdout, "%s; erase them with \"dossier requests open --type retention\" then \"dossier retention --apply --request ID\"\n", count(len(list), "record", "records"))
	}
	if len(list) > 0 {
		return silentFailure(exitFindings)
	}
	return nil
}

func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
