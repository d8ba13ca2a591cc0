package sopsfile

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/lazyregexp"
)

// Meta is the sops metadata of a file as read without any key: enough to
// check recipients and well-formedness on a server that holds no key.
type Meta struct {
	Recipients     Recipients
	Cloud          []string // cloud KMS key kinds present (refused)
	EncryptedRegex string
	Version        string
	LastModified   string
	MAC            string
	// Selectors are the keys present that change what "sops -d" decrypts
	// or authenticates (mac_only_encrypted, unencrypted_suffix, ...), in
	// file order. dossier writes none; a file that has one is checked
	// against its creation rule.
	Selectors []string
}

// MetaError is a place where the sops block breaks the metadata grammar.
// Field names the place by known key names and list indexes only (an
// unknown key is not named: it may be a value), and Msg never quotes the
// file.
type MetaError struct {
	Line  int
	Field string // e.g. "sops.age.0.enc"
	Msg   string
}

func (e *MetaError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg)
	}
	return e.Field + ": " + e.Msg
}

// rawMeta is the "sops" mapping as the file states it, checked for form
// (decodeMeta) but not yet for policy (ReadMeta). Entries of the cloud key
// services and key groups are only counted: dossier refuses them.
type rawMeta struct {
	Age   []map[string]string // recipient, enc
	PGP   []map[string]string // fp, enc, created_at
	Vault []map[string]string // vault_address, engine_path, key_name, created_at, enc

	KMS, GCP, Azure, HCKMS, KeyGroups int
	Shamir                            bool

	LastModified   string
	MAC            string
	EncryptedRegex string
	Version        string

	Selectors               []string // selector keys present, in order
	UnencryptedSuffix       string
	EncryptedSuffix         string
	UnencryptedRegex        string
	UnencryptedCommentRegex string
	EncryptedCommentRegex   string
	MACOnlyEncrypted        bool
}

// metaSelectorKeys are the metadata keys that change which values sops
// encrypts or authenticates.
var metaSelectorKeys = map[string]bool{
	"unencrypted_suffix": true, "encrypted_suffix": true, "unencrypted_regex": true,
	"unencrypted_comment_regex": true, "encrypted_comment_regex": true, "mac_only_encrypted": true,
}

// entryKeys are the keys of one entry of a key service, as the pinned sops
// writes them (stores.agekey, pgpkey, vaultkey): nothing else is allowed.
var entryKeys = map[string]map[string]bool{
	"age":      {"recipient": true, "enc": true},
	"pgp":      {"created_at": true, "enc": true, "fp": true},
	"hc_vault": {"vault_address": true, "engine_path": true, "key_name": true, "created_at": true, "enc": true},
}

// metaKeys lists, for messages, the keys a record's sops block may hold.
const metaKeys = "age, pgp, hc_vault, lastmodified, mac, encrypted_regex, version"

