// Package layout is the whitelist of paths a records repository may hold.
// Pre-commit, the server's pre-receive hook and "dossier validate" share it,
// so that what one lets through the others do not refuse later.
//
// It is a whitelist because every other place is one nobody checks: a
// notes.txt or docs/x.yaml with names and e-mail addresses would sit in
// clear in every clone and backup, and Records/c-0001/… with a capital R
// lands in records/ on a case-insensitive checkout without ever having been
// validated. Symlinks and submodules are refused anywhere: a symlink can
// point a record path at any file, and a submodule brings history the
// server never sees.
package layout

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
)

// RepoFiles are the ordinary repository files allowed at the top level
// besides dossier's own: they hold no records and are read by people and
// git, not by dossier.
var RepoFiles = []string{"README.md", ".gitignore", ".gitattributes"}

// Config files at the top level: the creation rules and the settings.
const (
	SopsConfig = ".sops.yaml"
	Settings   = "dossier.yaml"
)

// Entry kinds as a tree or index gives them.
type Entry int

const (
	Regular Entry = iota // a file, executable or not
	Symlink
	Gitlink // a submodule
	Other
)

// Problem is a path the repository may not hold, and the rule it breaks.
type Problem struct {
	Path string
	Rule string
	Fix  string
}

var (
	schemaRe = lazyregexp.New(`^schema/[a-z][a-z0-9_-]*\.schema\.yaml$`)
	hookRe   = lazyregexp.New(`^hooks/[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Kinds says which record kinds the schema defines; nil allows every kind
// the layout knows (when no schema could be read, the schema's own finding
// says so).
type Kinds map[string]bool

// Check returns why the repository may not hold an entry at rel (a
// slash-separated path from the root), or nil. Problems name the path and
// the rule; a path is an id path, never a value.
func Check(rel string, e Entry, kinds Kinds) *Problem {
	p := check(rel, e, kinds)
	if p != nil {
		p.Path = Show(rel)
	}
	return p
}

func check(rel string, e Entry, kinds Kinds) *Problem {
	switch e {
	case Symlink:
		return &Problem{Path: rel, Rule: "symbolic links are not allowed in a records repository", Fix: "replace the link by the file itself, or remove it"}
	case Gitlink:
		return &Problem{Path: rel, Rule: "submodules are not allowed in a records repository", Fix: "remove the submodule (\"git rm --cached PATH\"; \"git status\" names it)"}
	case Other:
		return &Problem{Path: rel, Rule: "only regular files are allowed in a records repository", Fix: "remove it"}
	}
	msg := allowed(rel, kinds)
	if msg == "" {
		return nil
	}
	if lower := strings.ToLower(rel); (lower != rel && allowed(lower, nil) == "") || foldsTo(rel) {
		return &Problem{Path: rel, Rule: "differs only by case from a path dossier uses: on a case-insensitive checkout it would replace or shadow that path without being checked", Fix: "rename it with the exact case (records/, schema/, ledger/, hooks/, lower-case ids)"}
	}
	if msg != unknown {
		return &Problem{Path: rel, Rule: msg, Fix: "move or rename the file (see the README's repository layout)"}
	}
	return &Problem{Path: rel, Rule: "is not a path a records repository holds (allowed: records/<customer>/customer.yaml, records/<customer>/<kind>/<id>.yaml, schema/*.schema.yaml, ledger/DSR-*.yaml, .sops.yaml, dossier.yaml, hooks/*, " + strings.Join(RepoFiles, ", ") + ")", Fix: "remove it (\"git rm --cached PATH\"; \"git status\" or \"git show --stat\" names it); personal data belongs in an encrypted record, notes in a record's fields"}
}

// unknown is allowed's answer for a path that matches no rule at all.
const unknown = "unknown"

// allowed returns "" for an allowed path, unknown for a path outside every
// rule, and the rule's own message for a path under a known folder that
// breaks it.
func allowed(rel string, kinds Kinds) string {
	top, rest, nested := strings.Cut(rel, "/")
	if !nested {
		switch rel {
		case SopsConfig, Settings:
			return ""
		}
		for _, f := range RepoFiles {
			if rel == f {
				return ""
			}
		}
		return unknown
	}
	switch top {
	case record.Dir:
		p, err := record.Parse(rel)
		if err != nil {
			var le *record.LayoutError
			if errors.As(err, &le) {
				return le.Msg
			}
			return err.Error()
		}
		if kinds != nil && !kinds[p.Kind] {
			return fmt.Sprintf("the schema defines no %s records", p.Kind)
		}
		return ""
	case "schema":
		if schemaRe.MatchString(rel) {
			return ""
		}
		return "schema files are schema/<kind>.schema.yaml (lower-case kind name), directly in schema/"
	case ledger.Dir:
		id, ok := strings.CutSuffix(rest, ".yaml")
		if ok && ledger.ValidID(id) {
			return ""
		}
		return "ledger files are ledger/DSR-YYYY-NNNN.yaml, directly in ledger/"
	case "hooks":
		if hookRe.MatchString(rel) {
			return ""
		}
		return "hooks are files directly in hooks/"
	}
	return unknown
}

// foldsTo reports whether rel's first component differs only by case from
// a top-level name dossier uses ("Records/x", "LEDGER/y", "Dossier.yaml"):
// such a path is refused as a case variant even when the rest of it would
// be wrong anyway.
func foldsTo(rel string) bool {
	top, _, _ := strings.Cut(rel, "/")
	for _, n := range append([]string{record.Dir, "schema", ledger.Dir, "hooks", SopsConfig, Settings}, RepoFiles...) {
		if top != n && strings.EqualFold(top, n) {
			return true
		}
	}
	return false
}

// safeNames are the path components dossier itself uses; any of them may
// be shown in a message as it is.
var safeNames = map[string]bool{
	"records": true, "schema": true, "ledger": true, "hooks": true, "customer.yaml": true,
	"users": true, "contracts": true, "environment": true, "errors": true, "maintenance": true,
	".sops.yaml": true, "dossier.yaml": true, "readme.md": true, ".gitignore": true, ".gitattributes": true,
	"pre-commit": true, "commit-msg": true, "pre-receive": true, "post-receive": true,
}

// idName is an opaque id (c-0042, u-0017, ct-0001.yaml, DSR-2026-0042.yaml)
// or a schema file: never a person's name.
var idName = lazyregexp.New(`^(?i:[a-z]{1,4}-[0-9]{1,8}(-[0-9]{1,8})?(\.yaml)?|[a-z0-9_-]{1,32}\.schema\.yaml)$`)

// Show is rel as a message may print it: components dossier uses and
// opaque ids as they are, any other component (a file someone named
// after a person, "Jan Peeters.txt") as "…". A refused path is exactly
// one that broke the rules, so it is the one most likely to hold a value;
// the pusher finds it with "git status", the server's message names the
// commit.
func Show(rel string) string {
	parts := strings.Split(rel, "/")
	for i, c := range parts {
		if !safeNames[strings.ToLower(c)] && !idName.MatchString(c) {
			parts[i] = "…"
		}
	}
	return strings.Join(parts, "/")
}
