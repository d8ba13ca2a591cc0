// Package validate checks records: layout, sops metadata and recipients,
// that every personal and secret value is encrypted with the type the
// schema expects, and the schema itself. Without a key it checks all that
// is readable (the server's view); with one it also opens each file, checks
// its MAC and validates the decrypted values.
//
// Findings never quote what a record holds: not a value (of any field:
// a plain field can hold a name typed in the wrong place), not a key the
// schema does not name, not a comment, tag or anchor. They name file,
// line, field (by schema names) and rule. The canary corpus in
// validate/canary, run by the tests of this package and of cmd/dossier,
// and FuzzCheck hold that up.
package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/layout"
	"github.com/vts/dossier/internal/parallel"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/settings"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/yamltree"
)

// Finding is one problem, with what to do about it.
type Finding struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Check   string `json:"check"` // layout, yaml, sops, recipients, encryption, schema, decrypt, config
	Message string `json:"message"`
	Fix     string `json:"fix"`

	// grammar marks a finding of the record grammar: the file holds
	// something that is not a record at all (see BreaksGrammar).
	grammar bool
}

// BreaksGrammar reports whether the finding says the file is not a record
// at all (a directive, tag, anchor, malformed sops block, forged or
// misplaced encrypted value...), as opposed to a record whose values or
// recipients are wrong. Commands that decrypt a record for a person (show,
// edit, correct) refuse such a file instead of handing it to sops, whose
// messages and output would repeat what it holds. Comments are not among
// them: they are stripped by "dossier edit".
func (f Finding) BreaksGrammar() bool { return f.grammar }

func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		b.WriteString(":" + strconv.Itoa(f.Line))
	}
	b.WriteString(": ")
	if f.Field != "" {
		fmt.Fprintf(&b, "field %q ", f.Field)
	}
	b.WriteString(f.Message)
	if f.Fix != "" {
		b.WriteString(" (fix: " + f.Fix + ")")
	}
	return b.String()
}

// Result is what a run checked and found.
type Result struct {
	Files    []string  `json:"files"`
	Findings []Finding `json:"findings"`
	Keyless  bool      `json:"keyless"`
}

// Checker validates records of one repository.
type Checker struct {
	Schemas *schema.Set
	Rules   *sopsfile.Rules
	// Identities open files in keyed mode; nil means keyless.
	Identities *sopsfile.Identities
	// Done counts the files checked, for a person at a terminal; nil
	// counts nothing.
	Done *progress.Counter
	// GrammarOnly leaves out the JSON Schema rules, so that no schema is
	// compiled: for a reader that acts only on BreaksGrammar findings
	// (the diff textconv), which no JSON Schema rule makes.
	GrammarOnly bool
}

// Setup loads schema and creation rules from a repository root. A broken
// schema or .sops.yaml is returned as a finding on that file.
func Setup(fsys fs.FS) (*Checker, []Finding) {
	set, err := schema.Load(fsys, "schema")
	if err != nil {
		var se *schema.Error
		if errors.As(err, &se) {
			return nil, []Finding{{File: se.File, Check: "schema", Message: se.Msg, Fix: "correct the schema file (JSON Schema 2020-12 in YAML)"}}
		}
		return nil, []Finding{{File: "schema", Check: "schema", Message: err.Error(), Fix: "restore schema/ from git"}}
	}
	data, err := fs.ReadFile(fsys, sopsfile.ConfigFile)
	if err != nil {
		return nil, []Finding{{File: sopsfile.ConfigFile, Check: "config", Message: "missing or unreadable", Fix: "restore .sops.yaml from git or run \"dossier init\""}}
	}
	rules, err := sopsfile.ParseRules(data)
	if err != nil {
		return nil, []Finding{{File: sopsfile.ConfigFile, Check: "config", Message: strings.TrimPrefix(err.Error(), sopsfile.ConfigFile+": "), Fix: "correct .sops.yaml"}}
	}
	c := &Checker{Schemas: set, Rules: rules}
	return c, append(c.checkConfig(), checkVault(fsys, rules)...)
}