// decodeMeta reads the "sops" mapping node by hand rather than through
// yaml.v3's reflection, which was a tenth of keyless validation: the
// server reads this for every record of every push. It is a whitelist:
// every key is one the pinned sops writes, once, with a value of its
// type and form; anything else is a *MetaError that names the place, never
// what it holds. Comments, anchors and tags are the record grammar's
// (yamltree.Grammar), checked over the whole file.
func decodeMeta(n *yaml.Node) (rawMeta, error) {
	var raw rawMeta
	if n.Kind != yaml.MappingNode {
		return raw, &MetaError{Line: n.Line, Field: "sops", Msg: "is not a mapping"}
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		known := k.Kind == yaml.ScalarNode && k.Tag == "!!str" && isMetaKey(key)
		if !known {
			return raw, &MetaError{Line: k.Line, Field: "sops", Msg: "holds a key that sops does not write (name not shown); it holds only " + metaKeys}
		}
		if seen[key] {
			return raw, &MetaError{Line: k.Line, Field: "sops." + key, Msg: "appears twice"}
		}
		seen[key] = true
		field := "sops." + key
		var err error
		switch key {
		case "age", "pgp", "hc_vault":
			var es []map[string]string
			es, err = metaEntries(field, key, v)
			switch key {
			case "age":
				raw.Age = es
			case "pgp":
				raw.PGP = es
			default:
				raw.Vault = es
			}
		case "kms":
			raw.KMS, err = metaCount(field, v)
		case "gcp_kms":
			raw.GCP, err = metaCount(field, v)
		case "azure_kv":
			raw.Azure, err = metaCount(field, v)
		case "hckms":
			raw.HCKMS, err = metaCount(field, v)
		case "key_groups":
			raw.KeyGroups, err = metaCount(field, v)
		case "shamir_threshold":
			raw.Shamir = true
		case "lastmodified":
			if raw.LastModified, err = metaString(field, v, "!!str", "!!timestamp"); err == nil {
				if _, perr := time.Parse(time.RFC3339, raw.LastModified); perr != nil {
					err = &MetaError{Line: v.Line, Field: field, Msg: "is not an RFC 3339 time"}
				}
			}
		case "mac":
			if raw.MAC, err = metaString(field, v, "!!str"); err == nil {
				if typ, perr := ParseENC(raw.MAC); perr != nil || typ != "str" {
					err = &MetaError{Line: v.Line, Field: field, Msg: "is not a well-formed encrypted value of type str"}
				}
			}
		case "encrypted_regex":
			raw.EncryptedRegex, err = metaString(field, v, "!!str")
		case "version":
			if raw.Version, err = metaString(field, v, "!!str"); err == nil && !versionRe.MatchString(raw.Version) {
				err = &MetaError{Line: v.Line, Field: field, Msg: "is not a sops version (three numbers, as 3.13.3)"}
			}
		case "mac_only_encrypted":
			raw.Selectors = append(raw.Selectors, key)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || (v.Value != "true" && v.Value != "false") {
				err = &MetaError{Line: v.Line, Field: field, Msg: "is not true or false"}
			}
			raw.MACOnlyEncrypted = v.Value == "true"
		default: // the other selectors, all strings
			raw.Selectors = append(raw.Selectors, key)
			var s string
			s, err = metaString(field, v, "!!str")
			switch key {
			case "unencrypted_suffix":
				raw.UnencryptedSuffix = s
			case "encrypted_suffix":
				raw.EncryptedSuffix = s
			case "unencrypted_regex":
				raw.UnencryptedRegex = s
			case "unencrypted_comment_regex":
				raw.UnencryptedCommentRegex = s
			case "encrypted_comment_regex":
				raw.EncryptedCommentRegex = s
			}
		}
		if err != nil {
			return raw, err
		}
	}
	return raw, nil
}

func isMetaKey(key string) bool {
	switch key {
	case "age", "pgp", "hc_vault", "kms", "gcp_kms", "azure_kv", "hckms", "key_groups", "shamir_threshold",
		"lastmodified", "mac", "encrypted_regex", "version":
		return true
	}
	return metaSelectorKeys[key]
}

// versionRe is a sops release number; sops writes nothing else there.
var versionRe = lazyregexp.New(`^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}$`)

// metaString is a scalar's text, when the scalar resolves to one of tags.
func metaString(field string, v *yaml.Node, tags ...string) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", &MetaError{Line: v.Line, Field: field, Msg: "is not a single value"}
	}
	for _, t := range tags {
		if v.Tag == t {
			return v.Value, nil
		}
	}
	return "", &MetaError{Line: v.Line, Field: field, Msg: "is not text"}
}

// metaCount is the length of a list (null is empty).
func metaCount(field string, v *yaml.Node) (int, error) {
	switch {
	case v.Kind == yaml.SequenceNode:
		return len(v.Content), nil
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return 0, nil
	}
	return 0, &MetaError{Line: v.Line, Field: field, Msg: "is not a list"}
}

