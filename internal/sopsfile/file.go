package sopsfile

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/logging"
	"github.com/getsops/sops/v3/pgp"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
)

// ErrNoKey means none of the identities available can open the file.
var ErrNoKey = errors.New("no key available opens this file")

// ErrTampered means the file does not match its MAC or a value fails its
// authentication tag: it was changed outside sops/dossier or corrupted.
var ErrTampered = errors.New("the file was modified outside sops/dossier: its MAC does not match")

// Indent is the indentation sops writes YAML with when .sops.yaml sets no
// stores.yaml.indent (sops' IndentDefault): a file edited by dossier and
// then by sops, or the other way round, differs only in the lines that
// changed. ParseRules refuses any other stores setting.
const Indent = sopsyaml.IndentDefault

func store() *sopsyaml.Store { return sopsyaml.NewStore(&config.YAMLStoreConfig{Indent: Indent}) }

// quiet silences the sops library's loggers, which write to stderr at
// warning level, and some of whose warnings quote file content (an
// unencrypted comment it could not decrypt): dossier reports problems
// itself, without values. It runs on first use rather than in init, so
// that it also covers the loggers of sops packages initialised after this
// one (every package is initialised before main).
var quiet = sync.OnceFunc(func() {
	for _, l := range logging.Loggers {
		l.SetOutput(io.Discard)
	}
})

// File is a decrypted SOPS file. It keeps the data key and master keys so
// that an edit can be written back to the same readers, as sops edit does.
type File struct {
	tree sops.Tree
	// rewrite is set when the file on disk holds what dossier does not
	// write back: YAML comments (placed by hand; sops keeps them in
	// plaintext), or timestamps that opening turned back into the dates
	// they were written as (see datesAsText). An edit then writes the file
	// even if the person changes nothing else.
	rewrite bool
	// cipher remembers the IV of each decrypted value, so that values an
	// edit does not change are written back byte for byte (as sops edit
	// does): diffs and merges then show only what changed.
	cipher aes.Cipher
	// spliced is set when the file was read from a parsed tree in the
	// form sops writes, for Rekey and Rewrap to replace only what they
	// change (see splice.go).
	spliced *spliced
}

// Plain returns the decrypted document as YAML, without sops metadata.
func (f *File) Plain() ([]byte, error) {
	return store().EmitPlainFile(f.tree.Branches)
}

// NeedsRewrite reports whether writing the file back changes it even
// without an edit: it holds comments, which dossier drops, or a date that
// sops stored as a timestamp (since: 2019-03-01 becomes
// 2019-03-01T00:00:00Z through "sops -e"), which the schema's date format
// refuses and dossier writes back as the date.
func (f *File) NeedsRewrite() bool { return f.rewrite }

// Recipients returns the master keys the file is encrypted to.
func (f *File) Recipients() Recipients {
	return recipientsOf(f.tree.Metadata)
}

// Encrypt encrypts plain YAML for the rule's recipients, encrypting the
// fields the rule's encrypted_regex names, with a fresh data key.
func Encrypt(plain []byte, rule *Rule) ([]byte, error) {
	branches, err := loadPlain(plain)
	if err != nil {
		return nil, err
	}
	groups, err := keyGroup(rule.Recipients)
	if err != nil {
		return nil, err
	}
	tree := sops.Tree{
		Branches: branches,
		Metadata: sops.Metadata{
			KeyGroups:      []sops.KeyGroup{groups},
			EncryptedRegex: rule.EncryptedRegex,
			Version:        sopsVersion,
		},
	}
	dataKey, errs := tree.GenerateDataKey()
	if len(errs) > 0 {
		return nil, fmt.Errorf("encrypting the data key: %v", errors.Join(errs...))
	}
	return seal(&tree, dataKey, aes.NewCipher())
}

// Reencrypt replaces the file's content with plain and encrypts it with
// the same data key and master keys.
func (f *File) Reencrypt(plain []byte) ([]byte, error) {
	branches, err := loadPlain(plain)
	if err != nil {
		return nil, err
	}
	tree := sops.Tree{Branches: branches, Metadata: f.tree.Metadata}
	return seal(&tree, f.tree.Metadata.DataKey, f.cipher)
}