// checkVault holds Vault transit recipients to the rule backup remotes
// obey: the data keys they wrap go to that host, so it must be one of the
// internal hosts of dossier.yaml, never a public service or address.
func checkVault(fsys fs.FS, rules *sopsfile.Rules) []Finding {
	var internal []string
	if data, err := fs.ReadFile(fsys, settings.File); err == nil {
		if s, err := settings.Parse(data); err == nil {
			internal = s.InternalHosts
		}
	}
	var out []Finding
	for _, r := range rules.Rules {
		for _, uri := range r.Recipients.Vault {
			refuse := func(why string) {
				out = append(out, Finding{File: sopsfile.ConfigFile, Field: "hc_vault_transit_uri", Check: "config", Message: fmt.Sprintf("creation rule %d: Vault transit URI refused: %s", r.Index+1, why), Fix: "use a self-hosted Vault on a host listed in internal_hosts of " + settings.File})
			}
			u, err := url.Parse(uri)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
				refuse("not an http(s) URL with a host")
				continue
			}
			if u.User != nil {
				refuse("credentials in the URL are not allowed")
				continue
			}
			if why := settings.HostRule(u.Hostname(), internal); why != "" {
				refuse(why)
			}
		}
	}
	return out
}

// checkConfig makes sure every creation rule encrypts every field the
// schema calls personal or secret, and no plain field, for every record
// path it applies to (sopsfile.Rules.Check).
func (c *Checker) checkConfig() []Finding {
	var out []Finding
	for _, p := range c.Rules.Check(c.Schemas) {
		out = append(out, Finding{File: sopsfile.ConfigFile, Field: p.Field, Check: "config", Message: p.Message, Fix: p.Fix})
	}
	return out
}

// Files lists every file under records/ of root, as slash paths.
func Files(root string) ([]string, error) {
	var out []string
	err := walkFiles(root, func(rel string) { out = append(out, rel) })
	sort.Strings(out)
	return out, err
}

func walkFiles(root string, fn func(rel string)) error {
	return walkEntries(root, fn, nil)
}

// walkEntries is walkFiles that also gives odd, when not nil, every entry
// that is neither a regular file nor a folder (a symlink under records/).
func walkEntries(root string, fn func(rel string), odd func(rel string, t fs.FileMode)) error {
	top := filepath.Join(root, record.Dir)
	prefix := len(root) + 1
	return filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == top {
				return filepath.SkipDir
			}
			return err
		}
		switch {
		case d.Type().IsRegular():
			fn(filepath.ToSlash(p[prefix:]))
		case !d.IsDir() && odd != nil:
			odd(filepath.ToSlash(p[prefix:]), d.Type())
		}
		return nil
	})
}

// RunTree checks every file under records/ of root while it is still
// being listed (the listing of 50,000 files is itself a noticeable part
// of a full run), and returns the files checked, sorted, and the findings.
func (c *Checker) RunTree(root string) ([]string, []Finding, error) {
	var files []string
	var odd []Finding
	var walkErr error
	findings := c.run(func(send func(string)) {
		walkErr = walkEntries(root, func(rel string) {
			files = append(files, rel)
			send(rel)
		}, func(rel string, t fs.FileMode) {
			odd = append(odd, layoutFinding(rel, t, nil)...)
		})
	}, DirSource(root))
	sort.Strings(files)
	findings = append(findings, odd...)
	Sort(findings)
	return files, findings, walkErr
}

// Source reads the content of a record path (from the work tree, the index
// or a pushed commit). It may read into buf and return it resliced: the
// result is only used until the next call with the same buf, so each
// worker reads every file into one buffer instead of allocating and
// clearing a new one per file.
type Source func(rel string, buf []byte) ([]byte, error)

// DirSource reads files from a directory.
func DirSource(root string) Source {
	return func(rel string, buf []byte) ([]byte, error) {
		return readFile(filepath.Join(root, filepath.FromSlash(rel)), buf)
	}
}

// Run checks files in parallel and returns findings sorted by file and line.
func (c *Checker) Run(files []string, src Source) []Finding {
	return c.run(func(send func(string)) {
		for _, f := range files {
			send(f)
		}
	}, src)
}

