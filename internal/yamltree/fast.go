package yamltree

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// fast reads the narrow, regular subset of YAML that sops and dossier
// write (block mappings and sequences, plain and simple quoted scalars,
// literal blocks for the age keys) several times faster than yaml.v3, and
// builds exactly the nodes yaml.v3 would: same kinds, tags, styles, values,
// lines and columns. It gives up (ok false) on anything outside the subset,
// and Parse then uses yaml.v3, so what it accepts never changes a result;
// FuzzFastParse checks that against yaml.v3 itself.
//
// Validating 50,000 records on the git server is dominated by parsing, which
// is why this exists (see bench/validate.go).
func (ps *Parser) fast(b []byte) (*yaml.Node, bool) {
	for _, c := range b {
		if (c < 0x20 && c != '\n') || c > 0x7e {
			return nil, false // tabs, CR, control and non-ASCII: leave to yaml.v3
		}
	}
	data := string(b) // one copy that every line and value shares
	lines := ps.lines[:0]
	if n := bytes.Count(b, []byte{'\n'}) + 1; cap(lines) < n {
		lines = make([]fastLine, 0, n)
	}
	for start := 0; start < len(data); {
		i := strings.IndexByte(data[start:], '\n')
		if i < 0 {
			i = len(data)
		} else {
			i += start
		}
		text := data[start:i]
		start = i + 1
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		if indent == len(text) || text[len(text)-1] == ' ' || text[indent] == '#' {
			return nil, false // blank lines, trailing spaces, comments
		}
		lines = append(lines, fastLine{indent: indent, text: text[indent:], num: len(lines) + 1, lastNL: i < len(data)})
	}
	if len(lines) == 0 || lines[0].indent != 0 {
		return nil, false
	}
	ps.lines = lines
	p := &fastParser{lines: lines, slab: ps.nodes[:0]}
	n, ok := p.mapping(0)
	if p.used > cap(ps.nodes) {
		ps.nodes = make([]yaml.Node, 0, p.used) // enough for the next one in one slab
	}
	if !ok || p.i != len(p.lines) {
		return nil, false
	}
	return n, true
}

type fastLine struct {
	indent int
	text   string // after the indentation
	num    int    // 1-based
	lastNL bool   // the line ends with a newline
}

type fastParser struct {
	lines []fastLine
	i     int
	slab  []yaml.Node
	used  int // nodes made
}

// node returns a new node set to n. Nodes come from the Parser's slab, then
// from new slabs of 32: allocating each on its own was a large part of
// parsing. A full slab is replaced, not grown, so earlier nodes stay where
// they are.
func (p *fastParser) node(n yaml.Node) *yaml.Node {
	p.used++
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]yaml.Node, 0, 32)
	}
	p.slab = append(p.slab, n)
	return &p.slab[len(p.slab)-1]
}

func isItem(s string) bool { return s == "-" || strings.HasPrefix(s, "- ") }

// mapping reads block mapping entries at indent, starting at the current
// line.
func (p *fastParser) mapping(indent int) (*yaml.Node, bool) {
	first := p.lines[p.i]
	m := p.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: first.num, Column: indent + 1})
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, false
		}
		if isItem(l.text) {
			break
		}
		colon := strings.IndexByte(l.text, ':')
		if colon <= 0 || !safeKey(l.text[:colon]) {
			return nil, false
		}
		key := p.plainNode(l.text[:colon], l.num, indent+1)
		rest := l.text[colon+1:]
		var val *yaml.Node
		var ok bool
		switch {
		case rest == "":
			p.i++
			val, ok = p.nested(indent)
		case rest[0] != ' ':
			return nil, false
		case rest == " |" || rest == " |-":
			val, ok = p.literal(indent, l, indent+colon+3, rest == " |-")
		default:
			val, ok = p.scalarNode(rest[1:], l.num, indent+colon+3)
			p.i++
		}
		if !ok {
			return nil, false
		}
		m.Content = append(m.Content, key, val)
	}
	return m, len(m.Content) > 0
}

// nested reads the block value of a key at indent whose line ended after
// the colon: a deeper mapping or sequence, or a sequence at the same indent.
func (p *fastParser) nested(indent int) (*yaml.Node, bool) {
	if p.i >= len(p.lines) {
		return nil, false // an empty value (null): leave to yaml.v3
	}
	l := p.lines[p.i]
	switch {
	case l.indent > indent && isItem(l.text):
		return p.sequence(l.indent)
	case l.indent > indent:
		return p.mapping(l.indent)
	case l.indent == indent && isItem(l.text):
		return p.sequence(indent)
	}
	return nil, false
}

