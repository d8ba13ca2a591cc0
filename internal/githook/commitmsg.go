package githook

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/yamltree"
)

// Request trailers (git interpret-trailers format) of a request commit.
const (
	TrailerRequest = "Dossier-Request"
	TrailerAction  = "Dossier-Action"
	TrailerSubject = "Dossier-Subject"
)

// Actions are the Dossier-Action values: the ledger's request types, and
// purge for a history rewrite.
var Actions = []string{ledger.Access, ledger.Rectification, ledger.Erasure, ledger.Retention, "purge"}

// Message is a commit message as git will store it: comment lines and
// everything below the scissors line left out, each kept line with its
// line number in the file.
type Message struct {
	Lines    []Line
	Trailers []Trailer // the trailer block: the last paragraph, if every line is a trailer
}

// Line is one line of a commit message.
type Line struct {
	N    int
	Text string
}

// Trailer is one "Key: value" line of the trailer block.
type Trailer struct {
	Line       int
	Key, Value string
}

var trailerRe = lazyregexp.New(`^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*?)\s*$`)

// ParseMessage reads a commit message file as the commit-msg hook gets it.
func ParseMessage(text string) Message {
	var m Message
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "# ") && strings.Contains(l, ">8") {
			break // scissors: git drops the rest ("git commit -v")
		}
		if strings.HasPrefix(l, "#") {
			continue
		}
		m.Lines = append(m.Lines, Line{N: i + 1, Text: l})
	}
	end := len(m.Lines)
	for end > 0 && strings.TrimSpace(m.Lines[end-1].Text) == "" {
		end--
	}
	start := end
	for start > 0 && strings.TrimSpace(m.Lines[start-1].Text) != "" {
		start--
	}
	if start == 0 {
		return m // a message that is only a subject has no trailers
	}
	var ts []Trailer
	for _, l := range m.Lines[start:end] {
		if len(ts) > 0 && (strings.HasPrefix(l.Text, " ") || strings.HasPrefix(l.Text, "\t")) {
			ts[len(ts)-1].Value += " " + strings.TrimSpace(l.Text)
			continue
		}
		t := trailerRe.FindStringSubmatch(l.Text)
		if t == nil {
			return m
		}
		ts = append(ts, Trailer{Line: l.N, Key: t[1], Value: t[2]})
	}
	m.Trailers = ts
	return m
}

// Value is a personal or secret value of a record touched by the commit,
// held only to be looked for in the message; it is never printed.
type Value struct {
	File, Field string
	text        string
}

