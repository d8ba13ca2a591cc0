// Package yamltree turns YAML documents into plain Go values that a JSON Schema
// validator understands, while remembering where each value came from so
// that findings can name a line.
//
// yaml.v3's own decoding turns unquoted dates into time.Time and integers into
// int, which JSON Schema validators do not treat as strings; records keep dates
// as strings, so scalars are converted here by their resolved tag.
package yamltree

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads one YAML document. An empty input or a document whose top level
// is not a mapping is an error, since every record is a mapping.
func Parse(data []byte) (*yaml.Node, error) {
	return new(Parser).Parse(data)
}

// Parser reads documents one after another and reuses its memory: the
// tree Parse returns is valid only until the Parser's next Parse.
// Validating a repository parses every record once, and allocating the
// nodes of tens of thousands of records was a large part of it.
type Parser struct {
	lines []fastLine
	nodes []yaml.Node
	// Fast says the last Parse took the fast path, whose subset of YAML
	// has no comment, directive, marker, tag, anchor or flow collection:
	// a caller may skip looking for them (Markers, Grammar) in its bytes.
	Fast bool
}

// Parse is the package's Parse, into the Parser's memory.
func (ps *Parser) Parse(data []byte) (*yaml.Node, error) {
	if n, ok := ps.fast(data); ok {
		ps.Fast = true
		return n, nil
	}
	ps.Fast = false
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, Describe(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Line: extra.Line, Msg: "more than one YAML document; a record is exactly one"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{Msg: "the document is not a YAML mapping (field: value lines)"}
	}
	root := doc.Content[0]
	// yaml.v3 keeps comments before the first field (after a blank line)
	// and after the last one on the document node, which callers never
	// see: move them to the root so that they are found and stripped.
	if doc.HeadComment != "" || doc.LineComment != "" || doc.FootComment != "" {
		root.HeadComment = strings.TrimSpace(doc.HeadComment + "\n" + root.HeadComment)
		root.FootComment = strings.TrimSpace(root.FootComment + "\n" + doc.LineComment + "\n" + doc.FootComment)
		doc.HeadComment, doc.LineComment, doc.FootComment = "", "", ""
	}
	return root, nil
}

// Error is a document that cannot be read as a record: the line it goes
// wrong on (0 when unknown) and what is wrong, in words that never quote
// the input, so that every caller may show it to a person. Callers take
// the line from here, never from the message.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Describe turns a yaml.v3 syntax error into an *Error: its quotes of the
// input removed (Redact), the line as a number. yaml.v3 gives a syntax
// error no type and no position field: its parser formats the position
// into the message ("yaml: line N: ..."), so this is the one place that
// reads it there. A message of another form keeps all its (redacted)
// words and no line, never a wrong one.
func Describe(err error) *Error {
	msg := Redact(strings.TrimPrefix(err.Error(), "yaml: "))
	if msg == "EOF" {
		return &Error{Msg: "the file is empty"}
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, text, ok := strings.Cut(rest, ": ")
		if line, err := strconv.Atoi(num); ok && err == nil && line > 0 {
			return &Error{Line: line, Msg: text}
		}
	}
	return &Error{Msg: msg}
}

// Value converts a node into map[string]any, []any, string, int64, float64,
// bool or nil. Duplicate keys and aliases are refused: they make a record
// ambiguous to review.
func Value(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &Error{Line: k.Line, Msg: "a field name must be plain text"}
			}
			if _, dup := m[k.Value]; dup {
				return nil, &Error{Line: k.Line, Msg: "a field name appears twice (name not shown)"}
			}
			val, err := Value(v)
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := Value(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		return s, nil
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.AliasNode:
		return nil, &Error{Line: n.Line, Msg: "YAML aliases are not allowed in records"}
	}
	return nil, &Error{Line: n.Line, Msg: "unsupported YAML node"}
}

func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, &Error{Line: n.Line, Msg: "not true or false (value not shown)"}
		}
		return b, nil
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i, nil
		}
		var i int64
		if err := n.Decode(&i); err != nil {
			return nil, &Error{Line: n.Line, Msg: "not a whole number in range (value not shown)"}
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, &Error{Line: n.Line, Msg: "not a finite number"}
		}
		return f, nil
	default: // !!str, !!timestamp, !!binary: kept as the text that was written
		return n.Value, nil
	}
}

// Find returns the node at a path of mapping keys and sequence indexes, or
// the deepest node found on the way, so a finding can still name a line.
func Find(root *yaml.Node, path []string) *yaml.Node {
	n := root
	for _, p := range path {
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					n, found = n.Content[i+1], true
					break
				}
			}
			if !found {
				return n
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n
			}
			n = n.Content[i]
		default:
			return n
		}
	}
	return n
}

// KeyLine is the line of the key that holds path's value (the line an
// engineer looks at), or the value's own line for sequence items.
func KeyLine(root *yaml.Node, path []string) int {
	if len(path) == 0 {
		return root.Line
	}
	parent := Find(root, path[:len(path)-1])
	last := path[len(path)-1]
	if parent.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(parent.Content); i += 2 {
			if parent.Content[i].Value == last {
				return parent.Content[i].Line
			}
		}
	}
	return Find(root, path).Line
}

// CommentLine is the line of the first comment in the tree, or 0. SOPS
// keeps YAML comments of records in plaintext (its encrypted_regex never
// selects them), so a comment is a place a personal value could slip
// through unencrypted.
func CommentLine(n *yaml.Node) int {
	if n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		return n.Line
	}
	for _, c := range n.Content {
		if l := CommentLine(c); l > 0 {
			return l
		}
	}
	return 0
}

// StripComments returns the document without its comments, as yaml.v3
// writes it back (unchanged when it has none).
func StripComments(data []byte) ([]byte, error) {
	n, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if CommentLine(n) == 0 {
		return data, nil
	}
	var strip func(*yaml.Node)
	strip = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		for _, c := range n.Content {
			strip(c)
		}
	}
	strip(n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
