// Package schema holds the record kinds: their JSON Schemas (2020-12, written
// in YAML) and the dossier annotations on them. The schema is the source of
// truth for what is personal (x-personal), what is a credential (x-secret),
// what refers to a user (x-ref) and how long a kind is kept (x-retention).
//
// Each kind is compiled twice: as written, for decrypted records, and in a
// keyless form in which every personal or secret subschema accepts anything,
// so that a server without keys can still check everything that is readable.
// Compiling is most of the cost of loading a schema, so each form is compiled
// on its first use: a command that only reads annotations (the diff textconv,
// run once per file by "git log -p") compiles nothing.
package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/yamltree"
)

// Class says how a field is treated at rest and on export.
type Class int

const (
	Plain    Class = iota // readable on disk, exported
	Personal              // encrypted on disk, exported on access, removed on erasure
	Secret                // encrypted on disk, withheld from exports unless asked for
)

func (c Class) String() string {
	switch c {
	case Personal:
		return "personal"
	case Secret:
		return "secret"
	}
	return "plain"
}

// Node is one subschema reduced to what dossier needs to walk a record.
type Node struct {
	Class Class
	Ref   string   // kind that a value refers to by id (x-ref), e.g. "user"
	Types []string // JSON Schema "type", if given
	Props map[string]*Node
	Keys  []string // the names in Props, sorted
	Items *Node
	Desc  string
	NL    Text // x-nl: the field's label in Dutch
	// Order is the names in Props in the order the schema writes them:
	// the order a person reads a record in (name first, password last).
	Order []string
	// Title is the JSON Schema title, the field's label in English.
	Title string
	// Enum lists the allowed values of an enum field, in schema order.
	Enum []string
	// EnumEN are English labels for enum values (x-en.enum) where the
	// code itself is not one (google-account: Google account).
	EnumEN map[string]string
	// Format and Pattern are the JSON Schema keywords, for templates.
	Format, Pattern string
	// Hint is x-hint: the allowed form of a value in words, shown with
	// a validation error and in templates (the pattern is for machines).
	Hint string
	// FreeText marks x-free-text fields: notes that may name people
	// other than the record's subject (GDPR art. 15(4) review).
	FreeText bool
	// Unit is x-unit: EUR for an amount in euro.
	Unit string
	// Required are the names the schema's "required" lists.
	Required []string
}

// Text is what an x-nl annotation gives in Dutch, the language of the
// company's customers and privacy policy: for a kind its title,
// description, purpose and retention reason, for a field its title (the
// label the access report shows). Empty where the schema gives none.
type Text struct {
	Title       string
	Description string
	Purpose     string
	Law         string
	Hint        string
	// Enum are the Dutch labels of enum values, by value.
	Enum map[string]string
}

// parseText reads an x-nl annotation, a mapping of the given keys to text.
func parseText(v any, allowed ...string) (Text, error) {
	var t Text
	m, ok := v.(map[string]any)
	if !ok {
		return t, fmt.Errorf("x-nl must be a mapping of %s to text", strings.Join(allowed, ", "))
	}
	fields := map[string]*string{"title": &t.Title, "description": &t.Description, "purpose": &t.Purpose, "law": &t.Law, "hint": &t.Hint}
	for key, val := range m {
		if key == "enum" && slices.Contains(allowed, key) {
			labels, err := parseLabels(val)
			if err != nil {
				return t, fmt.Errorf("x-nl.enum: %w", err)
			}
			t.Enum = labels
			continue
		}
		dst := fields[key]
		if dst == nil || !slices.Contains(allowed, key) {
			return t, fmt.Errorf("x-nl: unknown key %q (allowed here: %s)", key, strings.Join(allowed, ", "))
		}
		if *dst, ok = val.(string); !ok || *dst == "" {
			return t, fmt.Errorf("x-nl.%s must be text", key)
		}
	}
	return t, nil
}

// parseLabels reads a mapping of enum values to their labels.
func parseLabels(v any) (map[string]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("must map each enum value to its label")
	}
	out := map[string]string{}
	for k, x := range m {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("label of %q must be text", k)
		}
		out[k] = s
	}
	return out, nil
}

