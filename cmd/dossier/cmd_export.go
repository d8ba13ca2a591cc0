package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/request"
	"github.com/vts/dossier/internal/settings"
)

func init() {
	register(&command{
		name:    "export",
		args:    "SUBJECT|PATH --request ID --out DIR [--include-secrets] [--redact-others] [--lang nl|en] [--close] [--format text|json]",
		summary: "right of access: everything held about a customer or user, as subject.json and report.html",
		run:     runExport,
	})
}

func runExport(e *env, args []string) error {
	fs := flags(e, commands["export"])
	id := fs.String("request", "", "the open access request this answers (see \"dossier requests\")")
	out := fs.String("out", "", "new or empty directory outside the repository for subject.json and report.html (0600)")
	secrets := fs.Bool("include-secrets", false, "include passwords and other x-secret values instead of \"value withheld\"")
	lang := fs.String("lang", "", "language of the report: nl or en (default: report_language in dossier.yaml, else nl)")
	redact := fs.Bool("redact-others", false, "leave out what may be other people's data (GDPR art. 15(4)): other users' records in a customer's copy, free-text notes")
	closeReq := fs.Bool("close", false, "close the request with this export (by default it stays open for a corrected or translated re-export; \"dossier requests close ID\" closes it later)")
	format := fs.String("format", "text", "output format: text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := formatFlag(*format, "text", "json"); err != nil {
		return err
	}
	if len(pos) != 1 || *id == "" || *out == "" {
		return usageError("usage: dossier export SUBJECT --request ID --out DIR (e.g. dossier export c-0042/u-0017 --request DSR-2026-0001 --out /media/usb/dsr-0001)")
	}
	unlock, err := lockRepo(e, "export")
	if err != nil {
		return err
	}
	defer unlock()
	renv, err := requestEnv(e)
	if err != nil {
		return err
	}
	dir := *out
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(e.dir, dir)
	}
	opt := request.ExportOptions{IncludeSecrets: *secrets, RedactOthers: *redact, Close: *closeReq}
	st, err := settings.Load(renv.WS.Root)
	if err != nil {
		return refused("%v", err)
	}
	if err := st.CheckController(); err != nil {
		return refused("%v", err)
	}
	opt.Controller = st.Controller
	if *lang == "" {
		*lang = st.ReportLanguage
	}
	if opt.Language, err = request.ParseLanguage(*lang); err != nil {
		return usageError("%v", err)
	}
	subject, err := subjectArg(renv.WS, e.dir, pos[0])
	if err != nil {
		return err
	}
	res, err := renv.Export(subject, *id, dir, opt)
	if err != nil {
		return requestError(err)
	}
	if *format == "json" {
		return encodeJSON(e.stdout, exportedOut(subject, *secrets, res))
	}
	note := count(res.Withheld, "secret value", "secret values") + " withheld"
	if *secrets {
		note = "secrets included"
	}
	if res.Redacted > 0 {
		note += ", " + count(res.Redacted, "value or record", "values or records") + " about others left out"
	}
	fmt.Fprintf(e.stdout, "exported %s to %s: %s (%s, %s)\n", subject, res.Dir, strings.Join(res.Files, ", "), count(res.Records, "record", "records"), note)
	if len(res.Review) > 0 {
		fmt.Fprintf(e.stdout, "review before handing over (GDPR art. 15(4): other people's data), %s:\n", count(len(res.Review), "item", "items"))
		for _, r := range res.Review {
			field := ""
			if r.Field != "" {
				field = " " + r.Field
			}
			fmt.Fprintf(e.stdout, "  %s%s: %s\n", r.Path, field, r.Why)
		}
	}
	if res.Closed {
		fmt.Fprintf(e.stdout, "%s closed (commit %s); hand the files over securely and delete them afterwards\n", res.Request.ID, res.Commit[:12])
		return nil
	}
	fmt.Fprintf(e.stdout, "export recorded in %s (commit %s), which stays open: hand the files over securely, delete them afterwards, then \"dossier requests close %s\"\n", res.Request.ID, res.Commit[:12], res.Request.ID)
	return nil
}
