// Package workspace is an opened records repository: its root, schemas,
// creation rules and the user's keys, with the record operations that
// every command shares (read decrypted, check, encrypt and write).
package workspace

import (
	"errors"
	"fmt"
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

// Workspace is a records repository opened for work.
type Workspace struct {
	Root    string
	Schemas *schema.Set
	Rules   *sopsfile.Rules
	ids     *sopsfile.Identities
}

// Open finds the repository enclosing dir and loads its schema and rules.
// A broken schema or .sops.yaml is an error that names the file.
func Open(dir string) (*Workspace, error) {
	root, err := repo.Find(dir)
	if err != nil {
		return nil, err
	}
	set, err := schema.LoadDir(root)
	if err != nil {
		return nil, err
	}
	rules, err := sopsfile.LoadRules(root)
	if err != nil {
		return nil, err
	}
	return &Workspace{Root: root, Schemas: set, Rules: rules}, nil
}

// Identities loads the user's age keys once.
func (w *Workspace) Identities() (*sopsfile.Identities, error) {
	if w.ids == nil {
		ids, err := sopsfile.LoadIdentities()
		if err != nil {
			return nil, err
		}
		w.ids = ids
	}
	return w.ids, nil
}

// Rel turns a path given by the user (relative to dir, or absolute) into a
// record path relative to the root, and checks the layout.
func (w *Workspace) Rel(dir, p string) (record.Path, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	rel, err := filepath.Rel(w.Root, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return record.Path{}, fmt.Errorf("%s is outside the records repository %s", p, w.Root)
	}
	return record.Parse(filepath.ToSlash(rel))
}

// Abs is the file system path of a record path.
func (w *Workspace) Abs(rel string) string {
	return filepath.Join(w.Root, filepath.FromSlash(rel))
}

// Open decrypts a record. Errors say which key is missing or that the
// file was tampered with, naming the file.
//
// Only a regular file of at most validate.MaxRecordSize that keeps to the
// record grammar is handed to sops: sops' own messages (and its output, for
// show) would repeat whatever else a file holds, and a symlink could point
// anywhere. Refusals name the file and the first rule, never its content.
func (w *Workspace) Open(rel string) (*sopsfile.File, error) {
	st, err := os.Lstat(w.Abs(rel))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such record", rel)
		}
		return nil, fmt.Errorf("%s: %w", rel, errors.Unwrap(err))
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (a symlink or other entry): a record is a file; restore it with \"git checkout -- %s\"", rel, rel)
	}
	if st.Size() > validate.MaxRecordSize {
		return nil, fmt.Errorf("%s: %v", rel, validate.ErrTooLarge)
	}
	data, err := os.ReadFile(w.Abs(rel))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, errors.Unwrap(err))
	}
	for _, f := range w.Checker(nil).Check(rel, data) {
		if f.BreaksGrammar() {
			return nil, fmt.Errorf("not a valid record, so it is not decrypted: %s (\"dossier validate %s\" lists every problem)", f, rel)
		}
	}
	ids, err := w.Identities()
	if err != nil {
		return nil, err
	}
	f, err := sopsfile.Decrypt(data, ids)
	switch {
	case errors.Is(err, sopsfile.ErrNoKey):
		where := "no age key found"
		if ids.Where != "" {
			where = "keys from " + ids.Where
		}
		return nil, fmt.Errorf("%s: cannot decrypt (%s): none opens this file; set SOPS_AGE_KEY_FILE to your key, or ask a key holder to run \"dossier keys add\" with your public key", rel, where)
	case errors.Is(err, sopsfile.ErrTampered):
		return nil, fmt.Errorf("%s: MAC mismatch: the file was modified outside sops/dossier or is corrupted; restore it with \"git checkout -- %s\"", rel, rel)
	case err != nil:
		// sops' messages quote what they could not read.
		return nil, fmt.Errorf("%s: not a SOPS file that sops can read (details not shown: they would quote the file); restore it with \"git checkout -- %s\"", rel, rel)
	}
	return f, nil
}

// Checker is a validator for this workspace, keyless unless ids is given.
func (w *Workspace) Checker(ids *sopsfile.Identities) *validate.Checker {
	return &validate.Checker{Schemas: w.Schemas, Rules: w.Rules, Identities: ids}
}