// Retention is a kind's x-retention annotation.
type Retention struct {
	Basis  string   // legal-obligation, legitimate-interest, contract, consent
	Law    string   // the obligation or reason, in words
	Period Period   // how long after After the record is kept
	After  string   // date field the period counts from
	Keep   []string // top-level fields kept when the subject asks for erasure during the period
}

// Kind is one record kind.
type Kind struct {
	Name      string
	File      string // schema file, relative to the repository root
	Title     string
	Purpose   string
	NL        Text // x-nl: title, description, purpose and retention reason in Dutch
	Retention *Retention
	Root      *Node
	// EncryptedKeys are the field names that must be encrypted anywhere in
	// this kind; they become the kind's encrypted_regex in .sops.yaml.
	EncryptedKeys []string

	// full and keyless compile the two forms of the JSON Schema on first
	// use (safe for concurrent validators), and return the same result
	// every time after.
	full    func() (*jsonschema.Schema, error)
	keyless func() (*jsonschema.Schema, error)
	names   map[string]bool // every property name of the kind, at any depth
}

// Named reports whether name is a field name somewhere in the kind's
// schema: text that comes from the schema, which a message may quote. Any
// other key in a record may be a value (a name typed where a field name
// goes) and is never quoted.
func (k *Kind) Named(name string) bool { return k.names[name] }

// Set is every kind of a repository, by name.
type Set struct {
	Kinds map[string]*Kind
}

// Error is a defect in a schema file; it names the file.
type Error struct {
	File string
	Msg  string
}

func (e *Error) Error() string { return e.File + ": " + e.Msg }

