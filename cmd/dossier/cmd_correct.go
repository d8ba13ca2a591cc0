package main

import (
	"fmt"
	"strings"

	"github.com/vts/dossier/internal/request"
)

func init() {
	register(&command{
		name:    "correct",
		args:    "PATH --set field=value [--set a.b=value] [--unset field] --request ID",
		summary: "rectification: change fields of a record in one commit naming the request",
		run:     runCorrect,
	})
}

// assignments collects repeated --set and --unset flags in order. A
// malformed one is kept in err rather than returned: the flag package
// would print the argument (a value) in its message.
type assignments struct {
	list  *[]request.Assignment
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
	*a.list = append(*a.list, x)
	return nil
}

func runCorrect(e *env, args []string) error {
	fs := flags(e, commands["correct"])
	var changes []request.Assignment
	var argErr error
	fs.Var(assignments{list: &changes, err: &argErr}, "set", "field=value to set, typed by the schema; nested fields and list items with dots (accounts.0.login); repeatable")
	fs.Var(assignments{list: &changes, unset: true, err: &argErr}, "unset", "field to remove; repeatable")
	id := fs.String("request", "", "the open rectification request this carries out")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if argErr != nil {
		return usageError("%v", argErr)
	}
	if len(pos) != 1 || *id == "" || len(changes) == 0 {
		return usageError("usage: dossier correct PATH --set field=value [--unset field] --request ID")
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	p, err := renv.WS.Rel(e.dir, pos[0])
	if err != nil {
		return refused("%v", err)
	}
	res, err := renv.Correct(p.Rel, *id, changes)
	if err != nil {
		return requestError(err)
	}
	fmt.Fprintf(e.stdout, "corrected %s: %s\n%s closed (commit %s)\n", res.Path, strings.Join(res.Fields, ", "), res.Request.ID, res.Commit[:12])
	return nil
}
