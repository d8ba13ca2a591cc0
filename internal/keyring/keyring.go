// Package keyring changes who can read the records: the recipients in
// .sops.yaml and the data keys of every record, together, in one commit.
// A change either applies to every record or to none: every new file is
// computed before the first is written, the result is validated, and any
// failure puts every file back as it was.
//
// What it cannot do: a recipient removed today can still read every
// version in history (and in any clone or backup) that was encrypted to
// them. Only "dossier purge" removes history.
package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing/fstest"

	"filippo.io/age"
	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/parallel"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
	"github.com/vts/dossier/internal/yamltree"
)

// Operations.
const (
	Add    = "add"    // a new reader; data keys are kept and encrypted to them too
	Remove = "remove" // a reader leaves; every record gets a new data key
	Rotate = "rotate" // every record gets a new data key for .sops.yaml's recipients
)

// refuse is a change keyring will not make as asked (the recipient is
// already there, a record has uncommitted changes, no key of yours opens a
// record...); nothing was changed. Its message says what to do instead.
// Any other error is a failure of the machine, not of the request.
func refuse(format string, a ...any) error { return refusal.New(format, a...) }

// Result says what a change did.
type Result struct {
	Files  int
	Commit plumbing.Hash
}

var (
	pgpRe   = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)
	vaultRe = regexp.MustCompile(`^https?://[^\s,]+/v1/[^\s,]+/keys/[^\s,]+$`)
)

// Field is the .sops.yaml field that holds a recipient of this form, or an
// error saying which forms are accepted.
func Field(recipient string) (string, error) {
	switch {
	case strings.HasPrefix(recipient, "age1"):
		if _, err := age.ParseX25519Recipient(recipient); err != nil {
			return "", refuse("%q is not a valid age recipient: %v", recipient, err)
		}
		return "age", nil
	case pgpRe.MatchString(recipient):
		return "pgp", nil
	case vaultRe.MatchString(recipient):
		return "hc_vault_transit_uri", nil
	}
	return "", refuse("%q is not a recipient: use an age public key (age1...), a PGP fingerprint (40 hex digits) or a self-hosted Vault transit URI (https://vault.internal/v1/transit/keys/NAME)", recipient)
}

// EditConfig returns .sops.yaml with recipient added to or removed from
// every creation rule, keeping comments and the spelling (comma-separated
// string or list) of each field.
func EditConfig(data []byte, op, recipient string) ([]byte, error) {
	field, err := Field(recipient)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, refuse("%s: %v", sopsfile.ConfigFile, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, refuse("%s is not a YAML mapping", sopsfile.ConfigFile)
	}
	rules := mapGet(doc.Content[0], "creation_rules")
	if rules == nil || rules.Kind != yaml.SequenceNode || len(rules.Content) == 0 {
		return nil, refuse("%s has no creation_rules", sopsfile.ConfigFile)
	}
	changed := 0
	for i, rule := range rules.Content {
		if rule.Kind != yaml.MappingNode {
			return nil, refuse("%s: creation rule %d is not a mapping", sopsfile.ConfigFile, i+1)
		}
		v := mapGet(rule, field)
		keys := list(v)
		has := slices.Contains(keys, recipient)
		switch {
		case op == Add && !has:
			keys = append(keys, recipient)
		case op == Remove && has:
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == recipient })
			if len(keys) == 0 && countOthers(rule, field) == 0 {
				return nil, refuse("%s is the only recipient of creation rule %d: add the new recipient first (\"dossier keys add\"), then remove this one", recipient, i+1)
			}
		default:
			continue
		}
		changed++
		setList(rule, field, v, keys)
	}
	if changed == 0 {
		if op == Add {
			return nil, refuse("%s is already a recipient of every creation rule", recipient)
		}
		return nil, refuse("%s is not a recipient in %s", recipient, sopsfile.ConfigFile)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// list reads sops' two spellings of a key list.
func list(v *yaml.Node) []string {
	var out []string
	switch {
	case v == nil:
	case v.Kind == yaml.ScalarNode:
		for _, s := range strings.Split(v.Value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case v.Kind == yaml.SequenceNode:
		for _, c := range v.Content {
			out = append(out, strings.TrimSpace(c.Value))
		}
	}
	return out
}

func countOthers(rule *yaml.Node, field string) int {
	n := 0
	for _, f := range []string{"age", "pgp", "hc_vault_transit_uri"} {
		if f != field {
			n += len(list(mapGet(rule, f)))
		}
	}
	return n
}

func setList(rule *yaml.Node, field string, v *yaml.Node, keys []string) {
	if len(keys) == 0 {
		for i := 0; i+1 < len(rule.Content); i += 2 {
			if rule.Content[i].Value == field {
				rule.Content = slices.Delete(rule.Content, i, i+2)
				return
			}
		}
		return
	}
	if v != nil && v.Kind == yaml.SequenceNode {
		v.Content = nil
		for _, k := range keys {
			v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k})
		}
		return
	}
	if v == nil {
		v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.SingleQuotedStyle}
		rule.Content = append(rule.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: field}, v)
	}
	v.Value = strings.Join(keys, ",")
}