var (
	emailRe = lazyregexp.New(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// A phone number: international (+31 6 1234 5678, 0031...) or national
	// with a leading 0 (06-12345678, 020 123 4567); at least 9 digits.
	phoneRe = lazyregexp.New(`(^|[^\w+])((\+|0)[0-9](?:[ .\-/]?[0-9]){8,14})($|[^\w])`)
	// identityTrailerRe are trailers that name people working on the
	// repository (Signed-off-by, Co-authored-by...): their addresses are
	// the engineers', and already in the commit's author and committer.
	identityTrailerRe = lazyregexp.New(`(?i)^[A-Za-z-]+-by$`)
)

// MinValueLength is the shortest personal value looked for in messages:
// shorter ones ("nl", "ja") would refuse ordinary words.
const MinValueLength = 4

// CheckMessage returns why a message may not be committed: an e-mail
// address or phone number, a value in values, or request trailers that are
// missing or malformed. Problems name the line and the field, never the
// value.
func CheckMessage(m Message, values []Value) []string {
	var out []string
	identity := map[int]bool{}
	for _, t := range m.Trailers {
		if identityTrailerRe.MatchString(t.Key) {
			identity[t.Line] = true
		}
	}
	for _, l := range m.Lines {
		if !identity[l.N] && emailRe.MatchString(l.Text) {
			out = append(out, fmt.Sprintf("line %d: looks like an e-mail address; commit messages hold ids only (c-0042/u-0017), never personal values", l.N))
		}
		if phoneRe.MatchString(l.Text) {
			out = append(out, fmt.Sprintf("line %d: looks like a phone number; commit messages hold ids only (c-0042/u-0017), never personal values", l.N))
		}
		lower := strings.ToLower(l.Text)
		for _, v := range values {
			if strings.Contains(lower, strings.ToLower(v.text)) {
				out = append(out, fmt.Sprintf("line %d: contains the value of field %q of %s (value not shown); name the record by its ids instead", l.N, v.Field, v.File))
			}
		}
	}
	return append(out, checkTrailers(m)...)
}

func checkTrailers(m Message) []string {
	var out []string
	inBlock := map[int]bool{}
	found := map[string][]Trailer{}
	for _, t := range m.Trailers {
		inBlock[t.Line] = true
		for _, k := range []string{TrailerRequest, TrailerAction, TrailerSubject} {
			if strings.EqualFold(t.Key, k) {
				found[k] = append(found[k], t)
			}
		}
	}
	for _, l := range m.Lines {
		if strings.HasPrefix(strings.ToLower(l.Text), "dossier-") && !inBlock[l.N] {
			out = append(out, fmt.Sprintf("line %d: a Dossier- trailer must be in the last paragraph of the message, one \"Key: value\" per line (git interpret-trailers format)", l.N))
		}
	}
	if len(found) == 0 {
		return out
	}
	if len(found[TrailerRequest]) == 0 {
		return append(out, "Dossier-Action/Dossier-Subject without Dossier-Request: add \"Dossier-Request: DSR-YYYY-NNNN\" naming the request in the ledger")
	}
	for _, k := range []string{TrailerRequest, TrailerAction, TrailerSubject} {
		ts := found[k]
		switch {
		case len(ts) == 0:
			out = append(out, fmt.Sprintf("a request commit needs a %s trailer (%s)", k, trailerHelp(k)))
			continue
		case len(ts) > 1:
			out = append(out, fmt.Sprintf("line %d: %s appears %d times; a request commit carries exactly one", ts[1].Line, k, len(ts)))
		}
		if msg := checkTrailer(k, ts[0].Value); msg != "" {
			out = append(out, fmt.Sprintf("line %d: %s %s (%s)", ts[0].Line, k, msg, trailerHelp(k)))
		}
	}
	return out
}

func checkTrailer(key, v string) string {
	switch key {
	case TrailerRequest:
		if !ledger.ValidID(v) {
			return "is not a request id"
		}
	case TrailerAction:
		for _, a := range Actions {
			if v == a {
				return ""
			}
		}
		return "is not a known action"
	case TrailerSubject:
		if _, err := record.ParseSubject(v); err != nil {
			return "is not a subject id"
		}
	}
	return ""
}

func trailerHelp(key string) string {
	switch key {
	case TrailerRequest:
		return "e.g. Dossier-Request: DSR-2026-0042"
	case TrailerAction:
		return "one of " + strings.Join(Actions, ", ")
	}
	return "c-0042 or c-0042/u-0017"
}

// TouchedValues decrypts the staged and HEAD versions of the records the
// commit changes and returns their personal and secret values of at least
// MinValueLength characters. Files none of ids opens are skipped: the
// e-mail and phone checks still apply to them.
func TouchedValues(root string, schemas *schema.Set, ids *sopsfile.Identities) ([]Value, error) {
	r, err := repo.Open(root)
	if err != nil {
		return nil, err
	}
	changes, _, err := Staged(r, root, true)
	if err != nil {
		return nil, err
	}
	var out []Value
	for _, c := range changes {
		p, err := record.Parse(c.Rel)
		if err != nil {
			continue
		}
		kind := schemas.Kinds[p.Kind]
		if kind == nil {
			continue
		}
		versions := [][]byte{c.Staged}
		if !c.Head.IsZero() {
			data, err := readBlob(r, c.Head)
			if err != nil {
				return nil, fmt.Errorf("%s: reading the HEAD version: %w", c.Rel, err)
			}
			versions = append(versions, data)
		}
		for _, data := range versions {
			vs, err := personalValues(c.Rel, kind, data, ids)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
	}
	return out, nil
}

func personalValues(rel string, kind *schema.Kind, data []byte, ids *sopsfile.Identities) ([]Value, error) {
	if data == nil {
		return nil, nil
	}
	f, err := sopsfile.Decrypt(data, ids)
	if errors.Is(err, sopsfile.ErrNoKey) || errors.Is(err, sopsfile.ErrTampered) {
		return nil, nil
	}
	if err != nil {
		return nil, nil // not a SOPS file: pre-commit reports it
	}
	plain, err := f.Plain()
	if err != nil {
		return nil, err
	}
	node, err := yamltree.Parse(plain)
	if err != nil {
		return nil, nil
	}
	v, err := yamltree.Value(node)
	if err != nil {
		return nil, nil
	}
	var out []Value
	kind.Walk(v, func(path []string, n *schema.Node, val any) {
		if n.Class == schema.Plain {
			return
		}
		leaves(path, val, func(p []string, s string) {
			if len([]rune(s)) >= MinValueLength {
				out = append(out, Value{File: rel, Field: strings.Join(p, "."), text: s})
			}
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, nil
}

// leaves calls fn with the text of every scalar under val.
func leaves(path []string, val any, fn func([]string, string)) {
	switch t := val.(type) {
	case map[string]any:
		for k, x := range t {
			leaves(append(path[:len(path):len(path)], k), x, fn)
		}
	case []any:
		for i, x := range t {
			leaves(append(path[:len(path):len(path)], strconv.Itoa(i)), x, fn)
		}
	case string:
		fn(path, t)
	case int64:
		fn(path, strconv.FormatInt(t, 10))
	case float64:
		fn(path, strconv.FormatFloat(t, 'f', -1, 64))
	}
}