// sequence reads "- " items at indent. An item is a scalar on its line or a
// mapping whose first entry follows the dash.
func (p *fastParser) sequence(indent int) (*yaml.Node, bool) {
	first := p.lines[p.i]
	s := p.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: first.num, Column: indent + 1})
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent != indent || !isItem(l.text) {
			if l.indent > indent {
				return nil, false
			}
			break
		}
		body := l.text[1:]
		if body == "" || body[1] == ' ' || isItem(body[1:]) {
			return nil, false // empty item, extra spaces, nested inline sequence
		}
		body = body[1:]
		var item *yaml.Node
		var ok bool
		if colon := strings.IndexByte(body, ':'); colon > 0 && (colon == len(body)-1 || body[colon+1] == ' ') {
			// "- key: value": the item is a mapping at indent+2.
			p.lines[p.i] = fastLine{indent: indent + 2, text: body, num: l.num, lastNL: l.lastNL}
			item, ok = p.mapping(indent + 2)
		} else {
			item, ok = p.scalarNode(body, l.num, indent+3)
			p.i++
		}
		if !ok {
			return nil, false
		}
		s.Content = append(s.Content, item)
	}
	return s, true
}

// literal reads a "|" or "|-" block scalar after a key at indent; col is
// the column of the indicator.
func (p *fastParser) literal(indent int, l fastLine, col int, strip bool) (*yaml.Node, bool) {
	p.i++
	if p.i >= len(p.lines) || p.lines[p.i].indent <= indent {
		return nil, false
	}
	block := p.lines[p.i].indent
	var b strings.Builder
	last := p.lines[p.i]
	for p.i < len(p.lines) && p.lines[p.i].indent > indent {
		c := p.lines[p.i]
		if c.indent < block {
			return nil, false
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat(" ", c.indent-block))
		b.WriteString(c.text)
		last = c
		p.i++
	}
	if !last.lastNL {
		return nil, false
	}
	if !strip {
		b.WriteByte('\n')
	}
	return p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Value: b.String(), Line: l.num, Column: col}), true
}

// scalarNode reads a plain, single- or double-quoted scalar that fills the
// rest of its line.
func (p *fastParser) scalarNode(s string, line, col int) (*yaml.Node, bool) {
	switch s[0] {
	case '"', '\'':
		q := s[0]
		if len(s) < 2 || s[len(s)-1] != q || strings.IndexByte(s[1:len(s)-1], q) >= 0 || strings.IndexByte(s, '\\') >= 0 {
			return nil, false
		}
		style := yaml.DoubleQuotedStyle
		if q == '\'' {
			style = yaml.SingleQuotedStyle
		}
		return p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: style, Value: s[1 : len(s)-1], Line: line, Column: col}), true
	}
	if !safePlain(s) {
		return nil, false
	}
	return p.plainNode(s, line, col), true
}

// plainNode is a plain scalar, tagged as yaml.v3 resolves it.
func (p *fastParser) plainNode(s string, line, col int) *yaml.Node {
	n := p.node(yaml.Node{Kind: yaml.ScalarNode, Value: s, Line: line, Column: col})
	n.Tag = plainTag(s)
	if n.Tag == "" {
		n.Tag = n.ShortTag()
	}
	return n
}

// plainTag is yaml.v3's resolution of the commonest plain scalars, without
// its general machinery: one that starts with a letter (most keys and
// values) is a bool or null only when spelled as one, else a string; a
// short run of digits is an integer. It returns "" for anything else, which
// yaml.v3 then resolves.
func plainTag(s string) string {
	if s[0] >= '1' && s[0] <= '9' && len(s) <= 18 {
		// A decimal integer without a leading zero (which yaml.v3 would
		// read as octal, or as a float when not octal).
		for i := 1; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return ""
			}
		}
		return "!!int"
	}
	if c := s[0] | 0x20; c < 'a' || c > 'z' {
		return ""
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool"
	case "null", "Null", "NULL":
		return "!!null"
	}
	return "!!str"
}

// safeKey accepts the field names records use.
func safeKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

// plainFirst and plainRest are the bytes safePlain accepts first and after.
var plainFirst, plainRest [256]bool

func init() {
	for c := 0; c < 256; c++ {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		plainFirst[c] = alnum || strings.IndexByte("_/+(^", byte(c)) >= 0
		plainRest[c] = alnum || strings.IndexByte(" _./+=,@()-[]%!^$|:", byte(c)) >= 0
	}
}

// safePlain accepts plain scalars that mean the same to every YAML reader:
// no indicator first, no ": " or " #" (a "#" inside a word is text), nothing that starts a flow or an
// anchor or a tag, nothing yaml.v3 could read as a continuation.
func safePlain(s string) bool {
	first := plainFirst[s[0]] ||
		// "-" starts a plain scalar when a non-space follows ("-x", "-1")
		s[0] == '-' && len(s) > 1 && s[1] != ' ' && s[1] != '-' && plainRest[s[1]]
	if !first || s[len(s)-1] == ':' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '#' && s[i-1] != ' ' { // only " #" starts a comment
			continue
		}
		if !plainRest[c] || c == ':' && s[i+1] == ' ' { // s does not end in ':', so i+1 is in range
			return false
		}
	}
	return true
}
