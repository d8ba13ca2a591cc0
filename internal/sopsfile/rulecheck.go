package sopsfile

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/schema"
)

// ConfigProblem is a creation rule that would let sops or dossier write a
// record wrongly: a personal or secret field in plaintext, a plain field
// encrypted (the server could no longer check it without a key), or a
// record path no rule covers.
type ConfigProblem struct {
	Rule    int    // 1-based rule number; 0 when no rule applies
	Kind    string // record kind
	Path    string // an example record path the rule applies to
	Field   string
	Message string
	Fix     string
}

// Check tests every creation rule against every record path it can be the
// first match for (sops and dossier both use the first rule that
// matches), not only one example path: a rule for one customer
// ("records/c-0042/") that leaves out a field is found as surely as the
// general rule. The paths tried are each kind's layout with ids 0000,
// 0001, 9999, 12345 and every id a path_regex can match that witnesses
// shows, or begins (c-004 in "records/c-004.*" gives c-0040 and c-0049).
// A regex can match more than the paths tried (a class in the middle of
// a range); the check then errs on the side of the rules it can see.
func (rs *Rules) Check(set *schema.Set) []ConfigProblem {
	var out []ConfigProblem
	seen := map[string]bool{}
	// One problem per rule, kind, field and sort of problem, named with
	// the first example path it was found at.
	add := func(sort string, p ConfigProblem) {
		key := fmt.Sprint(p.Rule, p.Kind, p.Field, sort)
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, kind := range set.Names() {
		k := set.Kinds[kind]
		plain := plainKeys(k)
		for _, path := range rs.samplePaths(kind) {
			r := rs.first(path)
			if r == nil {
				add("unmatched", ConfigProblem{Kind: kind, Path: path, Message: fmt.Sprintf("no creation rule matches %s (%s records)", path, kind), Fix: "add a creation rule for " + kind + " records"})
				continue
			}
			if r.Recipients.Empty() {
				add("recipients", ConfigProblem{Rule: r.Index + 1, Kind: kind, Path: path, Message: fmt.Sprintf("creation rule %d (%s records such as %s) names no recipient", r.Index+1, kind, path), Fix: "add the age recipients of the other rules"})
			}
			if r.encRe == nil {
				add("regex", ConfigProblem{Rule: r.Index + 1, Kind: kind, Path: path, Message: fmt.Sprintf("creation rule %d (%s records such as %s) has no encrypted_regex, so sops would encrypt every field, ids included", r.Index+1, kind, path), Fix: "set encrypted_regex: '" + k.EncryptedRegex() + "'"})
				continue
			}
			for _, key := range k.EncryptedKeys {
				if !r.encRe.MatchString(key) {
					add("encrypt", ConfigProblem{Rule: r.Index + 1, Kind: kind, Path: path, Field: key, Message: fmt.Sprintf("creation rule %d (%s records such as %s): encrypted_regex does not cover this personal/secret field, so it would be written in plaintext", r.Index+1, kind, path), Fix: "set encrypted_regex: '" + k.EncryptedRegex() + "'"})
				}
			}
			for _, key := range plain {
				if r.encRe.MatchString(key) {
					add("plain", ConfigProblem{Rule: r.Index + 1, Kind: kind, Path: path, Field: key, Message: fmt.Sprintf("creation rule %d (%s records such as %s): encrypted_regex also encrypts this plain field, which the server must read without a key", r.Index+1, kind, path), Fix: "set encrypted_regex: '" + k.EncryptedRegex() + "'"})
				}
			}
		}
	}
	return out
}

// first is the rule sops would use for path: the first that matches.
func (rs *Rules) first(path string) *Rule {
	for _, r := range rs.Rules {
		if r.match(path) {
			return r
		}
	}
	return nil
}

// plainKeys are the field names of a kind, at any depth, that are stored
// in plaintext and never encrypted anywhere in the kind.
func plainKeys(k *schema.Kind) []string {
	enc := map[string]bool{}
	for _, key := range k.EncryptedKeys {
		enc[key] = true
	}
	found := map[string]bool{}
	var walk func(n *schema.Node)
	walk = func(n *schema.Node) {
		if n == nil || n.Class != schema.Plain {
			return
		}
		for name, c := range n.Props {
			if c.Class == schema.Plain && !enc[name] {
				found[name] = true
			}
			walk(c)
		}
		walk(n.Items)
	}
	walk(k.Root)
	out := make([]string, 0, len(found))
	for name := range found {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

var idPrefixes = map[string]string{"customer": "c-", "user": "u-", "contract": "ct-", "environment": "env-", "error": "err-", "maintenance": "mnt-"}

// idToken finds id beginnings in a path_regex's text: a kind prefix and
// digits, e.g. "c-0042" or "c-004".
var idToken = lazyregexp.New(`\b(c|u|ct|env|err|mnt)-[0-9]*`)

// maxWitnesses bounds the strings witnesses makes of one regex.
const maxWitnesses = 64

// witnesses are strings a regex matches, chosen to show the ids it
// covers: each alternative of an alternation, and the first and last
// character of each character class ("c-00[4-5][0-9]" gives c-0040,
// c-0049, c-0050, c-0059), up to maxWitnesses of them.
func witnesses(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return witnessOf(re.Simplify())
}

func witnessOf(re *syntax.Regexp) []string {
	cross := func(a, b []string) []string {
		var out []string
		for _, x := range a {
			for _, y := range b {
				if len(out) == maxWitnesses {
					return out
				}
				out = append(out, x+y)
			}
		}
		return out
	}
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return nil
		}
		lo, hi := string(re.Rune[0]), string(re.Rune[len(re.Rune)-1])
		if lo == hi {
			return []string{lo}
		}
		return []string{lo, hi}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return []string{"x"}
	case syntax.OpCapture:
		return witnessOf(re.Sub[0])
	case syntax.OpPlus:
		return witnessOf(re.Sub[0])
	case syntax.OpRepeat:
		out := []string{""}
		for i := 0; i < re.Min; i++ {
			out = cross(out, witnessOf(re.Sub[0]))
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			out = cross(out, witnessOf(sub))
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			out = append(out, witnessOf(sub)...)
		}
		if len(out) > maxWitnesses {
			out = out[:maxWitnesses]
		}
		return out
	}
	return []string{""} // empty-width assertions, star, quest: match nothing extra
}

// samplePaths are the record paths of kind that Check tries.
func (rs *Rules) samplePaths(kind string) []string {
	ids := map[string][]string{}
	for k, prefix := range idPrefixes {
		for _, d := range []string{"0000", "0001", "9999", "12345"} {
			ids[k] = append(ids[k], prefix+d)
		}
	}
	for _, r := range rs.Rules {
		texts := append(witnesses(r.PathRegex), r.PathRegex)
		for _, tok := range idToken.FindAllString(strings.Join(texts, " "), -1) {
			prefix, digits, _ := strings.Cut(tok, "-")
			for k, p := range idPrefixes {
				if p != prefix+"-" {
					continue
				}
				if len(digits) >= 4 {
					ids[k] = append(ids[k], tok)
					continue
				}
				ids[k] = append(ids[k], tok+strings.Repeat("0", 4-len(digits)), tok+strings.Repeat("9", 4-len(digits)))
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range ids["customer"] {
		own := ids[kind]
		if kind == "customer" {
			own = []string{c}
		}
		for _, id := range own {
			p := record.For(c, kind, id)
			if p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