// Change applies op (Add or Remove with recipient, or Rotate) to the
// repository at root and commits it. ids must open every record. The count
// of records re-encrypted is shown on progressTo (nil: nowhere).
func Change(root string, ids *sopsfile.Identities, op, recipient string, progressTo io.Writer) (*Result, error) {
	g := repo.At(root)
	headIDs, err := headBlobs(g)
	if err != nil {
		return nil, err
	}
	if err := checkSettled(root, g); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(root, sopsfile.ConfigFile)
	oldCfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", sopsfile.ConfigFile, err)
	}
	if err := sameAsHead(headIDs, sopsfile.ConfigFile, oldCfg); err != nil {
		return nil, err
	}
	newCfg := oldCfg
	if op != Rotate {
		if newCfg, err = EditConfig(oldCfg, op, recipient); err != nil {
			return nil, err
		}
	}
	rules, err := sopsfile.ParseRules(newCfg)
	if err != nil {
		return nil, refuse("%v", err)
	}
	files, err := validate.Files(root)
	if err != nil {
		return nil, err
	}
	done := progress.New(progressTo, "keys: re-encrypting records", len(files))
	updated, err := reencryptAll(root, headIDs, files, rules, ids, op, done)
	done.Done()
	if err != nil {
		return nil, err
	}

	// Validated in memory, before anything is written: the new records
	// against the new .sops.yaml.
	checker, findings := validate.Setup(overlay{FS: os.DirFS(root), name: sopsfile.ConfigFile, data: newCfg})
	if checker != nil {
		dir := validate.DirSource(root)
		findings = append(findings, checker.Run(files, func(rel string, buf []byte) ([]byte, error) {
			if data, ok := updated[rel]; ok {
				return data, nil
			}
			return dir(rel, buf)
		})...)
	}
	if len(findings) > 0 {
		var lines []string
		for _, f := range findings {
			lines = append(lines, f.String())
		}
		return nil, refuse("the re-encrypted records do not validate, so nothing was changed:\n%s", strings.Join(lines, "\n"))
	}
	// repo.Change writes the files, commits exactly them and puts every
	// file back on any failure; its cost follows the files changed.
	// (go-git's Worktree.Add recomputes the status of the whole tree per
	// file: 1,000 files took minutes, 50,000 would take days.)
	updated[sopsfile.ConfigFile] = newCfg
	h, err := repo.Change{Write: updated}.Commit(root, commitMessage(op, recipient, len(files)))
	if err != nil {
		return nil, fmt.Errorf("committing: %w (nothing was changed)", err)
	}
	return &Result{Files: len(files), Commit: h}, nil
}

func commitMessage(op, recipient string, n int) string {
	switch op {
	case Add:
		return fmt.Sprintf("keys: add recipient %s\n\nThe data keys of %d records are now also encrypted to it.\n", recipient, n)
	case Remove:
		return fmt.Sprintf("keys: remove recipient %s\n\n%d records re-encrypted with new data keys. Versions in history stay readable\nto the removed key until they are purged.\n", recipient, n)
	}
	return fmt.Sprintf("keys: rotate data keys\n\n%d records re-encrypted with new data keys for the recipients in .sops.yaml.\n", n)
}

// headBlobs maps every file at HEAD to its blob id, from one git ls-tree
// run in the records repository's root (so the paths are relative to it,
// as the records' are): each record read is held to HEAD's version of it,
// so that the key commit carries nobody's uncommitted edit.
func headBlobs(g repo.Git) (map[string]plumbing.Hash, error) {
	head, err := g.Run("rev-parse", "--verify", "-q", "HEAD^{commit}")
	if repo.ExitCode(err) == 1 {
		return nil, refuse("the repository has no commit yet: commit the records first")
	}
	if err != nil {
		return nil, fmt.Errorf("reading HEAD: %w", err)
	}
	out, err := g.Run("ls-tree", "-r", "-z", strings.TrimSpace(string(head)))
	if err != nil {
		return nil, fmt.Errorf("listing the files at HEAD: %w", err)
	}
	ids := make(map[string]plumbing.Hash, bytes.Count(out, []byte{0}))
	for _, entry := range bytes.Split(out, []byte{0}) {
		// <mode> SP <type> SP <id> TAB <path>
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		if !ok {
			continue
		}
		f := bytes.Fields(meta)
		if len(f) != 3 || string(f[1]) != "blob" {
			continue
		}
		if !plumbing.IsHash(string(f[2])) {
			return nil, fmt.Errorf("listing the files at HEAD: unexpected object id in git ls-tree output")
		}
		ids[string(path)] = plumbing.NewHash(string(f[2]))
	}
	return ids, nil
}

