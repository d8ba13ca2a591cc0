package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/request"
	"github.com/vts/dossier/internal/workspace"
)

func init() {
	register(&command{
		name:    "requests",
		args:    "[--format text|json] [--due-within DAYS] | open --type TYPE [--subject ID] [--received DATE] | close ID | verify ID",
		summary: "data-subject requests: list open ones by deadline, open a new one, close one without action",
		run:     runRequests,
	})
}

// requestEnv opens the repository for a request operation, on today's
// date or the one in DOSSIER_NOW.
func requestEnv(e *env) (*request.Env, error) {
	ws, err := workspace.Open(e.dir)
	if err != nil {
		return nil, openErr(err)
	}
	now, err := ledger.Today()
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &request.Env{WS: ws, Now: now}, nil
}

// requestError turns a refusal into exit 1; anything else is exit 2.
func requestError(err error) error {
	if request.IsRefusal(err) {
		return refused("%v", err)
	}
	return err
}

func runRequests(e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "open":
			return runRequestsOpen(e, args[1:])
		case "close":
			return runRequestsClose(e, args[1:])
		case "verify":
			// The proof of an erasure, named like the other request verbs;
			// "dossier verify-erasure" stays for scripts that use it.
			return runVerifyErasure(e, args[1:])
		}
	}
	fs := flags(e, commands["requests"])
	listUsage := fs.Usage
	fs.Usage = func() {
		// One help for the list and its subcommands: "requests -h" shows
		// the open and close flags too.
		listUsage()
		fmt.Fprintln(e.stderr)
		_ = runRequestsOpen(e, []string{"-h"})
		fmt.Fprintln(e.stderr)
		_ = runRequestsClose(e, []string{"-h"})
	}
	format := fs.String("format", "text", "output format: text or json")
	dueWithin := fs.Int("due-within", -1, "list only the requests overdue or due within DAYS days, and exit 1 if there is one (a daily check that alerts the privacy officer)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("unknown requests subcommand %q: use open or close, or no argument to list", pos[0])
	}
	if isSet(fs, "due-within") && *dueWithin < 0 {
		return usageError("--due-within %d: use a number of days, 0 or more (0: overdue or due today)", *dueWithin)
	}
	if *format != "text" && *format != "json" {
		return usageError("--format %q: use text or json", *format)
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	list, err := renv.List()
	if err != nil {
		return requestError(err)
	}
	if *dueWithin >= 0 {
		list = slices.DeleteFunc(list, func(p request.Pending) bool { return p.DaysLeft > *dueWithin })
	}
	if err := printRequests(e, list, *format, *dueWithin); err != nil {
		return err
	}
	if *dueWithin >= 0 && len(list) > 0 {
		return silentFailure(exitFindings)
	}
	return nil
}

// printRequests lists open requests, overdue first.
func printRequests(e *env, list []request.Pending, format string, dueWithin int) error {
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []request.Pending{}
		}
		return enc.Encode(list)
	}
	if len(list) == 0 {
		if dueWithin >= 0 {
			fmt.Fprintf(e.stdout, "no open request is overdue or due within %s\n", count(dueWithin, "day", "days"))
			return nil
		}
		fmt.Fprintln(e.stdout, "no open requests")
		return nil
	}
	for _, p := range list {
		left := fmt.Sprintf("%d days left", p.DaysLeft)
		switch {
		case p.Overdue:
			left = "OVERDUE by " + count(-p.DaysLeft, "day", "days")
		case p.DaysLeft == 0:
			left = "due today"
		case p.DaysLeft == 1:
			left = "1 day left"
		}
		subject := p.Subject
		if subject == "" {
			subject = "(all)"
		}
		fmt.Fprintf(e.stdout, "%s  %-13s  %-13s  received %s  due %s  %s\n", p.ID, p.Type, subject, p.Received, p.Due, left)
	}
	return nil
}

func runRequestsOpen(e *env, args []string) error {
	fs := flags(e, &command{name: "requests open", args: "--type access|rectification|erasure|retention --subject ID [--received DATE]", summary: "record a new data-subject request; prints its id"})
	typ := fs.String("type", "", "access, rectification, erasure or retention")
	subject := fs.String("subject", "", "customer (c-0042) or user (c-0042/u-0017); optional for retention (a sweep of every customer)")
	received := fs.String("received", "", "date the request was received, YYYY-MM-DD (default: today); the deadline is one month later")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *typ == "" {
		return usageError("usage: dossier requests open --type access|rectification|erasure|retention --subject ID [--received DATE]")
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	when := renv.Now
	if *received != "" {
		if when, err = time.Parse(ledger.DateFormat, *received); err != nil {
			return usageError("--received %q: use a date like 2026-03-01", *received)
		}
	}
	req, err := renv.Open(*typ, *subject, when)
	if err != nil {
		return requestError(err)
	}
	subj := req.Subject
	if subj == "" {
		subj = "every customer"
	}
	fmt.Fprintf(e.stdout, "%s opened: %s request for %s, received %s, due %s\n", req.ID, req.Type, subj, req.Received, req.Due)
	return nil
}

func runRequestsClose(e *env, args []string) error {
	fs := flags(e, &command{name: "requests close", args: "ID", summary: "close a request without carrying it out (withdrawn, or answered outside dossier)"})
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: dossier requests close ID")
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	req, err := renv.Close(pos[0])
	if err != nil {
		return requestError(err)
	}
	fmt.Fprintf(e.stdout, "%s closed on %s without action\n", req.ID, req.Done)
	return nil
}