// Load reads every *.schema.yaml under dir of fsys and compiles each kind's
// JSON Schema, so that any defect of any schema file is an error here, where
// a command that validates can report it on the file. File names in errors
// are "schema/<name>", relative to the repository root.
func Load(fsys fs.FS, dir string) (*Set, error) {
	set, err := read(fsys, dir, nil)
	if err != nil {
		return nil, err
	}
	for _, name := range set.Names() {
		if err := set.Kinds[name].Compile(); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// LoadKinds reads only the named kinds' schema files (a name without a file
// is left out, not an error) and compiles no JSON Schema: for a reader that
// needs a kind's annotations and field names and validates nothing, or
// little. Each JSON Schema is compiled on first use; one that does not
// compile then makes Validate report a violation naming the schema file.
// The diff textconv uses it: git runs it once per file of "git log -p", and
// compiling every kind was most of its cost.
func LoadKinds(fsys fs.FS, dir string, kinds ...string) (*Set, error) {
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	return read(fsys, dir, want)
}

// read reads and checks the schema files of the kinds in want (every
// kind when want is nil), without compiling their JSON Schemas.
func read(fsys fs.FS, dir string, want map[string]bool) (*Set, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.schema.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &Error{File: dir, Msg: "no *.schema.yaml files (run \"dossier init\" or restore schema/)"}
	}
	set := &Set{Kinds: map[string]*Kind{}}
	for _, name := range names {
		if want != nil && !want[strings.TrimSuffix(path.Base(name), ".schema.yaml")] {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		k, err := compile(name, data)
		if err != nil {
			return nil, err
		}
		set.Kinds[k.Name] = k
	}
	return set, nil
}

// Compile compiles both forms of the kind's JSON Schema now, rather than on
// first use, and returns the defect that stops either, naming the file.
func (k *Kind) Compile() error {
	if _, err := k.full(); err != nil {
		return err
	}
	_, err := k.keyless()
	return err
}

// LoadDir is Load on a directory of the local file system.
func LoadDir(root string) (*Set, error) {
	return Load(os.DirFS(root), "schema")
}

// Names returns the kind names in a stable order.
func (s *Set) Names() []string {
	var names []string
	for n := range s.Kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func compile(file string, data []byte) (*Kind, error) {
	fail := func(format string, a ...any) error { return &Error{File: file, Msg: fmt.Sprintf(format, a...)} }
	node, err := yamltree.Parse(data)
	if err != nil {
		return nil, fail("not valid YAML: %v", err)
	}
	v, err := yamltree.Value(node)
	if err != nil {
		return nil, fail("%v", err)
	}
	doc := v.(map[string]any)
	k := &Kind{Name: strings.TrimSuffix(path.Base(file), ".schema.yaml"), File: file}
	if d, _ := doc["$schema"].(string); d != "https://json-schema.org/draft/2020-12/schema" {
		return nil, fail("$schema must be https://json-schema.org/draft/2020-12/schema")
	}
	k.Title, _ = doc["title"].(string)
	k.Purpose, _ = doc["x-purpose"].(string)
	if k.Purpose == "" {
		return nil, fail("x-purpose is missing: say why this kind is kept (it is shown to customers on access requests)")
	}
	if t, ok := doc["x-nl"]; ok {
		if k.NL, err = parseText(t, "title", "description", "purpose", "law"); err != nil {
			return nil, fail("%v", err)
		}
	}
	if r, ok := doc["x-retention"]; ok {
		if k.Retention, err = parseRetention(r); err != nil {
			return nil, fail("x-retention: %v", err)
		}
	}
	defs, _ := doc["$defs"].(map[string]any)
	if k.Root, err = reduce(doc, defs, Plain, "", 0); err != nil {
		return nil, fail("%v", err)
	}
	props, _ := doc["properties"].(map[string]any)
	if kindProp, _ := props["kind"].(map[string]any); kindProp == nil || kindProp["const"] != k.Name {
		return nil, fail("property \"kind\" must be {const: %s}, matching the file name", k.Name)
	}
	if err := checkKeys(k); err != nil {
		return nil, fail("%v", err)
	}
	order(node, k.Root)
	k.names = map[string]bool{}
	var collect func(n *Node)
	collect = func(n *Node) {
		for name, c := range n.Props {
			k.names[name] = true
			collect(c)
		}
		if n.Items != nil {
			collect(n.Items)
		}
	}
	collect(k.Root)
	if k.Retention != nil {
		for _, f := range append([]string{k.Retention.After}, k.Retention.Keep...) {
			if k.Root.Props[f] == nil {
				return nil, fail("x-retention names field %q, which the schema does not define", f)
			}
		}
	}

	delete(doc, "$id") // the file, not a network address, identifies the schema
	// doc is only read from here on: the two forms may compile at the
	// same time, on two validating goroutines.
	k.full = sync.OnceValues(func() (*jsonschema.Schema, error) { return compileJSON(file, doc) })
	k.keyless = sync.OnceValues(func() (*jsonschema.Schema, error) { return compileJSON("keyless/"+file, keyless(doc)) })
	return k, nil
}

func compileJSON(url string, doc map[string]any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	u := "file:///" + strings.TrimPrefix(url, "/")
	if err := c.AddResource(u, doc); err != nil {
		return nil, &Error{File: strings.TrimPrefix(url, "keyless/"), Msg: "not a valid JSON Schema: " + oneLine(err)}
	}
	s, err := c.Compile(u)
	if err != nil {
		return nil, &Error{File: strings.TrimPrefix(url, "keyless/"), Msg: "not a valid JSON Schema: " + oneLine(err)}
	}
	return s, nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// reduce walks a subschema, following local $refs into $defs.
func reduce(s any, defs map[string]any, inherited Class, ref string, depth int) (*Node, error) {
	if depth > 32 {
		return nil, errors.New("schema nests deeper than 32 levels (a $ref cycle?)")
	}
	m, ok := s.(map[string]any)
	if !ok {
		return &Node{Class: inherited}, nil
	}
	if r, ok := m["$ref"].(string); ok {
		name, found := strings.CutPrefix(r, "#/$defs/")
		target, exists := defs[name]
		if !found || !exists {
			return nil, fmt.Errorf("$ref %q: only local references to #/$defs/... are supported", r)
		}
		return reduce(target, defs, inherited, ref, depth+1)
	}
	n := &Node{Class: inherited, Ref: ref}
	for key, class := range map[string]Class{"x-personal": Personal, "x-secret": Secret} {
		if v, ok := m[key]; ok {
			b, isBool := v.(bool)
			if !isBool {
				return nil, fmt.Errorf("%s must be true or false", key)
			}
			if b && class > n.Class {
				n.Class = class
			}
		}
	}
	if r, ok := m["x-ref"]; ok {
		if n.Ref, ok = r.(string); !ok {
			return nil, errors.New("x-ref must name a kind")
		}
	}
	switch t := m["type"].(type) {
	case string:
		n.Types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				n.Types = append(n.Types, s)
			}
		}
	}
	n.Desc, _ = m["description"].(string)
	if t, ok := m["x-nl"]; ok && depth > 0 { // the root's x-nl is the kind's (compile)
		text, err := parseText(t, "title", "enum", "hint")
		if err != nil {
			return nil, err
		}
		n.NL = text
	}
	if depth > 0 {
		n.Title, _ = m["title"].(string)
	}
	n.Format, _ = m["format"].(string)
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				n.Required = append(n.Required, name)
			}
		}
	}
	n.Pattern, _ = m["pattern"].(string)
	if e, ok := m["enum"].([]any); ok {
		for _, x := range e {
			n.Enum = append(n.Enum, fmt.Sprint(x))
		}
	}
	if h, ok := m["x-hint"]; ok {
		if n.Hint, ok = h.(string); !ok || n.Hint == "" {
			return nil, errors.New("x-hint must be text: the allowed form of the value, in words")
		}
	}
	if u, ok := m["x-unit"]; ok {
		if n.Unit, ok = u.(string); !ok || n.Unit != "EUR" {
			return nil, errors.New("x-unit: only EUR is known")
		}
	}
	if f, ok := m["x-free-text"]; ok {
		if n.FreeText, ok = f.(bool); !ok {
			return nil, errors.New("x-free-text must be true or false")
		}
	}
	if en, ok := m["x-en"]; ok {
		em, isMap := en.(map[string]any)
		if !isMap || len(em) != 1 || em["enum"] == nil {
			return nil, errors.New("x-en must be a mapping with enum (English labels of enum values)")
		}
		labels, err := parseLabels(em["enum"])
		if err != nil {
			return nil, fmt.Errorf("x-en.enum: %w", err)
		}
		n.EnumEN = labels
	}
	for _, labels := range []map[string]string{n.NL.Enum, n.EnumEN} {
		for v := range labels {
			if !slices.Contains(n.Enum, v) {
				return nil, fmt.Errorf("enum label for %q, which is not one of the enum values", v)
			}
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if ap, ok := m["additionalProperties"].(bool); !ok || ap {
			return nil, errors.New("every object must say additionalProperties: false (what the schema does not name is not kept)")
		}
		n.Props = map[string]*Node{}
		for name, p := range props {
			c, err := reduce(p, defs, n.Class, "", depth+1)
			if err != nil {
				return nil, fmt.Errorf("properties.%s: %w", name, err)
			}
			n.Props[name] = c
			n.Keys = append(n.Keys, name)
		}
		sort.Strings(n.Keys)
	}
	if items, ok := m["items"]; ok {
		c, err := reduce(items, defs, n.Class, n.Ref, depth+1)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		n.Items = c
	}
	return n, nil
}