// Rekey encrypts the file's content with a new data key for recipients.
func (f *File) Rekey(rule *Rule) ([]byte, error) {
	if out, err := f.rekeySpliced(rule, true); !errors.Is(err, errSlowPath) {
		return out, err
	}
	plain, err := f.Plain()
	if err != nil {
		return nil, err
	}
	return Encrypt(plain, rule)
}

// loadPlain reads plaintext YAML the way the sops store does, without
// its comments (sops would write them in plaintext; records hold none),
// and turns its timestamps back into text: yaml.v3 reads an unquoted
// 2019-03-01 as a time, which sops would write as 2019-03-01T00:00:00Z, a
// value the schema's date format refuses. Every date and time in a
// record's schema is a string, so text is what the record means.
func loadPlain(plain []byte) (sops.TreeBranches, error) {
	branches, err := store().LoadPlainFile(plain)
	if err != nil {
		return nil, fmt.Errorf("reading the plaintext: %w", err)
	}
	for i, b := range branches {
		branches[i] = dropComments(b).(sops.TreeBranch)
		datesAsText(branches[i])
	}
	return branches, nil
}

// dropComments returns v without the comments the sops store keeps as
// tree items and list elements.
func dropComments(v any) any {
	switch t := v.(type) {
	case sops.TreeBranch:
		out := t[:0]
		for _, item := range t {
			if _, ok := item.Key.(sops.Comment); ok {
				continue
			}
			if _, ok := item.Value.(sops.Comment); ok {
				continue
			}
			item.Value = dropComments(item.Value)
			out = append(out, item)
		}
		return out
	case []any:
		out := t[:0]
		for _, x := range t {
			if _, ok := x.(sops.Comment); ok {
				continue
			}
			out = append(out, dropComments(x))
		}
		return out
	}
	return v
}

// datesAsText replaces every time value under v by its text: a date
// (midnight UTC, as YAML reads a bare date) as 2006-01-02, anything else
// as RFC 3339. It reports whether it replaced anything.
func datesAsText(v any) bool {
	changed := false
	text := func(x any) (any, bool) {
		t, ok := x.(time.Time)
		if !ok {
			return x, datesAsText(x)
		}
		if t.Equal(t.Truncate(24 * time.Hour)) {
			return t.Format(time.DateOnly), true
		}
		return t.Format(time.RFC3339Nano), true
	}
	switch t := v.(type) {
	case sops.TreeBranch:
		for i := range t {
			var c bool
			t[i].Value, c = text(t[i].Value)
			changed = changed || c
		}
	case []any:
		for i := range t {
			var c bool
			t[i], c = text(t[i])
			changed = changed || c
		}
	}
	return changed
}

func seal(tree *sops.Tree, dataKey []byte, cipher aes.Cipher) ([]byte, error) {
	quiet()
	mac, err := walkTree(tree, true, func(v any, path string) (any, error) {
		return cipher.Encrypt(v, dataKey, path)
	})
	if errors.Is(err, errSlowPath) {
		mac, err = tree.Encrypt(dataKey, cipher)
	}
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	tree.Metadata.LastModified = time.Now().UTC()
	tree.Metadata.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("encrypting the MAC: %w", err)
	}
	return store().EmitEncryptedFile(*tree)
}

func keyGroup(r Recipients) (sops.KeyGroup, error) {
	var g sops.KeyGroup
	if len(r.Age) > 0 {
		ks, err := sopsage.MasterKeysFromRecipients(strings.Join(r.Age, ","))
		if err != nil {
			return nil, fmt.Errorf("age recipient in %s: %w", ConfigFile, err)
		}
		for _, k := range ks {
			g = append(g, k)
		}
	}
	for _, k := range pgp.MasterKeysFromFingerprintString(strings.Join(r.PGP, ",")) {
		g = append(g, k)
	}
	if len(r.Vault) > 0 {
		ks, err := hcvault.NewMasterKeysFromURIs(strings.Join(r.Vault, ","))
		if err != nil {
			return nil, fmt.Errorf("hc_vault_transit_uri in %s: %w", ConfigFile, err)
		}
		for _, k := range ks {
			g = append(g, k)
		}
	}
	return g, nil
}

