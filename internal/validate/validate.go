// Package validate checks records: layout, sops metadata and recipients,
// that every personal and secret value is encrypted with the type the
// schema expects, and the schema itself. Without a key it checks all that
// is readable (the server's view); with one it also opens each file, checks
// its MAC and validates the decrypted values.
//
// Findings never quote a personal or secret value.
package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

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
}

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

// checkConfig makes sure the creation rule of every kind encrypts every
// field the schema calls personal or secret.
func (c *Checker) checkConfig() []Finding {
	var out []Finding
	for _, name := range c.Schemas.Names() {
		k := c.Schemas.Kinds[name]
		example := record.For("c-0000", name, "x")
		if name != "customer" {
			example = filepath.ToSlash(filepath.Join(filepath.Dir(example), exampleID(name)+".yaml"))
		}
		rule, err := c.Rules.For(example)
		if err != nil {
			out = append(out, Finding{File: sopsfile.ConfigFile, Check: "config", Message: strings.TrimPrefix(err.Error(), sopsfile.ConfigFile+": "), Fix: "add a creation rule for " + name + " records"})
			continue
		}
		re, err := regexp.Compile(rule.EncryptedRegex)
		if rule.EncryptedRegex == "" || err != nil {
			out = append(out, Finding{File: sopsfile.ConfigFile, Check: "config", Message: fmt.Sprintf("creation rule %d (%s records) has no valid encrypted_regex", rule.Index+1, name), Fix: "set encrypted_regex: '" + k.EncryptedRegex() + "'"})
			continue
		}
		for _, key := range k.EncryptedKeys {
			if !re.MatchString(key) {
				out = append(out, Finding{File: sopsfile.ConfigFile, Field: key, Check: "config", Message: fmt.Sprintf("creation rule %d (%s records): encrypted_regex does not cover this personal/secret field", rule.Index+1, name), Fix: "set encrypted_regex: '" + k.EncryptedRegex() + "'"})
			}
		}
	}
	return out
}

func exampleID(kind string) string {
	return map[string]string{"user": "u-0000", "contract": "ct-0000", "environment": "env-0000", "error": "err-0000", "maintenance": "mnt-0000"}[kind]
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
	findings := c.run(func(jobs chan<- string) {
		walkErr = walkEntries(root, func(rel string) {
			files = append(files, rel)
			jobs <- rel
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
	return c.run(func(jobs chan<- string) {
		for _, f := range files {
			jobs <- f
		}
	}, src)
}

// run checks the files feed sends, on every core.
func (c *Checker) run(feed func(jobs chan<- string), src Source) []Finding {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan string, 64)
	var mu sync.Mutex
	var all []Finding
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, readBufSize)
			var parser yamltree.Parser
			for rel := range jobs {
				data, err := src(rel, buf)
				var fs []Finding
				if err != nil {
					fs = []Finding{{File: rel, Check: "read", Message: "cannot be read: " + errText(err), Fix: "check the path"}}
				} else {
					fs = c.CheckWith(&parser, rel, data)
				}
				c.Done.Add(1)
				if len(fs) > 0 {
					mu.Lock()
					all = append(all, fs...)
					mu.Unlock()
				}
			}
		}()
	}
	feed(jobs)
	close(jobs)
	wg.Wait()
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

var lineRe = regexp.MustCompile(`^line (\d+): `)

// Check validates one record's bytes as stored at rel.
func (c *Checker) Check(rel string, data []byte) []Finding {
	return c.CheckWith(new(yamltree.Parser), rel, data)
}

// CheckWith is Check parsing into parser, which a worker keeps from record
// to record: the tree lives only until the parser's next parse, and
// nothing of it outlives this call (findings copy what they say).
func (c *Checker) CheckWith(parser *yamltree.Parser, rel string, data []byte) []Finding {
	p, err := record.Parse(rel)
	if err != nil {
		var le *record.LayoutError
		msg := err.Error()
		if errors.As(err, &le) {
			msg = le.Msg
		}
		return []Finding{{File: rel, Check: "layout", Message: msg, Fix: "move the file to its kind's folder under an opaque id"}}
	}
	root, err := parser.Parse(data)
	if err != nil {
		f := Finding{File: rel, Check: "yaml", Message: "malformed YAML: " + err.Error(), Fix: "correct the YAML syntax (or \"git checkout -- " + rel + "\" to restore it)"}
		if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
			f.Line, _ = strconv.Atoi(m[1])
			f.Message = "malformed YAML: " + strings.TrimPrefix(err.Error(), m[0])
		}
		return []Finding{f}
	}
	fc := &fileCheck{c: c, rel: rel, path: p, root: root}
	if line := yamltree.CommentLine(root); line > 0 {
		fc.out = append(fc.out, Finding{File: rel, Line: line, Check: "encryption", Message: "holds a YAML comment: SOPS keeps comments in plaintext (comment not shown)", Fix: "remove the comment with \"dossier edit " + rel + "\" (it strips comments)"})
	}
	fc.run(data)
	return fc.out
}

type fileCheck struct {
	c    *Checker
	rel  string
	path record.Path
	root *yaml.Node
	out  []Finding
}

func (fc *fileCheck) add(path []string, check, msg, fix string) {
	f := Finding{File: fc.rel, Check: check, Message: msg, Fix: fix}
	if path != nil {
		f.Field = strings.Join(path, ".")
		f.Line = yamltree.KeyLine(fc.root, path)
	}
	fc.out = append(fc.out, f)
}

