package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/request"
	"github.com/vts/dossier/internal/workspace"
)

func init() {
	register(&command{
		name:    "requests",
		args:    "[--all] [--format text|json] [--due-within DAYS] | open --type TYPE [--subject ID] [--received DATE] | show ID | extend ID --reason complexity|number | close ID | verify ID",
		summary: "data-subject requests: list them by deadline, open one, show one, extend one (art. 12(3)), close one, verify an erasure",
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
	if refusal.Is(err) {
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
		case "show":
			return runRequestsShow(e, args[1:])
		case "extend":
			return runRequestsExtend(e, args[1:])
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
	all := fs.Bool("all", false, "list closed requests too, after the open ones")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("unknown requests subcommand %q: use open, show, extend or close, or no argument to list", pos[0])
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
	list, err := renv.List(*all && *dueWithin < 0)
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
		subject := p.Subject
		if subject == "" {
			subject = "(all)"
		}
		if p.Status != ledger.Open {
			fmt.Fprintf(e.stdout, "%s  %-13s  %-13s  received %s  due %s  done %s\n", p.ID, p.Type, subject, p.Received, p.Due, p.Done)
			continue
		}
		left := fmt.Sprintf("%d days left", p.DaysLeft)
		switch {
		case p.Overdue:
			left = "OVERDUE by " + count(-p.DaysLeft, "day", "days")
		case p.DaysLeft == 0:
			left = "due today"
		case p.DaysLeft == 1:
			left = "1 day left"
		}
		if p.Extended {
			left += " (extended)"
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
	unlock, err := lockRepo(e, "requests open")
	if err != nil {
		return err
	}
	defer unlock()
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
	others, err := renv.OpenAbout(req.Subject, req.ID)
	if err != nil {
		return err
	}
	for _, o := range others {
		fmt.Fprintf(e.stderr, "warning: %s, %s %s request about %s received %s, is still open (due %s): if this is the same request again, close %s with \"dossier requests close %s\"\n", o.ID, article(o.Type), o.Type, o.Subject, o.Received, o.Due, req.ID, req.ID)
	}
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
	unlock, err := lockRepo(e, "requests close")
	if err != nil {
		return err
	}
	defer unlock()
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	req, err := renv.Close(pos[0])
	if err != nil {
		return requestError(err)
	}
	if len(req.History) > 1 {
		fmt.Fprintf(e.stdout, "%s closed on %s\n", req.ID, req.Done)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s closed on %s without action\n", req.ID, req.Done)
	return nil
}

func article(word string) string {
	if strings.ContainsAny(word[:1], "aeiou") {
		return "an"
	}
	return "a"
}

func runRequestsShow(e *env, args []string) error {
	fs := flags(e, &command{name: "requests show", args: "ID [--format text|json]", summary: "one request as the ledger holds it: dates, deadline, extension, what was done"})
	format := fs.String("format", "text", "output format: text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: dossier requests show ID [--format text|json]")
	}
	if *format != "text" && *format != "json" {
		return usageError("--format %q: use text or json", *format)
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	req, err := renv.Show(pos[0])
	if err != nil {
		return requestError(err)
	}
	if *format == "json" {
		return writeJSON(e, req)
	}
	w := e.stdout
	subject := req.Subject
	if subject == "" {
		subject = "every customer"
	}
	fmt.Fprintf(w, "request   %s\ntype      %s\nsubject   %s\nreceived  %s\n", req.ID, req.Type, subject, req.Received)
	if x := req.Extended; x != nil {
		fmt.Fprintf(w, "due       %s (extended on %s from %s; grounds: %s)\n", req.Due, x.Date, x.ParentDue, x.Reason)
	} else {
		fmt.Fprintf(w, "due       %s\n", req.Due)
	}
	status := req.Status
	if req.Status == ledger.Open {
		if left, err := req.DaysLeft(renv.Now); err == nil {
			switch {
			case left < 0:
				status += ", OVERDUE by " + count(-left, "day", "days")
			default:
				status += ", " + count(left, "day", "days") + " left"
			}
		}
	} else {
		status += " on " + req.Done
	}
	fmt.Fprintf(w, "status    %s\n", status)
	for _, ev := range req.History {
		note := ""
		if ev.Note != "" {
			note = ": " + ev.Note
		}
		fmt.Fprintf(w, "%s  %s%s\n", ev.Date, ev.Action, note)
	}
	if len(req.ErasedPaths) > 0 {
		fmt.Fprintf(w, "erased    %s, %s\n", count(len(req.ErasedPaths), "record", "records"), count(len(req.ErasedObjects), "object id", "object ids"))
	}
	for _, k := range req.Kept {
		fmt.Fprintf(w, "kept      %s until %s (%s)\n", k.Path, k.Until, k.Basis)
	}
	if req.Purged != nil {
		fmt.Fprintf(w, "purged    %s (%s rewritten)\n", req.Purged.Date, count(req.Purged.Commits, "commit", "commits"))
	}
	return nil
}

func runRequestsExtend(e *env, args []string) error {
	fs := flags(e, &command{name: "requests extend", args: "ID --reason complexity|number|complexity,number", summary: "extend a request's deadline by two months (GDPR art. 12(3)); tell the subject within the first month"})
	reason := fs.String("reason", "", "the ground art. 12(3) allows: complexity, number (of requests), or complexity,number")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *reason == "" {
		return usageError("usage: dossier requests extend ID --reason complexity|number|complexity,number")
	}
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	req, err := renv.Extend(pos[0], strings.Split(*reason, ","))
	if err != nil {
		return requestError(err)
	}
	fmt.Fprintf(e.stdout, "%s extended: due %s (was %s); tell the subject, with the reasons, before %s\n", req.ID, req.Due, req.Extended.ParentDue, req.Extended.ParentDue)
	return nil
}