// checkSettled refuses to run over staged changes (the key commit would
// carry them along) and on a branch in the middle of a merge or rebase,
// or behind its upstream (every record would conflict on the next pull).
func checkSettled(root string, g repo.Git) error {
	why, err := repo.Unsettled(root)
	if err != nil {
		return fmt.Errorf("checking the branch: %w", err)
	}
	if why != "" {
		return refuse("%s; nothing was changed", why)
	}
	staged, err := g.Lines("diff-index", "--cached", "--name-only", "-z", "--no-renames", "HEAD", "--")
	if err != nil {
		return fmt.Errorf("reading the git index: %w", err)
	}
	if len(staged) > 0 {
		return refuse("%s has staged changes: commit or unstage them first (\"git status\"); nothing was changed", staged[0])
	}
	return nil
}

func sameAsHead(headIDs map[string]plumbing.Hash, rel string, data []byte) error {
	if h, ok := headIDs[rel]; !ok || h != plumbing.ComputeHash(plumbing.BlobObject, data) {
		return refuse("%s has uncommitted changes: commit or restore it first (\"git status\"); nothing was changed", rel)
	}
	return nil
}

// reencryptAll computes every record's new content in memory, on every
// core. Nothing is written: one failure leaves the repository as it is.
func reencryptAll(root string, headIDs map[string]plumbing.Hash, files []string, rules *sopsfile.Rules, ids *sopsfile.Identities, op string, done *progress.Counter) (map[string][]byte, error) {
	outs := make([][]byte, len(files))
	errs := make([]error, len(files))
	parallel.Feed(0, func(send func(int)) {
		for i := range files {
			send(i)
		}
	}, func() func(int) {
		// Each worker parses with its own parser, which keeps its memory
		// from one record to the next.
		var parser yamltree.Parser
		return func(i int) {
			outs[i], errs[i] = reencryptSafe(root, headIDs, files[i], rules, ids, op, &parser)
			done.Add(1)
		}
	})
	updated := make(map[string][]byte, len(files)+1)
	var failed []error
	for i, rel := range files {
		if errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		updated[rel] = outs[i]
	}
	if len(failed) == 0 {
		return updated, nil
	}
	// A refusal only when every file refused: one failing read or write
	// is the machine's failure and says so.
	all := true
	for _, e := range failed {
		all = all && refusal.Is(e)
	}
	if len(failed) > 10 {
		failed = append(failed[:10], fmt.Errorf("... and %d more", len(failed)-10))
	}
	if all {
		return nil, refuse("nothing was changed:\n%v", errors.Join(failed...))
	}
	return nil, fmt.Errorf("nothing was changed:\n%w", errors.Join(failed...))
}

// reencryptSafe is reencrypt in a worker goroutine, where a panic (a bug,
// or a library choking on a malformed file) would end the process with
// its value on stderr, past main's recover: it becomes an error naming
// the file, without the value, which could be a decrypted field.
func reencryptSafe(root string, headIDs map[string]plumbing.Hash, rel string, rules *sopsfile.Rules, ids *sopsfile.Identities, op string, parser *yamltree.Parser) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: internal error while re-encrypting (a bug in dossier or sops; the record was not changed)", rel)
		}
	}()
	return reencrypt(root, headIDs, rel, rules, ids, op, parser)
}

func reencrypt(root string, headIDs map[string]plumbing.Hash, rel string, rules *sopsfile.Rules, ids *sopsfile.Identities, op string, parser *yamltree.Parser) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	if err := sameAsHead(headIDs, rel, data); err != nil {
		return nil, err
	}
	rule, err := rules.For(rel)
	if err != nil {
		return nil, refuse("%v", err)
	}
	// Parsed once, as keyed validation does; a file the parser refuses
	// goes to the sops store, which says what is wrong with it.
	var f *sopsfile.File
	if node, perr := parser.Parse(data); perr == nil {
		f, err = sopsfile.DecryptParsed(node, data, ids)
	} else {
		f, err = sopsfile.Decrypt(data, ids)
	}
	switch {
	case errors.Is(err, sopsfile.ErrNoKey):
		return nil, refuse("%s: none of your keys (%s) opens it; every record must be opened to re-encrypt it", rel, ids.Where)
	case errors.Is(err, sopsfile.ErrTampered):
		return nil, refuse("%s: MAC mismatch; restore it from git first", rel)
	case err != nil:
		// What is wrong is the file, not the machine. The sops library's
		// words may quote the file, so they are not shown; validate names
		// the field and line without the value.
		return nil, refuse("%s: not a SOPS file that dossier can open; \"dossier validate %s\" says why", rel, rel)
	}
	var out []byte
	if op == Add {
		out, err = f.Rewrap(rule)
	} else {
		out, err = f.Rekey(rule)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return out, nil
}

// overlay is a file system with one file replaced: the checks of the new
// records read the new .sops.yaml before it is written.
type overlay struct {
	fs.FS
	name string
	data []byte
}

func (o overlay) Open(name string) (fs.File, error) {
	if name == o.name {
		return fstest.MapFS{name: &fstest.MapFile{Data: o.data, Mode: 0o644}}.Open(name)
	}
	return o.FS.Open(name)
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if name == o.name {
		return o.data, nil
	}
	return fs.ReadFile(o.FS, name)
}