// run checks the files feed sends, on every core. Each worker keeps its
// own read buffer and parser from file to file (parallel.Feed's state per
// worker): allocating them per record was a large part of a full run.
func (c *Checker) run(feed func(send func(string)), src Source) []Finding {
	var mu sync.Mutex
	var all []Finding
	parallel.Feed(0, feed, func() func(string) {
		buf := make([]byte, readBufSize)
		var parser yamltree.Parser
		return func(rel string) {
			data, err := src(rel, buf)
			var fs []Finding
			switch {
			case errors.Is(err, ErrTooLarge):
				fs = []Finding{{File: rel, Check: "read", Message: ErrTooLarge.Error(), Fix: "a record holds a few kB: restore it from git, or split what it holds"}}
			case err != nil:
				fs = []Finding{{File: rel, Check: "read", Message: "cannot be read: " + errText(err), Fix: "check the path"}}
			default:
				fs = c.CheckWith(&parser, rel, data)
			}
			c.Done.Add(1)
			if len(fs) > 0 {
				mu.Lock()
				all = append(all, fs...)
				mu.Unlock()
			}
		}
	})
	Sort(all)
	return all
}

// Sort orders findings by file, line and field.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].File != fs[j].File {
			return fs[i].File < fs[j].File
		}
		if fs[i].Line != fs[j].Line {
			return fs[i].Line < fs[j].Line
		}
		return fs[i].Field < fs[j].Field
	})
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// MaxRecordSize is the largest record file read. The records dossier
// writes are a few kB; a larger file is refused before it is read whole,
// so a push or a work tree cannot make validation hold it in memory.
const MaxRecordSize = 1 << 20

// ErrTooLarge is a record file above MaxRecordSize.
var ErrTooLarge = fmt.Errorf("larger than the limit of %d bytes (1 MiB) for a record", MaxRecordSize)

// Check validates one record's bytes as stored at rel.
func (c *Checker) Check(rel string, data []byte) []Finding {
	return c.CheckWith(new(yamltree.Parser), rel, data)
}

// CheckWith is Check parsing into parser, which a worker keeps from record
// to record: the tree lives only until the parser's next parse, and
// nothing of it outlives this call (findings copy what they say).
//
// A record must account for every one of its bytes: one YAML document of
// block mappings, lists and scalars the schema names, and one sops block
// of the keys sops writes (sopsfile.ReadMeta). Whatever else the file
// holds (comments, directives, tags, anchors, unknown keys, forged
// encrypted values) is a finding that names file, line and rule, and never
// quotes the bytes.
func (c *Checker) CheckWith(parser *yamltree.Parser, rel string, data []byte) (out []Finding) {
	// A panic in a library on hostile input (a parser, the sops library)
	// runs on a worker goroutine, where the command's own recover cannot
	// reach: it becomes a finding here, and its value (which may quote the
	// record) is never shown.
	defer func() {
		if r := recover(); r != nil {
			out = []Finding{{File: rel, Check: "internal", Message: "checking this file failed inside dossier (an internal error; details not shown: they may quote the file)", Fix: "report it to the maintainers with the file's commit id, not its content", grammar: true}}
		}
	}()
	p, err := record.Parse(rel)
	if err != nil {
		var le *record.LayoutError
		msg := err.Error()
		if errors.As(err, &le) {
			msg = le.Msg
		}
		// The path broke the layout, so it may hold a name: shown redacted.
		return []Finding{{File: layout.Show(rel), Check: "layout", Message: msg, Fix: "move the file to its kind's folder under an opaque id"}}
	}
	if len(data) > MaxRecordSize {
		return []Finding{{File: rel, Check: "read", Message: ErrTooLarge.Error(), Fix: "a record holds a few kB: restore it from git, or split what it holds", grammar: true}}
	}
	root, err := parser.Parse(data)
	if err != nil {
		if line, r := yamltree.Markers(data); line > 0 && r == yamltree.RuleMarker {
			// yaml.v3's word for a directive or a second document is
			// "incompatible" or worse: name the rule instead.
			return []Finding{{File: rel, Line: line, Check: "yaml", Message: r.Text(), Fix: "remove it, or restore the file with \"git checkout -- " + rel + "\"", grammar: true}}
		}
		// yamltree's messages never quote the file (yamltree.Redact).
		f := Finding{File: rel, Check: "yaml", Message: "malformed YAML: " + err.Error(), Fix: "correct the YAML syntax (or \"git checkout -- " + rel + "\" to restore it)", grammar: true}
		var ye *yamltree.Error
		if errors.As(err, &ye) {
			f.Line, f.Message = ye.Line, "malformed YAML: "+ye.Msg
		}
		return []Finding{f}
	}
	fc := &fileCheck{c: c, rel: rel, path: p, root: root, fast: parser.Fast}
	fc.grammar(data)
	fc.run(data)
	return fc.out
}