// metaEntries is a list of one key service's entries: mappings of the
// keys that service has (entryKeys), each once, each well formed.
func metaEntries(field, service string, v *yaml.Node) ([]map[string]string, error) {
	if _, err := metaCount(field, v); err != nil {
		return nil, err
	}
	allowed := entryKeys[service]
	out := make([]map[string]string, 0, len(v.Content))
	for i, e := range v.Content {
		ef := fmt.Sprintf("%s.%d", field, i)
		if e.Kind != yaml.MappingNode {
			return nil, &MetaError{Line: e.Line, Field: ef, Msg: "is not a mapping"}
		}
		m := make(map[string]string, len(e.Content)/2)
		for j := 0; j+1 < len(e.Content); j += 2 {
			k, val := e.Content[j], e.Content[j+1]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || !allowed[k.Value] {
				return nil, &MetaError{Line: k.Line, Field: ef, Msg: "holds a key that sops does not write in an entry of " + service + " (name not shown)"}
			}
			if _, dup := m[k.Value]; dup {
				return nil, &MetaError{Line: k.Line, Field: ef + "." + k.Value, Msg: "appears twice"}
			}
			s, err := metaString(ef+"."+k.Value, val, "!!str", "!!timestamp")
			if err != nil {
				return nil, err
			}
			if msg := entryValueProblem(service, k.Value, s); msg != "" {
				return nil, &MetaError{Line: val.Line, Field: ef + "." + k.Value, Msg: msg}
			}
			m[k.Value] = s
		}
		for key := range allowed {
			if _, ok := m[key]; !ok && key != "created_at" {
				return nil, &MetaError{Line: e.Line, Field: ef + "." + key, Msg: "is missing"}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// entryValueProblem says what is wrong with the form of one value of a
// key service entry, or "".
func entryValueProblem(service, key, s string) string {
	switch {
	case key == "created_at":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return "is not an RFC 3339 time"
		}
	case service == "age" && key == "recipient":
		if !ValidAgeRecipient(s) {
			return "is not an age recipient (age1... in bech32)"
		}
	case service == "age" && key == "enc":
		if !armored(s, "AGE ENCRYPTED FILE", 64, false) {
			return "is not exactly an armored age file (nothing may come before or after the armor)"
		}
	case service == "pgp" && key == "fp":
		if !hexRe.MatchString(s) {
			return "is not a PGP fingerprint (40 or 16 hex digits)"
		}
	case service == "pgp" && key == "enc":
		if !armored(s, "PGP MESSAGE", 76, true) {
			return "is not exactly an armored PGP message (no headers, nothing before or after the armor)"
		}
	case service == "hc_vault" && key == "vault_address":
		if !vaultAddrRe.MatchString(s) {
			return "is not a Vault address (http(s)://host[:port])"
		}
	case service == "hc_vault" && (key == "engine_path" || key == "key_name"):
		if !vaultNameRe.MatchString(s) {
			return "is not a Vault path (letters, digits, _ - . /)"
		}
	case service == "hc_vault" && key == "enc":
		if !vaultEncRe.MatchString(s) || !validBase64(s[strings.LastIndexByte(s, ':')+1:]) {
			return "is not a Vault transit ciphertext (vault:vN:base64)"
		}
	}
	return ""
}

var (
	hexRe       = lazyregexp.New(`^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{16})$`)
	vaultAddrRe = lazyregexp.New(`^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)
	vaultNameRe = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}$`)
	vaultEncRe  = lazyregexp.New(`^vault:v[0-9]{1,9}:[A-Za-z0-9+/=]+$`)
)

// armored reports whether s is exactly one armored block of the given
// label: the BEGIN line, (for PGP an empty header section, then) standard
// base64 lines of at most width characters, all but the last exactly
// width, (for PGP an optional "=" CRC line,) the END line and at most one
// final newline. An armor header or text around the block could carry
// anything; this leaves no room for it.
func armored(s, label string, width int, pgp bool) bool {
	begin, end := "-----BEGIN "+label+"-----\n", "-----END "+label+"-----"
	body, ok := strings.CutPrefix(s, begin)
	if !ok {
		return false
	}
	body = strings.TrimSuffix(body, "\n")
	body, ok = strings.CutSuffix(body, end)
	if !ok {
		return false
	}
	if pgp {
		if body, ok = strings.CutPrefix(body, "\n"); !ok {
			return false // the blank line that ends the (empty) headers
		}
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if !strings.HasSuffix(body, "\n") || len(lines) == 0 {
		return false
	}
	if pgp && len(lines) > 1 && strings.HasPrefix(lines[len(lines)-1], "=") {
		crc := lines[len(lines)-1][1:]
		if len(crc) != 4 || !validBase64(crc) {
			return false
		}
		lines = lines[:len(lines)-1]
	}
	var all strings.Builder
	for i, l := range lines {
		if l == "" || len(l) > width || (i < len(lines)-1 && len(l) != width) {
			return false
		}
		all.WriteString(l)
	}
	b := all.String()
	_, err := base64.StdEncoding.Strict().DecodeString(b)
	return err == nil
}

// bech32Charset is the data alphabet of bech32 (BIP 173).
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// ValidAgeRecipient reports whether s is an age recipient: "age1" (or a
// plugin's "age1name1") then bech32 data with a valid checksum, lower
// case. A well-formed recipient is a public key and may be named in
// messages; anything else is not shown.
func ValidAgeRecipient(s string) bool {
	if !strings.HasPrefix(s, "age1") || len(s) > 200 || strings.ToLower(s) != s {
		return false
	}
	sep := strings.LastIndexByte(s, '1')
	hrp, data := s[:sep], s[sep+1:]
	if len(data) < 6+1 {
		return false
	}
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return false
		}
	}
	vals := make([]byte, 0, len(hrp)*2+1+len(data))
	for i := 0; i < len(hrp); i++ {
		vals = append(vals, hrp[i]>>5)
	}
	vals = append(vals, 0)
	for i := 0; i < len(hrp); i++ {
		vals = append(vals, hrp[i]&31)
	}
	for i := 0; i < len(data); i++ {
		d := strings.IndexByte(bech32Charset, data[i])
		if d < 0 {
			return false
		}
		vals = append(vals, byte(d))
	}
	return bech32Polymod(vals) == 1
}

func bech32Polymod(vals []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range vals {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// ReadMeta decodes the top-level "sops" mapping node of a file (see
// decodeMeta) and checks what dossier requires of it: recipients with
// their encrypted data keys, a MAC, a modification time, a version, no key
// groups. Errors are *MetaError.
func ReadMeta(n *yaml.Node) (*Meta, error) {
	raw, err := decodeMeta(n)
	if err != nil {
		return nil, err
	}
	fail := func(field, msg string) (*Meta, error) {
		line := n.Line
		for i := 0; i+1 < len(n.Content); i += 2 {
			if "sops."+n.Content[i].Value == field {
				line = n.Content[i].Line
			}
		}
		return nil, &MetaError{Line: line, Field: field, Msg: msg}
	}
	m := &Meta{EncryptedRegex: raw.EncryptedRegex, Version: raw.Version, LastModified: raw.LastModified, MAC: raw.MAC, Selectors: raw.Selectors}
	for _, a := range raw.Age {
		m.Recipients.Age = append(m.Recipients.Age, a["recipient"])
	}
	for _, p := range raw.PGP {
		m.Recipients.PGP = append(m.Recipients.PGP, p["fp"])
	}
	for _, v := range raw.Vault {
		m.Recipients.Vault = append(m.Recipients.Vault, fmt.Sprintf("%s/v1/%s/keys/%s", v["vault_address"], v["engine_path"], v["key_name"]))
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"kms", raw.KMS}, {"gcp_kms", raw.GCP}, {"azure_kv", raw.Azure}, {"hckms", raw.HCKMS}} {
		if c.n > 0 {
			m.Cloud = append(m.Cloud, c.name)
		}
	}
	switch {
	case raw.KeyGroups > 0:
		return fail("sops.key_groups", "key groups are not supported by dossier")
	case raw.Shamir:
		return fail("sops.shamir_threshold", "key groups are not supported by dossier")
	case m.Recipients.Empty() && len(m.Cloud) == 0:
		return fail("sops", "names no recipient")
	case m.MAC == "":
		return fail("sops.mac", "is missing")
	case m.LastModified == "":
		return fail("sops.lastmodified", "is missing")
	case m.Version == "":
		return fail("sops.version", "is missing")
	}
	return m, nil
}
