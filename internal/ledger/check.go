package ledger

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/record"
)

// Header is the one comment a ledger file may carry: the line Marshal
// writes. Any other comment is refused, since YAML comments are free text
// that no field rule sees.
const Header = "# dossier request ledger entry: ids, dates and object ids only."

var (
	objectRe = regexp.MustCompile(`^[0-9a-f]{40}$`)
	tipRe    = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	// runningRe is the until of a record whose period has not started:
	// its date field and the ISO 8601 period ("end_date + P7Y").
	runningRe = regexp.MustCompile(`^[a-z][a-z0-9_]* \+ P([0-9]+[YMWD])+$`)
)

// Problem is one field of a ledger file that breaks the ledger's rules.
// It names the field, never its value: a ledger that breaks the rules may
// hold exactly the personal value it must not.
type Problem struct {
	Field string
	Rule  string
}

// Check validates a ledger file as the git server sees it, without keys:
// only known fields (additionalProperties false), each an id, a date, a
// record path or an object id of the right form, the file named for its
// id, and no comment but the header. basis, when not nil, gives the one
// retention basis text allowed for a kept record of a kind (the text the
// schema's x-retention yields); otherwise a basis must at least name a
// legal basis.
func Check(name string, data []byte, basis func(kind string) (string, bool)) []Problem {
	var out []Problem
	add := func(field, format string, a ...any) {
		out = append(out, Problem{Field: field, Rule: fmt.Sprintf(format, a...)})
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []Problem{{Rule: "not valid YAML"}}
	}
	var comments func(n *yaml.Node) bool
	comments = func(n *yaml.Node) bool {
		for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
			if c != "" && strings.TrimSpace(c) != Header {
				return true
			}
		}
		for _, k := range n.Content {
			if comments(k) {
				return true
			}
		}
		return false
	}
	if comments(&doc) {
		add("", "holds a comment other than the ledger header: comments are free text and may hold personal values")
	}
	r, err := Parse(data)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "not found in type") {
			return append(out, Problem{Rule: "holds a field the ledger does not know (only id, type, subject, received, due, status, done, commit, erased_paths, kept, erased_objects, purged)"})
		}
		if strings.Contains(msg, "no valid id") {
			return append(out, Problem{Field: "id", Rule: "is not a request id like DSR-2026-0042"})
		}
		return append(out, Problem{Rule: "does not have the ledger's structure (a field of the wrong type)"})
	}
	if want := Path(r.ID); name != want {
		add("id", "does not match the file name (the file of a request is ledger/<its id>.yaml)")
	}
	if !ValidType(r.Type) {
		add("type", "is not access, rectification, erasure or retention")
	}
	if r.Subject != "" {
		if _, err := record.ParseSubject(r.Subject); err != nil {
			add("subject", "is not a subject id like c-0042 or c-0042/u-0017")
		}
	} else if r.Type != Retention {
		add("subject", "is missing (only a retention sweep has no subject)")
	}
	date := func(field, v string, required bool) {
		if v == "" {
			if required {
				add(field, "is missing")
			}
			return
		}
		if _, err := time.Parse(DateFormat, v); err != nil {
			add(field, "is not a date like 2026-03-01")
		}
	}
	date("received", r.Received, true)
	date("due", r.Due, true)
	date("done", r.Done, false)
	if r.Status != Open && r.Status != Done {
		add("status", "is not open or done")
	}
	if r.Commit != "" && !tipRe.MatchString(r.Commit) {
		add("commit", "is not a commit id")
	}
	for i, p := range r.ErasedPaths {
		if _, err := record.Parse(p); err != nil {
			add(fmt.Sprintf("erased_paths.%d", i), "is not a record path")
		}
	}
	for i, o := range r.ErasedObjects {
		if !objectRe.MatchString(o) {
			add(fmt.Sprintf("erased_objects.%d", i), "is not a full object id (40 lower-case hex digits)")
		}
	}
	for i, k := range r.Kept {
		field := fmt.Sprintf("kept.%d", i)
		p, err := record.Parse(k.Path)
		if err != nil {
			add(field+".path", "is not a record path")
		}
		if !runningRe.MatchString(k.Until) {
			date(field+".until", k.Until, true)
		}
		if want, ok := keptBasis(basis, p.Kind); err == nil && ok {
			if k.Basis != want {
				add(field+".basis", "is not the retention basis the schema gives %s records", p.Kind)
			}
		} else if !validBasis(k.Basis) {
			add(field+".basis", "does not start with a legal basis (legal-obligation, legitimate-interest, contract, consent)")
		}
	}
	if pg := r.Purged; pg != nil {
		date("purged.date", pg.Date, true)
		if pg.Commits < 0 {
			add("purged.commits_rewritten", "is negative")
		}
		for i, t := range pg.OldTips {
			if !tipRe.MatchString(t) {
				add(fmt.Sprintf("purged.old_tips.%d", i), "is not a commit id")
			}
		}
	}
	return out
}

func keptBasis(basis func(string) (string, bool), kind string) (string, bool) {
	if basis == nil || kind == "" {
		return "", false
	}
	return basis(kind)
}

func validBasis(b string) bool {
	for _, p := range []string{"legal-obligation: ", "legitimate-interest: ", "contract: ", "consent: "} {
		if strings.HasPrefix(b, p) {
			return true
		}
	}
	return false
}