// grammar reports what of the file is not a plain YAML document, once
// per rule (the first place it happens).
func (fc *fileCheck) grammar(data []byte) {
	var seen [16]bool
	report := func(line int, r yamltree.Rule, what string) {
		if int(r) < len(seen) && seen[r] {
			return
		}
		seen[r] = true
		fc.bad = true
		msg := r.Text()
		if what != "" {
			msg = what
		}
		fix := "remove it (\"dossier edit " + fc.rel + "\" writes plain YAML), or restore the file with \"git checkout -- " + fc.rel + "\""
		check := "yaml"
		if r == yamltree.RuleComment {
			check = "encryption"
			fix = "remove the comment with \"dossier edit " + fc.rel + "\" (it strips comments)"
		}
		fc.out = append(fc.out, Finding{File: fc.rel, Line: line, Check: check, Message: msg, Fix: fix, grammar: r != yamltree.RuleComment})
	}
	if !fc.fast { // the fast parser reads none of these
		if line, r := yamltree.Markers(data); line > 0 {
			report(line, r, "")
		}
	}
	yamltree.Grammar(fc.root, func(n *yaml.Node, r yamltree.Rule) {
		what := ""
		if r == yamltree.RuleDuplicate {
			switch {
			case n.Value == "sops" && n.Column == 1:
				what = "holds a second sops block: a record has exactly one"
			case fc.named(n.Value):
				what = fmt.Sprintf("holds the field name %q twice in one mapping", n.Value)
			default:
				what = r.Text() + " (name not shown)"
			}
		}
		report(n.Line, r, what)
	})
}

// named reports whether a key is a field name the schema of the record's
// kind (or the sops block) uses: only such names are ever quoted.
func (fc *fileCheck) named(key string) bool {
	if k := fc.c.Schemas.Kinds[fc.path.Kind]; k != nil && k.Named(key) {
		return true
	}
	return false
}

type fileCheck struct {
	c    *Checker
	rel  string
	path record.Path
	root *yaml.Node
	out  []Finding
	// bad is set by a grammar or metadata finding: the file is not opened
	// with a key then, since sops' own errors quote what they read.
	bad  bool
	fast bool // parsed by the fast path (yamltree.Parser.Fast)
}

func (fc *fileCheck) add(path []string, check, msg, fix string) {
	f := Finding{File: fc.rel, Check: check, Message: msg, Fix: fix}
	if path != nil {
		f.Field = fc.fieldName(path)
		f.Line = yamltree.KeyLine(fc.root, path)
	}
	fc.out = append(fc.out, f)
}

// addGrammar is add for a finding of the record grammar.
func (fc *fileCheck) addGrammar(path []string, check, msg, fix string) {
	fc.bad = true
	fc.add(path, check, msg, fix)
	fc.out[len(fc.out)-1].grammar = true
}

// fieldName joins a path for a finding, naming only what the schema names
// and list indexes: any other key could be a value and becomes "(a key)".
func (fc *fileCheck) fieldName(path []string) string {
	return fieldName(fc.c.Schemas.Kinds[fc.path.Kind], path)
}

func fieldName(k *schema.Kind, path []string) string {
	if len(path) > 0 && path[0] == "sops" {
		return strings.Join(path, ".") // only ever known metadata keys (sopsfile.ReadMeta)
	}
	parts := make([]string, len(path))
	for i, p := range path {
		if (k != nil && k.Named(p)) || isIndex(p) {
			parts[i] = p
		} else {
			parts[i] = "(a key)"
		}
	}
	return strings.Join(parts, ".")
}

