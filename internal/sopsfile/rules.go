// Package sopsfile is dossier's crypto: SOPS files read and written through
// the sops library, the .sops.yaml creation rules that say who may read
// which file, and the age identities of the person running dossier.
//
// Files written here are ordinary SOPS files: the stock sops CLI decrypts
// and edits them, and files it writes are read here.
package sopsfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigFile is the name of the creation rules file at the repository root.
const ConfigFile = ".sops.yaml"

// Rule is one creation rule: which files it covers, who may read them, and
// which fields are encrypted.
type Rule struct {
	Index          int
	PathRegex      string
	EncryptedRegex string
	Recipients     Recipients

	re    *regexp.Regexp
	encRe *regexp.Regexp // nil when the rule has no encrypted_regex
	// needs are literal parts every match contains ("records/", "/users/",
	// ".yaml"): a path without one of them is refused without running the
	// regex. Go's matcher backtracks through dossier's unanchored
	// "(^|/)records/..." rules, and trying every rule on every record was
	// a tenth of keyless validation.
	needs []string
}

// requiredLiterals lists the case-sensitive literal strings in the
// top-level sequence of a path_regex: any match contains each of them.
func requiredLiterals(pathRegex string) []string {
	re, err := syntax.Parse(pathRegex, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat {
		return nil
	}
	var out []string
	for _, sub := range re.Sub {
		if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
			out = append(out, string(sub.Rune))
		}
	}
	return out
}

// match reports whether rel matches the rule's path_regex.
func (r *Rule) match(rel string) bool {
	for _, lit := range r.needs {
		if !strings.Contains(rel, lit) {
			return false
		}
	}
	return r.re.MatchString(rel)
}

// Recipients are the master keys a file's data key is encrypted to.
type Recipients struct {
	Age   []string
	PGP   []string
	Vault []string // self-hosted Vault transit URIs
}

// Empty reports whether there is no recipient at all.
func (r Recipients) Empty() bool { return len(r.Age)+len(r.PGP)+len(r.Vault) == 0 }

// Diff names recipients in want but not in got (missing) and in got but not
// in want (extra), as "age:age1..." strings.
func (r Recipients) Diff(got Recipients) (missing, extra []string) {
	cmp := func(kind string, want, have []string) {
		w, h := set(want), set(have)
		for k := range w {
			if !h[k] {
				missing = append(missing, kind+":"+k)
			}
		}
		for k := range h {
			if !w[k] {
				extra = append(extra, kind+":"+k)
			}
		}
	}
	cmp("age", r.Age, got.Age)
	cmp("pgp", r.PGP, got.PGP)
	cmp("vault", r.Vault, got.Vault)
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[strings.TrimSpace(x)] = true
	}
	return m
}

// Rules are the creation rules of a repository, in order.
type Rules struct {
	File  string
	Rules []*Rule
}

// CloudKMSError is a creation rule that uses a cloud key management
// service; the privacy policy forbids sending data keys over the internet.
type CloudKMSError struct {
	File  string
	Index int
	Field string
}

func (e *CloudKMSError) Error() string {
	return fmt.Sprintf("%s: creation rule %d uses %s, a cloud key service: data keys would leave the company's servers; use age, pgp or a self-hosted hc_vault_transit_uri", e.File, e.Index+1, e.Field)
}

var cloudFields = []string{"kms", "gcp_kms", "azure_keyvault", "hckms", "aws_profile"}

// LoadRules reads root/.sops.yaml. Cloud KMS rules and key groups (which
// dossier does not write) are refused with the rule number.
func LoadRules(root string) (*Rules, error) {
	data, err := os.ReadFile(filepath.Join(root, ConfigFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing: it says who may read the records (run \"dossier init\" or restore it)", ConfigFile)
		}
		return nil, err
	}
	return ParseRules(data)
}

// ruleKeys are the creation rule keys dossier reads. Every other key is
// refused by name (see refusedKeys for why each known one is): a key sops
// reads and dossier ignores would make the two tools write different files.
var ruleKeys = map[string]bool{"path_regex": true, "encrypted_regex": true, "age": true, "pgp": true, "hc_vault_transit_uri": true}

// selectorKeys are sops' ways of choosing which values to encrypt; sops
// itself refuses a rule with more than one of them.
var selectorKeys = []string{"encrypted_regex", "unencrypted_regex", "encrypted_suffix", "unencrypted_suffix", "encrypted_comment_regex", "unencrypted_comment_regex"}

// refusedKeys are sops creation rule keys dossier refuses, and why.
var refusedKeys = map[string]string{
	"mac_only_encrypted":        "it makes the MAC cover only the encrypted values, so the plain fields the server checks without a key (kind, id, customer, dates) could be changed without the MAC noticing; remove it",
	"unencrypted_regex":         "dossier chooses the encrypted fields with encrypted_regex only, generated from the schema; remove it",
	"encrypted_suffix":          "dossier chooses the encrypted fields with encrypted_regex only, generated from the schema; remove it",
	"unencrypted_suffix":        "dossier chooses the encrypted fields with encrypted_regex only, generated from the schema; remove it",
	"encrypted_comment_regex":   "records hold no comments, and a comment must not decide what is encrypted; remove it",
	"unencrypted_comment_regex": "records hold no comments, and a comment must not decide what is encrypted; remove it",
	"shamir_threshold":          "dossier writes one key group, which Shamir secret sharing does not apply to; remove it",
}