// Decrypt opens an encrypted file with ids and checks its MAC.
func Decrypt(data []byte, ids *Identities) (*File, error) {
	tree, err := store().LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("not a SOPS file: %w", err)
	}
	return open(tree, ids)
}

// dataKey opens the data key with the first master key that works: age
// keys with the identities loaded once, other kinds through their own
// environment (gpg-agent, VAULT_TOKEN).
func dataKey(m sops.Metadata, ids *Identities) ([]byte, error) {
	if len(m.KeyGroups) != 1 {
		return nil, fmt.Errorf("the file has %d key groups; dossier writes exactly one", len(m.KeyGroups))
	}
	for _, k := range m.KeyGroups[0] {
		if ak, ok := k.(*sopsage.MasterKey); ok {
			if ids == nil || len(ids.parsed) == 0 {
				continue
			}
			ids.parsed.ApplyToMasterKey(ak)
		}
		if key, err := k.Decrypt(); err == nil {
			return key, nil
		}
	}
	return nil, ErrNoKey
}

func recipientsOf(m sops.Metadata) Recipients {
	var r Recipients
	for _, g := range m.KeyGroups {
		for _, k := range g {
			switch t := k.(type) {
			case *sopsage.MasterKey:
				r.Age = append(r.Age, t.Recipient)
			case *pgp.MasterKey:
				r.PGP = append(r.PGP, t.Fingerprint)
			case *hcvault.MasterKey:
				r.Vault = append(r.Vault, t.ToString())
			default:
				r.Age = append(r.Age, keyName(k))
			}
		}
	}
	return r
}

func keyName(k keys.MasterKey) string { return k.TypeToIdentifier() + ":" + k.ToString() }

// EncType reports whether v is a SOPS-encrypted value,
// ENC[AES256_GCM,data:...,iv:...,tag:...,type:T] with base64 data, iv and
// tag, and the type T of the plaintext it holds (str, int, float, bool).
// It is a hand-written scanner because the validator calls it on every
// encrypted value of every record (a regexp was a fifth of keyless
// validation time); encTypeRe in the tests is its specification.
func EncType(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	rest, ok := strings.CutPrefix(s, "ENC[AES256_GCM,data:")
	if !ok {
		return "", false
	}
	for _, field := range []string{",iv:", ",tag:", ",type:"} {
		i := 0
		for i < len(rest) && isBase64(rest[i]) {
			i++
		}
		if i == 0 && field != ",iv:" { // data may be empty, iv and tag may not
			return "", false
		}
		if rest, ok = strings.CutPrefix(rest[i:], field); !ok {
			return "", false
		}
	}
	typ, ok := strings.CutSuffix(rest, "]")
	if !ok || typ == "" {
		return "", false
	}
	for i := 0; i < len(typ); i++ {
		if typ[i] < 'a' || typ[i] > 'z' {
			return "", false
		}
	}
	return typ, true
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// Value returns the decrypted document as plain Go values (map[string]any,
// []any, string, int64, float64, bool, nil), the form the schema validator
// takes, without writing it out as YAML and parsing it again.
func (f *File) Value() (any, error) {
	if len(f.tree.Branches) == 0 {
		return nil, errors.New("the file holds no document")
	}
	return plainValue(f.tree.Branches[0])
}

func plainValue(v any) (any, error) {
	switch t := v.(type) {
	case sops.TreeBranch:
		m := make(map[string]any, len(t))
		for _, item := range t {
			key, ok := item.Key.(string)
			if !ok {
				continue // a comment
			}
			x, err := plainValue(item.Value)
			if err != nil {
				return nil, err
			}
			m[key] = x
		}
		return m, nil
	case []any:
		out := make([]any, 0, len(t))
		for _, x := range t {
			if _, isComment := x.(sops.Comment); isComment {
				continue
			}
			y, err := plainValue(x)
			if err != nil {
				return nil, err
			}
			out = append(out, y)
		}
		return out, nil
	case int:
		return int64(t), nil
	case time.Time:
		if t.Equal(t.Truncate(24 * time.Hour)) {
			return t.Format(time.DateOnly), nil
		}
		return t.Format(time.RFC3339), nil
	case []byte:
		return string(t), nil
	case string, int64, float64, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}
