package sopsfile

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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
}

// rawMeta is the part of the "sops" mapping dossier reads. Entries of the
// cloud key services and key groups are only counted: dossier refuses them.
type rawMeta struct {
	Age   []map[string]string // recipient, enc
	PGP   []map[string]string // fp, enc
	Vault []map[string]string // vault_address, engine_path, key_name, enc

	KMS, GCP, Azure, HCKMS, KeyGroups int

	LastModified   string
	MAC            string
	EncryptedRegex string
	Version        string
}

// decodeMeta reads the "sops" mapping node by hand rather than through
// yaml.v3's reflection, which was a tenth of keyless validation: the
// server reads this for every record of every push. Unknown fields are
// ignored, as sops itself does.
func decodeMeta(n *yaml.Node) (rawMeta, error) {
	var raw rawMeta
	if n.Kind != yaml.MappingNode {
		return raw, errors.New("sops is not a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i].Value, n.Content[i+1]
		var err error
		switch key {
		case "age":
			raw.Age, err = metaEntries(key, v)
		case "pgp":
			raw.PGP, err = metaEntries(key, v)
		case "hc_vault":
			raw.Vault, err = metaEntries(key, v)
		case "kms":
			raw.KMS, err = metaCount(key, v)
		case "gcp_kms":
			raw.GCP, err = metaCount(key, v)
		case "azure_kv":
			raw.Azure, err = metaCount(key, v)
		case "hckms":
			raw.HCKMS, err = metaCount(key, v)
		case "key_groups":
			raw.KeyGroups, err = metaCount(key, v)
		case "lastmodified":
			raw.LastModified, err = metaString(key, v)
		case "mac":
			raw.MAC, err = metaString(key, v)
		case "encrypted_regex":
			raw.EncryptedRegex, err = metaString(key, v)
		case "version":
			raw.Version, err = metaString(key, v)
		}
		if err != nil {
			return raw, err
		}
	}
	return raw, nil
}

// metaString is a scalar's text, as yaml.v3 decodes any scalar into a
// string; null is "".
func metaString(key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: %s is not a single value", v.Line, key)
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

// metaCount is the length of a list (null is empty).
func metaCount(key string, v *yaml.Node) (int, error) {
	switch {
	case v.Kind == yaml.SequenceNode:
		return len(v.Content), nil
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return 0, nil
	}
	return 0, fmt.Errorf("line %d: %s is not a list", v.Line, key)
}

// metaEntries is a list of mappings (a key service's entries), their
// single values by name. Anything else in an entry is not dossier's to
// read and is left alone, as sops leaves fields it does not know;
// ReadMeta then finds an entry without its recipient or key.
func metaEntries(key string, v *yaml.Node) ([]map[string]string, error) {
	if _, err := metaCount(key, v); err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, len(v.Content))
	for _, e := range v.Content {
		if e.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: an entry of %s is not a mapping", e.Line, key)
		}
		m := make(map[string]string, len(e.Content)/2)
		for i := 0; i+1 < len(e.Content); i += 2 {
			if s, err := metaString("", e.Content[i+1]); err == nil {
				m[e.Content[i].Value] = s
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// ReadMeta decodes the top-level "sops" mapping node of a file and checks
// that it is well formed: recipients with their encrypted data keys, a MAC,
// a modification time and a version.
func ReadMeta(n *yaml.Node) (*Meta, error) {
	raw, err := decodeMeta(n)
	if err != nil {
		return nil, fmt.Errorf("malformed sops metadata: %v", err)
	}
	m := &Meta{EncryptedRegex: raw.EncryptedRegex, Version: raw.Version, LastModified: raw.LastModified, MAC: raw.MAC}
	for _, a := range raw.Age {
		if a["recipient"] == "" || !strings.Contains(a["enc"], "BEGIN AGE ENCRYPTED FILE") {
			return nil, errors.New("sops metadata: an age entry lacks its recipient or encrypted data key")
		}
		m.Recipients.Age = append(m.Recipients.Age, a["recipient"])
	}
	for _, p := range raw.PGP {
		if p["fp"] == "" || p["enc"] == "" {
			return nil, errors.New("sops metadata: a pgp entry lacks its fingerprint or encrypted data key")
		}
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
	if raw.KeyGroups > 0 {
		return nil, errors.New("sops metadata: key_groups are not supported by dossier")
	}
	if m.Recipients.Empty() && len(m.Cloud) == 0 {
		return nil, errors.New("sops metadata names no recipient")
	}
	if _, ok := EncType(m.MAC); !ok {
		return nil, errors.New("sops metadata: mac is missing or not an encrypted value")
	}
	if _, err := time.Parse(time.RFC3339, m.LastModified); err != nil {
		return nil, errors.New("sops metadata: lastmodified is missing or not a time")
	}
	if m.Version == "" {
		return nil, errors.New("sops metadata: version is missing")
	}
	return m, nil
}