// ParseRules parses the contents of a .sops.yaml file. It refuses what
// stock sops refuses (more than one selector in a rule) and what would
// make sops and dossier disagree about a file: any creation rule key
// outside ruleKeys, and a YAML indentation other than sops' default.
func ParseRules(data []byte) (*Rules, error) {
	var raw struct {
		CreationRules []map[string]any `yaml:"creation_rules"`
		Stores        map[string]any   `yaml:"stores"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %v", ConfigFile, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(raw.CreationRules) == 0 {
		return nil, fmt.Errorf("%s: no creation_rules", ConfigFile)
	}
	if err := checkStores(raw.Stores); err != nil {
		return nil, err
	}
	rs := &Rules{File: ConfigFile}
	for i, m := range raw.CreationRules {
		for _, f := range cloudFields {
			if v, ok := m[f]; ok && v != nil && v != "" {
				return nil, &CloudKMSError{File: ConfigFile, Index: i, Field: f}
			}
		}
		if groups, ok := m["key_groups"]; ok {
			if err := refuseCloudInGroups(groups, i); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s: creation rule %d uses key_groups, which dossier does not support; list age/pgp/hc_vault_transit_uri directly", ConfigFile, i+1)
		}
		var selectors []string
		for _, k := range selectorKeys {
			if v, ok := m[k]; ok && v != nil && v != "" {
				selectors = append(selectors, k)
			}
		}
		if len(selectors) > 1 {
			return nil, fmt.Errorf("%s: creation rule %d sets both %s: stock sops refuses a rule with more than one of them; keep encrypted_regex only", ConfigFile, i+1, strings.Join(selectors, " and "))
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ruleKeys[k] {
				continue
			}
			if k == "mac_only_encrypted" && m[k] == false {
				continue // sops' default, spelled out
			}
			if why, ok := refusedKeys[k]; ok {
				return nil, fmt.Errorf("%s: creation rule %d: dossier does not support %s: %s", ConfigFile, i+1, k, why)
			}
			return nil, fmt.Errorf("%s: creation rule %d: unknown key %q (dossier reads path_regex, encrypted_regex, age, pgp and hc_vault_transit_uri); remove it or correct its spelling", ConfigFile, i+1, k)
		}
		r := &Rule{Index: i}
		var ok1, ok2 bool
		r.PathRegex, ok1 = m["path_regex"].(string)
		r.EncryptedRegex, ok2 = m["encrypted_regex"].(string)
		if (!ok1 && m["path_regex"] != nil) || (!ok2 && m["encrypted_regex"] != nil) {
			return nil, fmt.Errorf("%s: creation rule %d: path_regex and encrypted_regex must be strings", ConfigFile, i+1)
		}
		var err error
		if r.re, err = regexp.Compile(r.PathRegex); err != nil {
			return nil, fmt.Errorf("%s: creation rule %d: path_regex: %v", ConfigFile, i+1, err)
		}
		if r.EncryptedRegex != "" {
			if r.encRe, err = regexp.Compile(r.EncryptedRegex); err != nil {
				return nil, fmt.Errorf("%s: creation rule %d: encrypted_regex: %v", ConfigFile, i+1, err)
			}
		}
		r.needs = requiredLiterals(r.PathRegex)
		for field, dst := range map[string]*[]string{"age": &r.Recipients.Age, "pgp": &r.Recipients.PGP, "hc_vault_transit_uri": &r.Recipients.Vault} {
			if *dst, err = keyList(m[field]); err != nil {
				return nil, fmt.Errorf("%s: creation rule %d: %s: %v", ConfigFile, i+1, field, err)
			}
		}
		rs.Rules = append(rs.Rules, r)
	}
	return rs, nil
}

// checkStores refuses a stores.yaml.indent other than the indentation
// dossier writes: sops would re-indent every line of a record on each edit.
func checkStores(stores map[string]any) error {
	y, ok := stores["yaml"]
	if !ok || y == nil {
		return nil
	}
	m, ok := y.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: stores.yaml must be a mapping", ConfigFile)
	}
	for k, v := range m {
		if k != "indent" || v != Indent {
			return fmt.Errorf("%s: stores.yaml.%s: dossier writes records as sops does by default (indent %d) so that either tool's edit changes only the lines it changes; remove the setting", ConfigFile, k, Indent)
		}
	}
	return nil
}

func refuseCloudInGroups(groups any, i int) error {
	list, _ := groups.([]any)
	for _, g := range list {
		gm, _ := g.(map[string]any)
		for _, f := range cloudFields {
			if _, ok := gm[f]; ok {
				return &CloudKMSError{File: ConfigFile, Index: i, Field: "key_groups." + f}
			}
		}
	}
	return nil
}

// keyList accepts sops' two spellings: a comma-separated string or a list.
func keyList(v any) ([]string, error) {
	var out []string
	switch t := v.(type) {
	case nil:
	case string:
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, errors.New("must be a list of keys")
			}
			out = append(out, strings.TrimSpace(s))
		}
	default:
		return nil, errors.New("must be a comma-separated string or a list")
	}
	return out, nil
}

// For returns the first rule whose path_regex matches rel, a slash-separated
// path relative to the repository root (as sops matches it).
func (rs *Rules) For(rel string) (*Rule, error) {
	for _, r := range rs.Rules {
		if r.match(rel) {
			if r.Recipients.Empty() {
				return nil, fmt.Errorf("%s: creation rule %d for %s names no recipient", rs.File, r.Index+1, rel)
			}
			return r, nil
		}
	}
	return nil, fmt.Errorf("%s: no creation rule matches %s (add a path_regex for it)", rs.File, rel)
}