// order records, on each node, the names of its properties in the order
// the schema file writes them (JSON Schema itself has no order; a person
// reading a record expects the one its author chose).
func order(y *yaml.Node, n *Node) {
	if y == nil || n == nil || y.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i].Value, y.Content[i+1]
		switch {
		case k == "properties" && v.Kind == yaml.MappingNode:
			n.Order = n.Order[:0]
			for j := 0; j+1 < len(v.Content); j += 2 {
				name := v.Content[j].Value
				if n.Props[name] != nil {
					n.Order = append(n.Order, name)
					order(v.Content[j+1], n.Props[name])
				}
			}
		case k == "items":
			order(v, n.Items)
		}
	}
	if len(n.Order) != len(n.Props) { // reached through a $ref: names sorted
		n.Order = append(n.Order[:0], n.Keys...)
	}
}

// checkKeys collects the encrypted field names and refuses a name that is
// encrypted in one place and plain in another: SOPS chooses what to encrypt
// by field name (encrypted_regex), so the two could not be told apart.
func checkKeys(k *Kind) error {
	enc, plain := map[string]bool{}, map[string]bool{}
	var walk func(n *Node)
	walk = func(n *Node) {
		for name, c := range n.Props {
			if c.Class != Plain {
				enc[name] = true
				continue // everything under an encrypted field is encrypted
			}
			plain[name] = true
			walk(c)
		}
		if n.Items != nil && n.Items.Class == Plain {
			walk(n.Items)
		}
	}
	walk(k.Root)
	if k.Root.Class != Plain {
		return errors.New("a whole record cannot be x-personal; annotate its fields")
	}
	for name := range enc {
		if plain[name] {
			return fmt.Errorf("field name %q is personal/secret in one place and plain in another; rename one (SOPS encrypts by field name)", name)
		}
		k.EncryptedKeys = append(k.EncryptedKeys, name)
	}
	sort.Strings(k.EncryptedKeys)
	return nil
}

