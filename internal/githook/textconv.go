package githook

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
	"github.com/vts/dossier/internal/yamltree"
)

// Textconv is what "git diff" shows for a record: the decrypted YAML when
// one of the identities that keys loads opens it (followed by a comment
// naming its recipients, so a key change shows in review), otherwise the
// file as stored, with its ENC[...] placeholders. It never fails: a diff
// must always be readable. dir is where git runs it, normally inside the
// records repository.
//
// A version that breaks the record grammar is not shown at all, decrypted
// or not: a line naming the rule takes its place, so that a directive, tag,
// anchor or forged value (a name hidden where no field is) never reaches a
// diff, a pager or a log.
//
// git runs it once per file version of "git log -p", so it does only what
// the answer needs: no git, the schema of the record's own kind only and
// none compiled, and the keys loaded only for a version that is shown.
func Textconv(dir string, data []byte, keys func() (*sopsfile.Identities, error)) []byte {
	problem := textconvGrammar(dir, data)
	if problem == "" {
		problem = validate.Grammar(data)
	}
	if problem != "" {
		return []byte("# dossier: this version is not a valid record, so it is not shown: " + problem + "\n# (\"dossier validate\" names every problem)\n")
	}
	// A key that cannot be loaded only means the diff shows ciphertext.
	ids, err := keys()
	if err != nil || ids.Empty() {
		return data
	}
	f, err := sopsfile.Decrypt(data, ids)
	if err != nil {
		return data
	}
	plain, err := f.Plain()
	if err != nil {
		return data
	}
	var b bytes.Buffer
	b.Write(plain)
	r := f.Recipients()
	var names []string
	for _, k := range r.Age {
		names = append(names, "age:"+k)
	}
	for _, k := range r.PGP {
		names = append(names, "pgp:"+k)
	}
	for _, k := range r.Vault {
		names = append(names, "vault:"+k)
	}
	b.WriteString("# sops recipients: " + strings.Join(names, ", ") + "\n")
	return b.Bytes()
}

// textconvGrammar is the full record grammar (the schema's personal
// fields included) for a version git hands over without its path: the
// place comes from the record's own kind, customer and id when they are
// well formed, and only that kind's schema is read. The first problem is
// returned, worded without values; "" when there is none, or when the
// version cannot be placed (validate.Grammar still applies then).
func textconvGrammar(dir string, data []byte) string {
	root, err := repo.Find(dir)
	if err != nil || len(data) > validate.MaxRecordSize {
		return ""
	}
	node, err := yamltree.Parse(data)
	if err != nil {
		return ""
	}
	field := func(name string) string {
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == name && node.Content[i+1].Kind == yaml.ScalarNode {
				return node.Content[i+1].Value
			}
		}
		return ""
	}
	kind, customer, id := field("kind"), field("customer"), field("id")
	if kind == "customer" {
		customer = id
	}
	if !record.ValidID("customer", customer) || !record.ValidID(kind, id) {
		return ""
	}
	fsys := os.DirFS(root)
	set, err := schema.LoadKinds(fsys, "schema", kind)
	if err != nil || set.Kinds[kind] == nil {
		return ""
	}
	config, err := os.ReadFile(filepath.Join(root, sopsfile.ConfigFile))
	if err != nil {
		return ""
	}
	rules, err := sopsfile.ParseRules(config)
	if err != nil {
		return ""
	}
	checker := &validate.Checker{Schemas: set, Rules: rules, GrammarOnly: true}
	rel := record.For(customer, kind, id)
	for _, f := range checker.Check(rel, data) {
		if f.BreaksGrammar() {
			return strings.TrimPrefix(f.String(), rel+":")
		}
	}
	return ""
}