func (fc *fileCheck) run(data []byte) {
	var sopsNode *yaml.Node
	content := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(fc.root.Content); i += 2 {
		if fc.root.Content[i].Value == "sops" {
			sopsNode = fc.root.Content[i+1]
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
			fc.add([]string{"sops"}, "sops", err.Error(), "restore the file from git (\"git checkout -- "+fc.rel+"\"); do not edit sops metadata by hand")
			return
		}
		fc.checkMeta(meta, rule)
	}
	v, err := yamltree.Value(content)
	if err != nil {
		fc.add(nil, "yaml", err.Error(), "correct the YAML")
		return
	}
	fc.checkIdentity(v)
	fc.checkEncryption(kind, v)
	for _, viol := range kind.ValidateKeyless(v) {
		fc.addViolation(viol)
	}
	if fc.c.Identities != nil && sopsNode != nil {
		fc.checkDecrypted(kind, data)
	}
}

func (fc *fileCheck) addViolation(v schema.Violation) {
	fix := "correct the field with \"dossier edit " + fc.rel + "\""
	if strings.HasPrefix(v.Keyword, "additionalProperties") {
		fix = "remove the field: the schema does not keep it (or add it to the schema)"
	} else if strings.HasPrefix(v.Keyword, "required") {
		fix = "add the missing field with \"dossier edit " + fc.rel + "\""
	}
	var path []string
	if len(v.Path) > 0 {
		path = v.Path
	}
	f := Finding{File: fc.rel, Check: "schema", Message: v.Msg, Fix: fix}
	if path != nil {
		f.Field = strings.Join(path, ".")
	}
	f.Line = yamltree.KeyLine(fc.root, path)
	fc.out = append(fc.out, f)
}

func (fc *fileCheck) checkMeta(meta *sopsfile.Meta, rule *sopsfile.Rule) {
	if len(meta.Cloud) > 0 {
		fc.add([]string{"sops"}, "recipients", "encrypted to a cloud key service ("+strings.Join(meta.Cloud, ", ")+"): data keys must not leave the company", "re-encrypt with \"dossier keys rotate\"")
	}
	missing, extra := rule.Recipients.Diff(meta.Recipients)
	if len(extra) > 0 {
		fc.add([]string{"sops"}, "recipients", "encrypted to a recipient that .sops.yaml does not name: "+strings.Join(extra, ", "), "run \"dossier keys rotate\" (or \"sops updatekeys "+fc.rel+"\") to match .sops.yaml")
	}
	if len(missing) > 0 {
		fc.add([]string{"sops"}, "recipients", "not encrypted to a recipient that .sops.yaml names: "+strings.Join(missing, ", "), "run \"dossier keys rotate\" (or \"sops updatekeys "+fc.rel+"\") to match .sops.yaml")
	}
	if meta.EncryptedRegex != rule.EncryptedRegex {
		fc.add([]string{"sops"}, "encryption", "encrypted_regex differs from .sops.yaml creation rule "+strconv.Itoa(rule.Index+1), "re-encrypt with \"dossier edit "+fc.rel+"\"")
	}
}

func (fc *fileCheck) checkIdentity(v any) {
	m, _ := v.(map[string]any)
	if k, ok := m["kind"].(string); ok && k != fc.path.Kind {
		fc.add([]string{"kind"}, "layout", fmt.Sprintf("a %s record is in the %s folder", k, fc.path.Kind), "move it to its kind's folder")
	}
	if id, ok := m["id"].(string); ok && id != fc.path.ID {
		fc.add([]string{"id"}, "layout", fmt.Sprintf("id %q does not match the file name %q", id, fc.path.ID), "rename the file or correct the id")
	}
	if c, ok := m["customer"].(string); ok && fc.path.Kind != "customer" && c != fc.path.Customer {
		fc.add([]string{"customer"}, "layout", fmt.Sprintf("customer %q does not match the folder %q", c, fc.path.Customer), "move the file to records/"+c+"/ or correct the field")
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
			if _, enc := sopsfile.EncType(val); enc {
				fc.add(path, "encryption", "is encrypted but the schema does not call it personal or secret: reviewers and the server cannot read it", "fix encrypted_regex in .sops.yaml, then \"dossier edit "+fc.rel+"\"")
			}
			return
		}
		fc.checkEncryptedLeaves(path, n, val)
	})
}

func (fc *fileCheck) checkEncryptedLeaves(path []string, n *schema.Node, val any) {
	switch t := val.(type) {
	case map[string]any:
		for k, x := range t {
			var sub *schema.Node
			if n != nil {
				sub = n.Props[k]
			}
			fc.checkEncryptedLeaves(append(path[:len(path):len(path)], k), sub, x)
		}
		return
	case []any:
		for i, x := range t {
			var sub *schema.Node
			if n != nil {
				sub = n.Items
			}
			fc.checkEncryptedLeaves(append(path[:len(path):len(path)], strconv.Itoa(i)), sub, x)
		}
		return
	case nil:
		return
	}
	typ, ok := sopsfile.EncType(val)
	if !ok {
		what := "personal"
		if n != nil && n.Class == schema.Secret {
			what = "secret"
		}
		fc.add(path, "encryption", "holds a "+what+" value in plaintext (value not shown)", "encrypt it: \"sops --encrypt --in-place "+fc.rel+"\" or re-create it with dossier; if it was committed, see \"dossier purge\"")
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
		fc.add(nil, "decrypt", err.Error(), "restore the file from git")
		return
	}
	v, err := f.Value()
	if err != nil {
		fc.add(nil, "decrypt", err.Error(), "restore the file from git")
		return
	}
	for _, viol := range kind.Validate(v) {
		if kind.ClassOf(viol.Path) == schema.Plain {
			continue // already reported by the keyless pass
		}
		fc.addViolation(viol)
	}
}