// EncryptedRegex is the encrypted_regex that .sops.yaml must carry for this
// kind, so that stock sops encrypts exactly what the schema calls personal.
func (k *Kind) EncryptedRegex() string {
	if len(k.EncryptedKeys) == 0 {
		return "^$"
	}
	quoted := make([]string, len(k.EncryptedKeys))
	for i, key := range k.EncryptedKeys {
		quoted[i] = regexp.QuoteMeta(key)
	}
	return "^(" + strings.Join(quoted, "|") + ")$"
}

// keyless returns a copy of doc in which each personal or secret subschema
// is replaced by true: ciphertext cannot satisfy a format or a pattern, and
// its type is checked separately from the SOPS type tag.
func keyless(doc map[string]any) map[string]any {
	var clone func(v any) any
	clone = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			if t["x-personal"] == true || t["x-secret"] == true {
				return true
			}
			out := make(map[string]any, len(t))
			for k, x := range t {
				out[k] = clone(x)
			}
			return out
		case []any:
			out := make([]any, len(t))
			for i, x := range t {
				out[i] = clone(x)
			}
			return out
		}
		return v
	}
	return clone(doc).(map[string]any)
}

// Visit is called for each field of a record that the schema knows, with
// its path and subschema. For personal and secret fields the whole value
// (which may be a list or mapping) is passed and not descended into. The
// path's array is reused for the next field: copy it to keep it.
type Visit func(path []string, n *Node, v any)

// Walk visits the fields of a decoded record along the schema, in the
// order of their names.
func (k *Kind) Walk(data any, fn Visit) {
	walk(k.Root, make([]string, 0, 8), data, fn)
}

func walk(n *Node, p []string, v any, fn Visit) {
	if len(p) > 0 {
		fn(p, n, v)
		if n.Class != Plain {
			return
		}
	}
	switch t := v.(type) {
	case map[string]any:
		for _, key := range n.Keys {
			if x, ok := t[key]; ok {
				walk(n.Props[key], append(p, key), x, fn)
			}
		}
	case []any:
		if n.Items != nil {
			for i, x := range t {
				walk(n.Items, append(p, strconv.Itoa(i)), x, fn)
			}
		}
	}
}

// Violation is one schema violation at a path in the record.
type Violation struct {
	Path    []string
	Keyword string
	Msg     string
}

// Validate checks a decrypted record. Messages never quote a value of a
// personal or secret field.
func (k *Kind) Validate(data any) []Violation {
	return k.violations(k.full, data)
}

// ValidateKeyless checks an encrypted record, ignoring what is encrypted.
func (k *Kind) ValidateKeyless(data any) []Violation {
	return k.violations(k.keyless, data)
}

func (k *Kind) violations(compiled func() (*jsonschema.Schema, error), data any) []Violation {
	s, err := compiled()
	if err != nil {
		// Only a kind from LoadKinds gets here (Load compiles up front);
		// the message names the schema file and quotes no record.
		return []Violation{{Msg: err.Error()}}
	}
	err = s.Validate(data)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Violation{{Msg: "cannot be checked against the schema (details not shown: they would quote the record)"}}
	}
	var out []Violation
	var collect func(e *jsonschema.ValidationError)
	collect = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				collect(c)
			}
			return
		}
		kw := strings.Join(e.ErrorKind.KeywordPath(), "/")
		// Name the field itself where the keyword is about one: the
		// unknown field, or the missing one.
		switch ek := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, p := range ek.Properties {
				out = append(out, Violation{Path: append(e.InstanceLocation[:len(e.InstanceLocation):len(e.InstanceLocation)], p), Keyword: kw, Msg: "is not in the schema (unknown field)"})
			}
			return
		case *kind.Required:
			for _, p := range ek.Missing {
				out = append(out, Violation{Path: append(e.InstanceLocation[:len(e.InstanceLocation):len(e.InstanceLocation)], p), Keyword: kw, Msg: "is required but missing"})
			}
			return
		}
		out = append(out, Violation{Path: e.InstanceLocation, Keyword: kw, Msg: k.message(e)})
	}
	collect(ve)
	return out
}