// pgpFingerprint is 40 hex digits (what sops writes for a PGP key).
func pgpFingerprint(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'A' && s[i] <= 'F' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (fc *fileCheck) run(data []byte) {
	var sopsNode *yaml.Node
	content := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(fc.root.Content); i += 2 {
		if fc.root.Content[i].Value == "sops" {
			if sopsNode == nil {
				sopsNode = fc.root.Content[i+1]
			}
			continue
		}
		content.Content = append(content.Content, fc.root.Content[i], fc.root.Content[i+1])
	}
	kind := fc.c.Schemas.Kinds[fc.path.Kind]
	if kind == nil {
		fc.add(nil, "layout", fmt.Sprintf("no schema for kind %q", fc.path.Kind), "add schema/"+fc.path.Kind+".schema.yaml")
		return
	}
	rule, err := fc.c.Rules.For(fc.rel)
	if err != nil {
		fc.add(nil, "config", strings.TrimPrefix(err.Error(), sopsfile.ConfigFile+": "), "add a creation rule to .sops.yaml")
		return
	}
	if sopsNode == nil {
		fc.add(nil, "sops", "not encrypted: the file has no sops metadata", "encrypt it with \"sops --encrypt --in-place "+fc.rel+"\" or create it with \"dossier new\"")
	} else {
		meta, err := sopsfile.ReadMeta(sopsNode)
		if err != nil {
			f := Finding{File: fc.rel, Check: "sops", Field: "sops", Line: yamltree.KeyLine(fc.root, []string{"sops"}), Message: "malformed sops metadata", Fix: "restore the file from git (\"git checkout -- " + fc.rel + "\"); do not edit sops metadata by hand", grammar: true}
			var me *sopsfile.MetaError
			if errors.As(err, &me) {
				f.Field, f.Message = me.Field, me.Msg
				if me.Line > 0 {
					f.Line = me.Line
				}
			}
			fc.out = append(fc.out, f)
			return
		}
		fc.checkMeta(meta, rule)
	}
	v, err := yamltree.Value(content)
	if err != nil && fc.bad {
		return // a tag, alias or duplicate the grammar has named already
	}
	if err != nil {
		// yamltree's messages never quote the file.
		f := Finding{File: fc.rel, Check: "yaml", Message: err.Error(), Fix: "correct the YAML with \"dossier edit " + fc.rel + "\"", grammar: true}
		var ye *yamltree.Error
		if errors.As(err, &ye) {
			f.Line, f.Message = ye.Line, ye.Msg
		}
		fc.out = append(fc.out, f)
		return
	}
	fc.checkIdentity(v)
	fc.checkEncryption(kind, v)
	if fc.c.GrammarOnly {
		return
	}
	for _, viol := range kind.ValidateKeyless(v) {
		fc.addViolation(viol)
	}
	if fc.c.Identities != nil && sopsNode != nil && !fc.bad {
		fc.checkDecrypted(kind, data)
	}
}

func (fc *fileCheck) addViolation(v schema.Violation) {
	fc.out = append(fc.out, ViolationFinding(fc.c.Schemas.Kinds[fc.path.Kind], fc.root, fc.rel, v))
}

// ViolationFinding words a schema violation of the record at rel (root is
// its parsed tree) as a finding: the one place where a path of the record
// becomes a field name in a message, for validate and for the plaintext
// checks of new, edit and correct. Only schema field names and list
// indexes are quoted; an unknown key is named by its line, not its text.
func ViolationFinding(k *schema.Kind, root *yaml.Node, rel string, v schema.Violation) Finding {
	fix := "correct the field with \"dossier edit " + rel + "\""
	if strings.HasPrefix(v.Keyword, "additionalProperties") {
		fix = "remove the field: the schema does not keep it (or add it to the schema)"
	} else if strings.HasPrefix(v.Keyword, "required") {
		fix = "add the missing field with \"dossier edit " + rel + "\""
	} else if n := yamltree.Find(root, v.Path); len(v.Path) > 0 && n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!timestamp" {
		fix = "this date was stored as a timestamp (\"sops --encrypt\" does that to an unquoted date): run \"dossier edit " + rel + "\", which writes it back as a date"
	}
	var path []string
	if len(v.Path) > 0 {
		path = v.Path
	}
	f := Finding{File: rel, Check: "schema", Message: v.Msg, Fix: fix}
	if path != nil {
		f.Field = fieldName(k, path)
		if last := path[len(path)-1]; strings.HasPrefix(v.Keyword, "additionalProperties") && (k == nil || !k.Named(last)) {
			// The unknown key may itself be a value: name its place only.
			f.Field = fieldName(k, path[:len(path)-1])
			f.Message = "holds a field that the schema does not name (name not shown: it may be a value)"
		}
	}
	f.Line = yamltree.KeyLine(root, path)
	return f
}

