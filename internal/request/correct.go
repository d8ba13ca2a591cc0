package request

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/schema"
)

// Assignment is one change asked for on the command line: --set
// field=value, or --unset field. Field paths use dots and list indexes
// (accounts.0.login).
type Assignment struct {
	Path  []string
	Value string
	Unset bool
}

// Field is the path in dotted form.
func (a Assignment) Field() string { return strings.Join(a.Path, ".") }

var segmentRe = lazyregexp.New(`^[A-Za-z0-9_-]+$`)

// ParseField reads a dotted field path such as accounts.0.login.
func ParseField(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("empty field name")
	}
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if !segmentRe.MatchString(p) {
			// Not quoted: what is not a field name may be a value.
			return nil, fmt.Errorf("a field name holds more than letters, digits, _ and - (not shown): use names and list indexes separated by dots, like accounts.0.login")
		}
	}
	return parts, nil
}

// ParseSet reads a --set argument: field=value. The value is everything
// after the first "=" and may be empty.
func ParseSet(s string) (Assignment, error) {
	field, value, ok := strings.Cut(s, "=")
	if !ok {
		// The argument is not echoed: it may be a value meant for a field.
		return Assignment{}, errors.New("--set needs field=value (this argument has no \"=\")")
	}
	p, err := ParseField(field)
	if err != nil {
		return Assignment{}, err
	}
	return Assignment{Path: p, Value: value}, nil
}

// Edit is the changes asked for on one record.
type Edit struct {
	Path    string
	Changes []Assignment
}

// Corrected is what a rectification changed.
type Corrected struct {
	Request *ledger.Request
	Files   []CorrectedFile
	Commit  string
	Closed  bool
}

// CorrectedFile is one record a rectification changed, and its fields.
type CorrectedFile struct {
	Path   string
	Fields []string
}

// Correct carries out a rectification request (GDPR art. 16) on one or
// more records in one commit: decrypt, change, validate with the full
// schema, encrypt with the file's own data key, and commit with the
// ledger update. Values are typed by the schema. The same wrong name in a
// user's record, the customer's contact fields and a contract's signed_by
// is one correction, not three requests. The request stays open (for a
// second round of the same correction) unless close is set.
//
// What a request may change is a whitelist: a customer's request any
// record of the customer; a user's request their own record, and only
// the personal fields (x-personal: contact_name, signed_by, notes) of the
// customer's other records, where their data may appear under no id.
func (e *Env) Correct(requestID string, edits []Edit, close bool) (*Corrected, error) {
	if len(edits) == 0 {
		return nil, refuse("nothing to correct: give PATH --set field=value or --unset field")
	}
	req, err := e.openRequest(requestID, ledger.Rectification)
	if err != nil {
		return nil, err
	}
	subj, err := e.subject(req.Subject)
	if err != nil {
		return nil, err
	}
	if err := e.checkClean(subj.Customer); err != nil {
		return nil, err
	}
	res := &Corrected{Request: req}
	ch := repo.Change{Write: map[string][]byte{}}
	var notes []string
	for _, ed := range edits {
		if len(ed.Changes) == 0 {
			return nil, refuse("%s: nothing to correct: give --set field=value or --unset field after it (nothing was changed)", ed.Path)
		}
		p, err := record.Parse(ed.Path)
		if err != nil {
			return nil, refuse("%v", err)
		}
		if _, dup := ch.Write[p.Rel]; dup {
			return nil, refuse("%s is named twice: give all its changes after one mention (nothing was changed)", p.Rel)
		}
		own := subj.User == "" || (p.Kind == "user" && p.ID == subj.User)
		if p.Customer != subj.Customer || (!own && p.Kind == "user") {
			// Another user's record is that person's, never this subject's.
			return nil, refuse("%s is not a record of %s, the subject of request %s (nothing was changed)", p.Rel, subj, req.ID)
		}
		o, err := e.decrypt(p)
		if err != nil {
			return nil, err
		}
		before, err := yaml.Marshal(o.root)
		if err != nil {
			return nil, err
		}
		var fields []string
		for _, a := range ed.Changes {
			if !own && o.kind.ClassOf(a.Path) != schema.Personal {
				return nil, refuse("%s: field %q is not personal data, so it is not %s's to correct: a user's request changes their own record and the personal fields (names, contact details, notes) of the customer's other records (nothing was changed)", p.Rel, a.Field(), subj)
			}
			if err := apply(o.kind, o.root, a); err != nil {
				return nil, refuse("%s: %v (nothing was changed)", p.Rel, err)
			}
			fields = append(fields, a.Field())
		}
		after, err := yaml.Marshal(o.root)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(before, after) {
			return nil, refuse("%s: nothing to correct, the record already holds these values; request %s stays open", p.Rel, req.ID)
		}
		data, err := e.seal(o)
		if err != nil {
			return nil, err
		}
		ch.Write[p.Rel] = data
		res.Files = append(res.Files, CorrectedFile{Path: p.Rel, Fields: fields})
		notes = append(notes, p.Rel+": "+strings.Join(fields, ", "))
	}
	// Field names and paths are ids and schema names, never values.
	req.Record(e.Now, ledger.EventCorrect, strings.Join(notes, "; "))
	if close {
		req.Close(e.Now)
		res.Closed = true
	}
	msg := message("rectification of "+req.Subject+" ("+req.ID+")", req, ledger.Rectification, req.Subject)
	if res.Commit, err = e.commit(ch, req, msg); err != nil {
		return nil, err
	}
	return res, nil
}

