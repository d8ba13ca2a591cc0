package request

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
	"github.com/vts/dossier/internal/yamltree"
)

// opened is a decrypted record: the file (which keeps its data key, so a
// change is written back to the same readers) and its plaintext tree.
type opened struct {
	path record.Path
	kind *schema.Kind
	file *sopsfile.File
	root *yaml.Node // the decrypted top-level mapping
}

func (e *Env) kind(p record.Path) (*schema.Kind, error) {
	k := e.WS.Schemas.Kinds[p.Kind]
	if k == nil {
		return nil, refuse("%s: no schema for kind %q (add schema/%s.schema.yaml)", p.Rel, p.Kind, p.Kind)
	}
	return k, nil
}

// decrypt opens a record with the user's keys.
func (e *Env) decrypt(p record.Path) (*opened, error) {
	k, err := e.kind(p)
	if err != nil {
		return nil, err
	}
	f, err := e.WS.Open(p.Rel)
	if err != nil {
		return nil, refuse("%v", err)
	}
	plain, err := f.Plain()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Rel, err)
	}
	root, err := yamltree.Parse(plain)
	if err != nil {
		return nil, fmt.Errorf("%s: decrypted content: %w", p.Rel, err)
	}
	return &opened{path: p, kind: k, file: f, root: root}, nil
}

// value is the decoded plaintext of the record.
func (o *opened) value() (map[string]any, error) {
	v, err := yamltree.Value(o.root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.path.Rel, err)
	}
	return v.(map[string]any), nil
}

// seal checks the changed plaintext against the full schema and the
// layout, encrypts it again with the file's own data key and readers, and
// validates the encrypted result as "dossier validate" would. Findings
// never quote a personal value.
func (e *Env) seal(o *opened) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(o.root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if fs := e.WS.CheckPlain(o.path, b.Bytes()); len(fs) > 0 {
		return nil, findingsRefusal(fs)
	}
	data, err := o.file.Reencrypt(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: encrypting: %w", o.path.Rel, err)
	}
	ids, err := e.WS.Identities()
	if err != nil {
		return nil, err
	}
	if fs := e.WS.Checker(ids).Check(o.path.Rel, data); len(fs) > 0 {
		return nil, findingsRefusal(fs)
	}
	return data, nil
}

func findingsRefusal(fs []validate.Finding) error {
	msg := "the result would not be a valid record, so nothing was changed:"
	for _, f := range fs {
		msg += "\n" + f.String()
	}
	return refuse("%s", msg)
}

// readable is the record as stored, with what is encrypted left as
// ciphertext: ids, dates and references can be read without a key.
func (e *Env) readable(p record.Path) (map[string]any, error) {
	data, err := os.ReadFile(e.WS.Abs(p.Rel))
	if err != nil {
		return nil, err
	}
	root, err := yamltree.Parse(data)
	if err != nil {
		return nil, refuse("%s: malformed YAML: %v (run \"dossier validate\")", p.Rel, err)
	}
	v, err := yamltree.Value(root)
	if err != nil {
		return nil, refuse("%s: %v", p.Rel, err)
	}
	m := v.(map[string]any)
	delete(m, "sops")
	return m, nil
}

// hold is what a kind's retention says about one record on a date.
type hold struct {
	ret     *schema.Retention
	until   string    // a date, or "end_date + P7Y" while the record runs
	end     time.Time // zero while running
	running bool      // the date the period counts from is not set yet
}

// retention reads a record's retention; nil when its kind has none.
func retention(k *schema.Kind, v map[string]any) (*hold, error) {
	r := k.Retention
	if r == nil {
		return nil, nil
	}
	h := &hold{ret: r}
	s, _ := v[r.After].(string)
	if s == "" {
		// Not ended yet (a contract with no end_date is still running):
		// the period has not even started.
		h.running = true
		h.until = r.After + " + " + r.Period.Text
		return h, nil
	}
	t, err := time.Parse(ledger.DateFormat, s)
	if err != nil {
		return nil, fmt.Errorf("field %q is not a date (run \"dossier validate\")", r.After)
	}
	h.end = r.Period.AddTo(t)
	h.until = h.end.Format(ledger.DateFormat)
	return h, nil
}

// retainedOn reports whether the retention period still runs on now.
func (h *hold) retainedOn(now time.Time) bool {
	return h.running || h.end.After(now)
}

// basis is the ledger's wording of why a record is kept.
func (h *hold) basis() string {
	return h.ret.Basis + ": " + h.ret.Law + " (" + h.ret.Period.Text + " after " + h.ret.After + ")"
}

// refPaths lists the paths of every value in v that refers to user by an
// x-ref: user field.
func refPaths(n *schema.Node, v any, user string) [][]string {
	var out [][]string
	var walk func(n *schema.Node, v any, p []string)
	walk = func(n *schema.Node, v any, p []string) {
		if n == nil {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			for key, c := range t {
				walk(n.Props[key], c, append(p[:len(p):len(p)], key))
			}
		case []any:
			for i, c := range t {
				walk(n.Items, c, append(p[:len(p):len(p)], strconv.Itoa(i)))
			}
		case string:
			if n.Ref == "user" && t == user {
				out = append(out, p)
			}
		}
	}
	walk(n, v, nil)
	return out
}

// clearRefs removes every value that refers to user from a decrypted tree:
// a mapping field is removed, a list item is removed, and a list left empty
// by that is removed too. It reports whether anything changed.
func clearRefs(s *schema.Node, n *yaml.Node, user string) bool {
	if s == nil {
		return false
	}
	changed := false
	switch n.Kind {
	case yaml.MappingNode:
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			c := s.Props[k.Value]
			if c != nil && c.Ref == "user" && v.Kind == yaml.ScalarNode && v.Value == user {
				changed = true
				continue
			}
			if c != nil && clearRefs(c, v, user) {
				changed = true
				if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
					continue
				}
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
	case yaml.SequenceNode:
		var kept []*yaml.Node
		for _, v := range n.Content {
			if s.Items != nil && s.Items.Ref == "user" && v.Kind == yaml.ScalarNode && v.Value == user {
				changed = true
				continue
			}
			if s.Items != nil && clearRefs(s.Items, v, user) {
				changed = true
			}
			kept = append(kept, v)
		}
		n.Content = kept
	}
	return changed
}