func (fc *fileCheck) checkMeta(meta *sopsfile.Meta, rule *sopsfile.Rule) {
	if len(meta.Cloud) > 0 {
		fc.add([]string{"sops"}, "recipients", "encrypted to a cloud key service ("+strings.Join(meta.Cloud, ", ")+"): data keys must not leave the company", "re-encrypt with \"dossier keys rotate\"")
	}
	for _, key := range meta.Selectors {
		fc.addGrammar([]string{"sops", key}, "sops", "holds "+key+", which changes what \"sops -d\" decrypts or authenticates, and .sops.yaml's creation rule "+strconv.Itoa(rule.Index+1)+" does not set it", "restore the file from git (\"git checkout -- "+fc.rel+"\"); do not edit sops metadata by hand")
	}
	missing, extra := rule.Recipients.Diff(meta.Recipients)
	if len(extra) > 0 {
		// A recipient is shown when a rule names it or it is a public key
		// by its form (an X25519 age recipient, a PGP fingerprint: nothing
		// a person types by mistake); any other is text from the file and
		// is counted, not shown.
		var shown []string
		hidden := 0
		for _, r := range extra {
			if fc.c.namedRecipient(r) {
				shown = append(shown, r)
			} else {
				hidden++
			}
		}
		if hidden > 0 {
			shown = append(shown, fmt.Sprintf("%d that no rule of .sops.yaml names (not shown)", hidden))
		}
		fc.add([]string{"sops"}, "recipients", "encrypted to a recipient that .sops.yaml does not name: "+strings.Join(shown, ", "), "run \"dossier keys rotate\" (or \"sops updatekeys "+fc.rel+"\") to match .sops.yaml")
	}
	if len(missing) > 0 {
		fc.add([]string{"sops"}, "recipients", "not encrypted to a recipient that .sops.yaml names: "+strings.Join(missing, ", "), "run \"dossier keys rotate\" (or \"sops updatekeys "+fc.rel+"\") to match .sops.yaml")
	}
	if meta.EncryptedRegex != rule.EncryptedRegex {
		fc.add([]string{"sops"}, "encryption", "encrypted_regex differs from .sops.yaml creation rule "+strconv.Itoa(rule.Index+1), "re-encrypt with \"dossier edit "+fc.rel+"\"")
	}
}

// namedRecipient reports whether r ("age:age1...") may be shown: some
// creation rule names it (it comes from .sops.yaml), or it is a public key
// by its form.
func (c *Checker) namedRecipient(r string) bool {
	kind, key, _ := strings.Cut(r, ":")
	if kind == "age" && len(key) == 62 && sopsfile.ValidAgeRecipient(key) || kind == "pgp" && pgpFingerprint(key) {
		return true
	}
	for _, rule := range c.Rules.Rules {
		var list []string
		switch kind {
		case "age":
			list = rule.Recipients.Age
		case "pgp":
			list = rule.Recipients.PGP
		case "vault":
			list = rule.Recipients.Vault
		}
		for _, x := range list {
			if strings.TrimSpace(x) == key {
				return true
			}
		}
	}
	return false
}