// apply makes one change to a decrypted record. Errors name the field,
// never the value.
func apply(k *schema.Kind, root *yaml.Node, a Assignment) error {
	switch a.Path[0] {
	case "kind", "id", "customer":
		return fmt.Errorf("field %q places the record and cannot be corrected; move the record instead", a.Path[0])
	}
	target, err := schemaAt(k.Root, a.Path)
	if err != nil {
		return err
	}
	if a.Unset {
		return unset(root, a.Path)
	}
	if target.Props != nil || target.Items != nil {
		return fmt.Errorf("field %q holds a list or mapping; set its fields one by one (e.g. %s.0.<field>)", a.Field(), a.Field())
	}
	val, err := typed(target, a.Value)
	if err != nil {
		return fmt.Errorf("field %q: %v", a.Field(), err)
	}
	return set(root, a.Path, val)
}

// schemaAt is the subschema of a field path, or an error naming the
// fields that exist there.
func schemaAt(n *schema.Node, path []string) (*schema.Node, error) {
	for i, seg := range path {
		switch {
		case n.Props != nil:
			c := n.Props[seg]
			if c == nil {
				return nil, fmt.Errorf("field %q is not in the schema; fields here: %s", strings.Join(path[:i+1], "."), strings.Join(propNames(n), ", "))
			}
			n = c
		case n.Items != nil:
			if _, err := strconv.Atoi(seg); err != nil {
				return nil, fmt.Errorf("field %q: %q is a list; give an index (e.g. %s.0)", strings.Join(path[:i+1], "."), strings.Join(path[:i], "."), strings.Join(path[:i], "."))
			}
			n = n.Items
		default:
			return nil, fmt.Errorf("field %q: %q has no fields", strings.Join(path[:i+1], "."), strings.Join(path[:i], "."))
		}
	}
	return n, nil
}

func propNames(n *schema.Node) []string {
	var out []string
	for k := range n.Props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// typed makes the YAML scalar for value as the schema types the field.
func typed(n *schema.Node, value string) (*yaml.Node, error) {
	types := n.Types
	if len(types) == 0 {
		types = []string{"string"}
	}
	for _, t := range types {
		switch t {
		case "integer":
			if i, err := strconv.ParseInt(value, 10, 64); err == nil {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}, nil
			}
		case "number":
			if i, err := strconv.ParseInt(value, 10, 64); err == nil {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}, nil
			}
			if f, err := strconv.ParseFloat(value, 64); err == nil {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'g', -1, 64)}, nil
			}
		case "boolean":
			// Exactly true or false: strconv would also take "t" and "1",
			// which a reader of the record would not recognise.
			if value == "true" || value == "false" {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: value}, nil
			}
		case "string":
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}, nil
		}
	}
	msg := fmt.Sprintf("the value is not of the type the schema asks for (%s)", strings.Join(types, " or "))
	if h := n.HintText(); h != "" {
		msg += "; " + h
	}
	return nil, errors.New(msg)
}

// set puts val at path, creating missing mappings on the way and
// appending a list item when the index is the list's length.
func set(n *yaml.Node, path []string, val *yaml.Node) error {
	for i, seg := range path {
		last := i == len(path)-1
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == seg {
					next = n.Content[j+1]
					if last {
						n.Content[j+1] = val
						return nil
					}
				}
			}
			if next == nil {
				if last {
					next = val
				} else {
					next = container(path[i+1])
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, next)
				if last {
					return nil
				}
			}
			n = next
		case yaml.SequenceNode:
			idx, _ := strconv.Atoi(seg)
			switch {
			case idx < len(n.Content) && last:
				n.Content[idx] = val
				return nil
			case idx < len(n.Content):
				n = n.Content[idx]
			case idx == len(n.Content):
				next := val
				if !last {
					next = container(path[i+1])
				}
				n.Content = append(n.Content, next)
				if last {
					return nil
				}
				n = next
			default:
				return fmt.Errorf("field %q: the list has %d items; add one at index %d", strings.Join(path[:i+1], "."), len(n.Content), len(n.Content))
			}
		default:
			return fmt.Errorf("field %q: %q holds a single value", strings.Join(path[:i+1], "."), strings.Join(path[:i], "."))
		}
	}
	return nil
}

// container is an empty mapping, or an empty list when the next path
// segment is an index.
func container(next string) *yaml.Node {
	if _, err := strconv.Atoi(next); err == nil {
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
}

// unset removes the field or list item at path.
func unset(n *yaml.Node, path []string) error {
	missing := fmt.Errorf("field %q is not set; nothing to remove", strings.Join(path, "."))
	for i, seg := range path {
		last := i == len(path)-1
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == seg {
					if last {
						n.Content = append(n.Content[:j], n.Content[j+2:]...)
						return nil
					}
					next = n.Content[j+1]
					break
				}
			}
			if next == nil {
				return missing
			}
			n = next
		case yaml.SequenceNode:
			idx, _ := strconv.Atoi(seg)
			if idx >= len(n.Content) {
				return missing
			}
			if last {
				n.Content = append(n.Content[:idx], n.Content[idx+1:]...)
				return nil
			}
			n = n.Content[idx]
		default:
			return missing
		}
	}
	return missing
}
