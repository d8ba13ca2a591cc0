package ledger

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/record"
)

// Header is the one comment a ledger file may carry: the line Marshal
// writes. Any other comment is refused, since YAML comments are free text
// that no field rule sees.
const Header = "# dossier request ledger entry: ids, dates and object ids only."

var (
	objectRe = lazyregexp.New(`^[0-9a-f]{40}$`)
	tipRe    = lazyregexp.New(`^[0-9a-f]{7,40}$`)
	// runningRe is the until of a record whose period has not started:
	// its date field and the ISO 8601 period ("end_date + P7Y").
	runningRe = lazyregexp.New(`^[a-z][a-z0-9_]* \+ P([0-9]+[YMWD])+$`)
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
	if field, unknown := unknownFields(&doc); unknown {
		return append(out, Problem{Field: field, Rule: "holds a field the ledger does not know (a ledger holds ids, dates, object ids and the fields dossier writes, nothing else)"})
	}
	r, err := Parse(data)
	if err != nil {
		if idNode := topField(&doc, "id"); idNode != nil && !ValidID(idNode.Value) {
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
	for i, rw := range r.Rewritten {
		if _, err := record.Parse(rw.Path); err != nil {
			add(fmt.Sprintf("rewritten.%d.path", i), "is not a record path")
		}
		if !objectRe.MatchString(rw.Blob) {
			add(fmt.Sprintf("rewritten.%d.blob", i), "is not a full object id (40 lower-case hex digits)")
		}
	}
	for i, p := range r.Unsearched {
		if _, err := record.Parse(p); err != nil {
			add(fmt.Sprintf("unsearched.%d", i), "is not a record path")
		}
	}
	if x := r.Extended; x != nil {
		date("extended.date", x.Date, true)
		date("extended.original_due", x.ParentDue, true)
		if !extendReasons[x.Reason] {
			add("extended.reason", "is not complexity, number, or both (the grounds of GDPR art. 12(3))")
		}
	}
	for i, ev := range r.History {
		field := fmt.Sprintf("history.%d", i)
		date(field+".date", ev.Date, true)
		if !eventActions[ev.Action] {
			add(field+".action", "is not export, correct, extend or close")
		}
		if !validNote(ev.Note) {
			add(field+".note", "is not what dossier writes there (a language code, record paths with field names, or +2 months): free text may hold personal values")
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

// extendReasons are the grounds art. 12(3) gives for an extension, as
// "requests extend --reason" records them.
var extendReasons = map[string]bool{"complexity": true, "number": true, "complexity, number": true, "number, complexity": true}

var eventActions = map[string]bool{EventExport: true, EventCorrect: true, EventExtend: true, EventClose: true}

// noteFieldRe is a field name as a schema spells it, with list indexes.
var noteFieldRe = lazyregexp.New(`^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// validNote accepts exactly what dossier writes in a history note: nothing,
// a report language, the extension's "+2 months", or "; "-separated
// "<record path>: <field>, <field>" of a correction. Anything else could be
// a value typed by hand.
func validNote(n string) bool {
	switch n {
	case "", "nl", "en", "+2 months":
		return true
	}
	for _, part := range strings.Split(n, "; ") {
		path, fields, ok := strings.Cut(part, ": ")
		if !ok {
			return false
		}
		if _, err := record.Parse(path); err != nil {
			return false
		}
		for _, f := range strings.Split(fields, ", ") {
			if !noteFieldRe.MatchString(f) {
				return false
			}
		}
	}
	return true
}

// ledgerFields are the keys a ledger file may hold, at the top and in each
// nested mapping (by the key that holds it): a whitelist decided on the
// parsed document, not on a decoder's error text.
var ledgerFields = map[string]map[string]bool{
	"": {"id": true, "type": true, "subject": true, "received": true, "due": true, "status": true, "done": true, "commit": true,
		"erased_paths": true, "kept": true, "erased_objects": true, "purged": true, "rewritten": true, "unsearched": true, "extended": true, "history": true},
	"kept":      {"path": true, "basis": true, "until": true},
	"purged":    {"date": true, "commits_rewritten": true, "old_tips": true},
	"rewritten": {"path": true, "blob": true},
	"extended":  {"date": true, "reason": true, "original_due": true},
	"history":   {"date": true, "action": true, "note": true},
}

// unknownFields reports whether doc holds a key the ledger does not have,
// and names the mapping that holds it ("" for the top level): never the
// key's text, which could be a value.
func unknownFields(doc *yaml.Node) (string, bool) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return "", false
	}
	var walk func(n *yaml.Node, in string) (string, bool)
	walk = func(n *yaml.Node, in string) (string, bool) {
		switch n.Kind {
		case yaml.MappingNode:
			allowed := ledgerFields[in]
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if !allowed[k] {
					return in, true
				}
				if _, nested := ledgerFields[k]; nested && in == "" {
					if p, bad := walk(n.Content[i+1], k); bad {
						return p, true
					}
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if p, bad := walk(c, in); bad {
					return p, true
				}
			}
		}
		return "", false
	}
	return walk(doc.Content[0], "")
}

// topField is the value node of a top-level key, or nil.
func topField(doc *yaml.Node, key string) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