// checkIdentity compares kind, id and customer with the path. The values
// are quoted only when they are a kind name or an opaque id: anything else
// in those fields may be a name typed in the wrong place.
func (fc *fileCheck) checkIdentity(v any) {
	m, _ := v.(map[string]any)
	if k, ok := m["kind"].(string); ok && k != fc.path.Kind {
		what := "a record of another kind"
		if fc.c.Schemas.Kinds[k] != nil {
			what = "a " + k + " record"
		}
		fc.add([]string{"kind"}, "layout", fmt.Sprintf("%s is in the %s folder", what, fc.path.Kind), "move it to its kind's folder")
	}
	if id, ok := m["id"].(string); ok && id != fc.path.ID {
		if record.ValidID(fc.path.Kind, id) {
			fc.add([]string{"id"}, "layout", fmt.Sprintf("id %q does not match the file name %q", id, fc.path.ID), "rename the file or correct the id")
		} else {
			fc.add([]string{"id"}, "layout", fmt.Sprintf("does not match the file name %q (value not shown: not an opaque id)", fc.path.ID), "set id: "+fc.path.ID)
		}
	}
	if c, ok := m["customer"].(string); ok && fc.path.Kind != "customer" && c != fc.path.Customer {
		if record.ValidID("customer", c) {
			fc.add([]string{"customer"}, "layout", fmt.Sprintf("customer %q does not match the folder %q", c, fc.path.Customer), "move the file to records/"+c+"/ or correct the field")
		} else {
			fc.add([]string{"customer"}, "layout", fmt.Sprintf("does not match the folder %q (value not shown: not an opaque id)", fc.path.Customer), "set customer: "+fc.path.Customer)
		}
	}
}

// sopsTypes maps a SOPS type tag to the JSON Schema types it can satisfy.
var sopsTypes = map[string][]string{
	"str":   {"string"},
	"int":   {"integer", "number"},
	"float": {"number"},
	"bool":  {"boolean"},
}

func (fc *fileCheck) checkEncryption(kind *schema.Kind, v any) {
	kind.Walk(v, func(path []string, n *schema.Node, val any) {
		if n.Class == schema.Plain {
			if str, ok := val.(string); ok && sopsfile.IsENCLike(str) {
				fc.add(path, "encryption", "is encrypted but the schema does not call it personal or secret: reviewers and the server cannot read it", "fix encrypted_regex in .sops.yaml, then \"dossier edit "+fc.rel+"\"")
			}
			return
		}
		fc.checkEncryptedLeaves(path, n, val)
	})
}

// checkEncryptedLeaves checks a personal or secret field: one encrypted
// scalar, decoded in full (sopsfile.ParseENC), of a type the schema allows.
// A mapping, list or null there is refused (the schema gives every such
// field a scalar type), and so is a plaintext or a forged ENC value; none
// is quoted, nor is any key found inside the field.
func (fc *fileCheck) checkEncryptedLeaves(path []string, n *schema.Node, val any) {
	what := "personal"
	if n != nil && n.Class == schema.Secret {
		what = "secret"
	}
	switch t := val.(type) {
	case map[string]any:
		if n != nil && n.Props != nil {
			for k, x := range t {
				if sub := n.Props[k]; sub != nil {
					fc.checkEncryptedLeaves(append(path[:len(path):len(path)], k), sub, x)
				} else {
					fc.addGrammar(path, "encryption", "holds a key the schema does not name (not shown)", "remove it with \"dossier edit "+fc.rel+"\"")
				}
			}
			return
		}
		fc.addGrammar(path, "encryption", "holds a mapping where the schema wants one encrypted "+what+" value (keys inside not shown)", "re-enter the value with \"dossier edit "+fc.rel+"\"")
		return
	case []any:
		if n != nil && n.Items != nil {
			for i, x := range t {
				fc.checkEncryptedLeaves(append(path[:len(path):len(path)], strconv.Itoa(i)), n.Items, x)
			}
			return
		}
		fc.addGrammar(path, "encryption", "holds a list where the schema wants one encrypted "+what+" value", "re-enter the value with \"dossier edit "+fc.rel+"\"")
		return
	case nil:
		fc.add(path, "encryption", "is empty (null) where the schema wants one encrypted "+what+" value", "remove the field or enter a value with \"dossier edit "+fc.rel+"\"")
		return
	}
	str, isStr := val.(string)
	if !isStr || !sopsfile.IsENCLike(str) {
		fc.add(path, "encryption", "holds a "+what+" value in plaintext (value not shown)", "encrypt it: \"sops --encrypt --in-place "+fc.rel+"\" or re-create it with dossier; if it was committed, see \"dossier purge\"")
		return
	}
	typ, err := sopsfile.ParseENC(str)
	if err != nil {
		fc.addGrammar(path, "encryption", err.Error()+" (value not shown)", "restore the file from git (\"git checkout -- "+fc.rel+"\") and re-enter the value with \"dossier edit\"")
		return
	}
	if n == nil || len(n.Types) == 0 {
		return
	}
	for _, want := range sopsTypes[typ] {
		for _, have := range n.Types {
			if want == have {
				return
			}
		}
	}
	fc.add(path, "encryption", fmt.Sprintf("encrypted value has type %s but the schema expects %s", typ, strings.Join(n.Types, " or ")), "re-enter the value with \"dossier edit "+fc.rel+"\"")
}

