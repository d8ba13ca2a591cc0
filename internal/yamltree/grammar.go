package yamltree

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule names one way a YAML document can hold bytes that a record's plain
// values do not account for: text a reviewer of the readable fields never
// sees as a field, and that SOPS never encrypts. A record is one document
// of block mappings, block lists and scalars, and nothing else.
type Rule int

const (
	RuleComment   Rule = iota + 1 // "# ..." anywhere, the document's own comments included
	RuleAnchor                    // "&name" on a node
	RuleAlias                     // "*name"
	RuleTag                       // "!Name", "!!bool", "!<...>": any tag written out
	RuleFlow                      // a non-empty "{...}" or "[...]" (comments inside them are lost by yaml.v3)
	RuleKey                       // a mapping key that is not plain text ("? [a]", "1:", "null:")
	RuleDuplicate                 // the same key twice in one mapping
	RuleMarker                    // a directive ("%TAG", "%YAML") or a document marker ("---", "...")
)

// Text is what a finding says about the rule; it never quotes the file.
func (r Rule) Text() string {
	switch r {
	case RuleComment:
		return "holds a YAML comment: SOPS keeps comments in plaintext (comment not shown)"
	case RuleAnchor:
		return "holds a YAML anchor (&...): records use none, and its name is text outside any field (not shown)"
	case RuleAlias:
		return "holds a YAML alias (*...): records use none"
	case RuleTag:
		return "holds a YAML tag (!...): records use none, and a tag is text outside any field (not shown)"
	case RuleFlow:
		return "holds a flow collection ({...} or [...]) with content: records use block style only"
	case RuleKey:
		return "holds a field name that is not plain text (not shown)"
	case RuleDuplicate:
		return "holds a field name twice in one mapping"
	case RuleMarker:
		return "holds a YAML directive or document marker (%, ---, ...): a record is exactly one plain document"
	}
	return "breaks the record grammar"
}

// plainTags are the tags a record's nodes may resolve to. Every one is
// implicit: the grammar refuses a tag that is written out.
var plainTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true, "!!timestamp": true, "!!map": true, "!!seq": true}

// Grammar reports, depth first, every node of the tree that breaks the
// record grammar, with the rule it breaks. Keys of one mapping are compared
// with each other for duplicates; fn sees the second key. It finds nothing
// in a tree the fast parser built except duplicates, since that parser
// refuses every other construct.
func Grammar(n *yaml.Node, fn func(n *yaml.Node, r Rule)) {
	if n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		fn(n, RuleComment)
	}
	if n.Anchor != "" {
		fn(n, RuleAnchor)
	}
	switch n.Kind {
	case yaml.AliasNode:
		fn(n, RuleAlias)
		return
	case yaml.ScalarNode:
		if n.Style&yaml.TaggedStyle != 0 || !plainTags[n.Tag] {
			fn(n, RuleTag)
		}
		return
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.TaggedStyle != 0 || !plainTags[n.Tag] {
			fn(n, RuleTag)
		}
		if n.Style&yaml.FlowStyle != 0 && len(n.Content) > 0 {
			fn(n, RuleFlow)
		}
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				fn(k, RuleKey)
			}
			for j := 0; j < i; j += 2 {
				if n.Content[j].Kind == yaml.ScalarNode && k.Kind == yaml.ScalarNode && n.Content[j].Value == k.Value {
					fn(k, RuleDuplicate)
					break
				}
			}
		}
	}
	for _, c := range n.Content {
		Grammar(c, fn)
	}
}

// Markers is the first line of data that YAML reads as a directive or a
// document marker, or whose first non-blank byte starts a comment, or 0.
// yaml.v3 keeps no node for a directive and drops comments of a second
// document, so these are found in the bytes: a record never needs one.
// A "#" line inside a literal block is refused too (records hold none).
func Markers(data []byte) (line int, r Rule) {
	s := string(data)
	for n := 1; len(s) > 0; n++ {
		l := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			l, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		switch {
		case strings.HasPrefix(l, "%"), strings.HasPrefix(l, "---"), strings.HasPrefix(l, "..."):
			return n, RuleMarker
		case strings.HasPrefix(strings.TrimLeft(l, " \t"), "#"):
			return n, RuleComment
		}
	}
	return 0, 0
}

// Redact removes from a YAML library message every quoted piece of the
// input ('…', `…`, "…" longer than one character: yaml.v3 quotes values,
// anchor names and keys in its messages), so that an error about a record
// can be shown without what the record holds. Single quoted characters
// (yaml.v3's "could not find expected ':'") stay: they are grammar.
func Redact(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c != '\'' && c != '`' && c != '"' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(msg[i+1:], c)
		if end < 0 {
			b.WriteString("(text not shown)")
			break
		}
		if end <= 1 {
			b.WriteString(msg[i : i+end+2])
		} else {
			b.WriteString("(text not shown)")
		}
		i += end + 1
	}
	return b.String()
}