// message words a violation for a person without any value of the record:
// not the offending value, whatever the field's class (a plain field can
// hold a name typed in the wrong place), only what the schema itself says.
// The library's own texts quote the value, so each kind of error is worded
// here, and one not listed gets its keyword only.
func (k *Kind) message(e *jsonschema.ValidationError) string {
	kw := strings.Join(e.ErrorKind.KeywordPath(), "/")
	msg := k.violationText(e, kw)
	if h := k.NodeAt(e.InstanceLocation).HintText(); h != "" {
		msg += "; " + h
	}
	return msg
}

// violationText is the wording of message without the hint.
func (k *Kind) violationText(e *jsonschema.ValidationError, kw string) string {
	if k.ClassOf(e.InstanceLocation) != Plain {
		return fmt.Sprintf("does not satisfy the schema's %q rule (value not shown: the field is personal)", kw)
	}
	switch ek := e.ErrorKind.(type) {
	case *kind.Type:
		return fmt.Sprintf("has the wrong type: the schema wants %s, not %s (value not shown)", strings.Join(ek.Want, " or "), ek.Got)
	case *kind.Enum:
		want := make([]string, len(ek.Want))
		for i, w := range ek.Want {
			want[i] = fmt.Sprint(w)
		}
		return "is not one of " + strings.Join(want, ", ") + " (value not shown)"
	case *kind.Const:
		return fmt.Sprintf("must be %v (value not shown)", ek.Want)
	case *kind.Pattern:
		return fmt.Sprintf("does not match the pattern %s (value not shown)", ek.Want)
	case *kind.Format:
		return fmt.Sprintf("is not a valid %s (value not shown)", ek.Want)
	case *kind.MinLength:
		return fmt.Sprintf("is shorter than %d characters", ek.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("is longer than %d characters", ek.Want)
	case *kind.MinItems:
		return fmt.Sprintf("has fewer than %d items", ek.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("has more than %d items", ek.Want)
	case *kind.Minimum:
		return fmt.Sprintf("is less than %s (value not shown)", ek.Want.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("is more than %s (value not shown)", ek.Want.RatString())
	}
	return fmt.Sprintf("does not satisfy the schema's %q rule (value not shown)", kw)
}

// HintText says, for a person, what a valid value looks like: the
// schema's x-hint (and its Dutch x-nl.hint), else what the type, format or
// enum allows. A pattern is never shown: it is for machines.
func (n *Node) HintText() string {
	if n == nil {
		return ""
	}
	switch {
	case n.Hint != "" && n.NL.Hint != "":
		return "expected " + n.Hint + " (NL: " + n.NL.Hint + ")"
	case n.Hint != "":
		return "expected " + n.Hint
	case n.Format == "date":
		return "expected a date written YYYY-MM-DD, e.g. 2026-03-01"
	case n.Format == "email":
		return "expected an e-mail address like name@example.be"
	case len(n.Enum) > 0:
		return "expected one of: " + strings.Join(n.Enum, ", ")
	case slices.Contains(n.Types, "boolean"):
		return "expected true or false"
	case slices.Contains(n.Types, "integer"):
		return "expected a whole number"
	case slices.Contains(n.Types, "number"):
		return "expected a number with a decimal point, e.g. 149.50"
	}
	return ""
}

// NodeAt is the subschema at a record path (list indices step into
// items), or nil where the schema has none.
func (k *Kind) NodeAt(p []string) *Node {
	n := k.Root
	for _, seg := range p {
		switch {
		case n == nil:
			return nil
		case n.Props[seg] != nil:
			n = n.Props[seg]
		case n.Items != nil:
			n = n.Items
		default:
			return nil
		}
	}
	return n
}

// ClassOf is the class of the field at path, following the schema even
// where the record has no value.
func (k *Kind) ClassOf(p []string) Class {
	n := k.Root
	for _, seg := range p {
		if n.Class != Plain {
			return n.Class
		}
		switch {
		case n.Props[seg] != nil:
			n = n.Props[seg]
		case n.Items != nil:
			n = n.Items
		default:
			return n.Class
		}
	}
	return n.Class
}
