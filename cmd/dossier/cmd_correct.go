package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/vts/dossier/internal/request"
)

func init() {
	register(&command{
		name:    "correct",
		args:    "PATH|SUBJECT --set field=value [--set a.b=value] [--unset field] [PATH --set ...] --request ID [--close] [--dry-run]",
		summary: "rectification: change fields of one or more records in one commit naming the request",
		run:     runCorrect,
	})
}

// assignments collects repeated --set and --unset flags, in order, into
// the edit of the path last named. A malformed one is kept in err rather
// than returned: the flag package would print the argument (a value) in
// its message.
type assignments struct {
	edits *[]request.Edit
	unset bool
	err   *error
}

func (a assignments) String() string { return "" }

func (a assignments) Set(s string) error {
	var x request.Assignment
	var err error
	if a.unset {
		x.Path, err = request.ParseField(s)
		x.Unset = true
	} else {
		x, err = request.ParseSet(s)
	}
	if err != nil {
		if *a.err == nil {
			flag := "--set"
			if a.unset {
				flag = "--unset"
			}
			*a.err = fmt.Errorf("%s: %w", flag, err)
		}
		return nil
	}
	if len(*a.edits) == 0 {
		return errors.New("name the record first: dossier correct PATH --set field=value")
	}
	last := &(*a.edits)[len(*a.edits)-1]
	last.Changes = append(last.Changes, x)
	return nil
}

func runCorrect(e *env, args []string) error {
	fs := flags(e, commands["correct"])
	var edits []request.Edit
	var argErr error
	fs.Var(assignments{edits: &edits, err: &argErr}, "set", "field=value to set in the record named before it, typed by the schema; nested fields and list items with dots (accounts.0.login); repeatable")
	fs.Var(assignments{edits: &edits, unset: true, err: &argErr}, "unset", "field to remove from the record named before it; repeatable")
	id := fs.String("request", "", "the open rectification request this carries out")
	closeReq := fs.Bool("close", false, "close the request with this correction (by default it stays open for a second round)")
	dry := fs.Bool("dry-run", false, "check the change against the schema and say what would change, without changing anything")
	// Each path starts an edit; the --set and --unset after it belong to
	// it. Flags and paths interleave, so the flag set is parsed in turns.
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return silentFailure(exitUsage)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		paths = append(paths, args[0])
		edits = append(edits, request.Edit{Path: args[0]})
		args = args[1:]
	}
	if argErr != nil {
		return usageError("%v", argErr)
	}
	if len(paths) == 0 || *id == "" || len(edits[0].Changes) == 0 {
		return usageError("usage: dossier correct PATH|SUBJECT --set field=value [--unset field] [PATH --set ...] --request ID [--close] [--dry-run]")
	}
	unlock, err := lockRepo(e, "correct")
	if err != nil {
		return err
	}
	defer unlock()
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	renv.DryRun = *dry
	for i, p := range paths {
		rp, err := recordArg(renv.WS, e.dir, p)
		if err != nil {
			return refused("%v", err)
		}
		edits[i].Path = rp.Rel
	}
	res, err := renv.Correct(*id, edits, *closeReq)
	if err != nil {
		return requestError(err)
	}
	for _, f := range res.Files {
		verb := "corrected"
		if res.Commit == "" {
			verb = "would correct"
		}
		fmt.Fprintf(e.stdout, "%s %s: %s\n", verb, f.Path, strings.Join(f.Fields, ", "))
	}
	if res.Commit == "" {
		fmt.Fprintf(e.stdout, "dry run: nothing was changed; %s stays open\n", res.Request.ID)
		return nil
	}
	if res.Closed {
		fmt.Fprintf(e.stdout, "%s closed (commit %s)\n", res.Request.ID, res.Commit[:12])
		return nil
	}
	fmt.Fprintf(e.stdout, "%s stays open (commit %s): tell the subject, then \"dossier requests close %s\"\n", res.Request.ID, res.Commit[:12], res.Request.ID)
	return nil
}