func (fc *fileCheck) checkDecrypted(kind *schema.Kind, data []byte) {
	f, err := sopsfile.DecryptParsed(fc.root, data, fc.c.Identities)
	switch {
	case errors.Is(err, sopsfile.ErrNoKey):
		fc.add(nil, "decrypt", "none of your age keys ("+fc.c.Identities.Where+") can open this file", "ask a key holder to add your public key with \"dossier keys add\", or validate with --keyless")
		return
	case errors.Is(err, sopsfile.ErrTampered):
		fc.add(nil, "decrypt", "MAC mismatch: the file was changed outside sops/dossier or is corrupted", "restore it from git (\"git checkout -- "+fc.rel+"\") and make the change with \"dossier edit\"")
		return
	case err != nil:
		// sops' own errors quote what they could not read: none is shown.
		fc.add(nil, "decrypt", "cannot be opened as a SOPS file (details not shown: they would quote the file)", "restore the file from git")
		return
	}
	v, err := f.Value()
	if err != nil {
		fc.add(nil, "decrypt", "cannot be read after decryption (details not shown)", "restore the file from git")
		return
	}
	for _, viol := range kind.Validate(v) {
		if kind.ClassOf(viol.Path) == schema.Plain {
			continue // already reported by the keyless pass
		}
		fc.addViolation(viol)
	}
}

// Grammar checks the parts of the record grammar that need no schema and
// no path: one plain YAML document (no directive, tag, anchor, alias or
// flow collection), a well-formed sops block, every value that claims to be
// encrypted decoded in full. It is for readers that get a record's bytes
// without its place, such as git's textconv, and returns the first
// problem as "line N: rule" (never quoting the file), or "". Comments are
// not its business: they are shown where the content is shown.
func Grammar(data []byte) string {
	if len(data) > MaxRecordSize {
		return ErrTooLarge.Error()
	}
	var ps yamltree.Parser
	root, err := ps.Parse(data)
	if err != nil {
		return "malformed YAML: " + err.Error()
	}
	if line, r := yamltree.Markers(data); line > 0 && r != yamltree.RuleComment {
		return fmt.Sprintf("line %d: %s", line, r.Text())
	}
	problem := ""
	yamltree.Grammar(root, func(n *yaml.Node, r yamltree.Rule) {
		if problem == "" && r != yamltree.RuleComment {
			problem = fmt.Sprintf("line %d: %s", n.Line, r.Text())
		}
	})
	if problem != "" {
		return problem
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if problem != "" {
			return
		}
		if n.Kind == yaml.ScalarNode && sopsfile.IsENCLike(n.Value) {
			if _, err := sopsfile.ParseENC(n.Value); err != nil {
				problem = fmt.Sprintf("line %d: %v", n.Line, err)
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sops" {
			meta, err := sopsfile.ReadMeta(root.Content[i+1])
			if err != nil {
				return err.Error()
			}
			if len(meta.Selectors) > 0 {
				return "sops." + meta.Selectors[0] + ": changes what \"sops -d\" decrypts or authenticates"
			}
			continue
		}
		walk(root.Content[i+1])
	}
	return problem
}