// CheckPlain validates a decrypted record about to be written at p: it must
// parse, match the schema and sit where its kind and ids say.
func (w *Workspace) CheckPlain(p record.Path, plain []byte) []validate.Finding {
	kind := w.Schemas.Kinds[p.Kind]
	fail := func(line int, field, msg, fix string) []validate.Finding {
		return []validate.Finding{{File: p.Rel, Line: line, Field: field, Check: "yaml", Message: msg, Fix: fix}}
	}
	// yamltree's errors are *yamltree.Error (line apart, words never
	// quoting the input); another error is shown whole, without a line.
	yamlFail := func(prefix string, err error, fix string) []validate.Finding {
		var ye *yamltree.Error
		if errors.As(err, &ye) {
			return fail(ye.Line, "", prefix+ye.Msg, fix)
		}
		return fail(0, "", prefix+err.Error(), fix)
	}
	if kind == nil {
		return fail(0, "", "no schema for kind "+p.Kind, "add schema/"+p.Kind+".schema.yaml")
	}
	root, err := yamltree.Parse(plain)
	if err != nil {
		return yamlFail("malformed YAML: ", err, "correct the YAML syntax")
	}
	v, err := yamltree.Value(root)
	if err != nil {
		return yamlFail("", err, "correct the YAML")
	}
	var out []validate.Finding
	// The record grammar, but for comments, which Encrypt strips, and
	// flow style, which sops writes as block style: a tag, anchor or alias
	// would not survive encryption as written.
	seen := map[yamltree.Rule]bool{}
	yamltree.Grammar(root, func(n *yaml.Node, r yamltree.Rule) {
		if r != yamltree.RuleComment && r != yamltree.RuleFlow && !seen[r] {
			seen[r] = true
			out = append(out, validate.Finding{File: p.Rel, Line: n.Line, Check: "yaml", Message: r.Text(), Fix: "write plain YAML: field: value lines"})
		}
	})
	m, _ := v.(map[string]any)
	if _, isSops := m["sops"]; isSops {
		return fail(yamltree.KeyLine(root, []string{"sops"}), "sops", "plaintext must not contain sops metadata", "remove the sops: section")
	}
	want := map[string]string{"kind": p.Kind, "id": p.ID}
	if p.Kind != "customer" {
		want["customer"] = p.Customer
	}
	for field, val := range want {
		if got, _ := m[field].(string); got != val {
			out = append(out, validate.Finding{File: p.Rel, Line: yamltree.KeyLine(root, []string{field}), Field: field, Check: "layout", Message: fmt.Sprintf("must be %q: the record's path says so", val), Fix: "set " + field + ": " + val})
		}
	}
	for _, viol := range kind.Validate(v) {
		f := validate.ViolationFinding(kind, root, p.Rel, viol)
		f.Fix = "correct the field"
		if strings.HasPrefix(viol.Keyword, "additionalProperties") {
			f.Fix = "remove the field: the schema does not keep it"
		}
		out = append(out, f)
	}
	validate.Sort(out)
	return out
}

// Encrypt encrypts a checked plaintext record for its path's recipients.
// Comments are dropped first: SOPS would keep them in plaintext. The
// result is verified as the server would (see verify) before it is
// returned for writing.
func (w *Workspace) Encrypt(rel string, plain []byte) ([]byte, error) {
	rule, err := w.Rules.For(rel)
	if err != nil {
		return nil, err
	}
	if plain, err = yamltree.StripComments(plain); err != nil {
		return nil, err
	}
	enc, err := sopsfile.Encrypt(plain, rule)
	if err != nil {
		return nil, err
	}
	return enc, w.verify(rel, enc)
}

// Reencrypt writes an edited plaintext back into f (same data key and
// readers), without its comments, verified as Encrypt's result is.
func (w *Workspace) Reencrypt(rel string, f *sopsfile.File, plain []byte) ([]byte, error) {
	plain, err := yamltree.StripComments(plain)
	if err != nil {
		return nil, err
	}
	enc, err := f.Reencrypt(plain)
	if err != nil {
		return nil, err
	}
	return enc, w.verify(rel, enc)
}

// VerifyError lists what the keyless checks found in a record dossier was
// about to write; nothing was written.
type VerifyError struct{ Findings []validate.Finding }

func (e *VerifyError) Error() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n") + "\nthe encrypted record would not pass validation, so nothing was written; check encrypted_regex in " + sopsfile.ConfigFile + " (\"dossier validate\" names the rule)"
}

// verify runs the server's keyless checks on an encrypted record before
// it is written: a creation rule whose encrypted_regex leaves out a
// personal field must never lead to "created (encrypted)" with that field
// in plaintext on disk.
func (w *Workspace) verify(rel string, enc []byte) error {
	if fs := w.Checker(nil).Check(rel, enc); len(fs) > 0 {
		return &VerifyError{Findings: fs}
	}
	return nil
}
