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

type rawMeta struct {
	Age []struct {
		Recipient string `yaml:"recipient"`
		Enc       string `yaml:"enc"`
	} `yaml:"age"`
	PGP []struct {
		FP  string `yaml:"fp"`
		Enc string `yaml:"enc"`
	} `yaml:"pgp"`
	Vault []struct {
		Address    string `yaml:"vault_address"`
		EnginePath string `yaml:"engine_path"`
		KeyName    string `yaml:"key_name"`
		Enc        string `yaml:"enc"`
	} `yaml:"hc_vault"`
	KMS            []any  `yaml:"kms"`
	GCP            []any  `yaml:"gcp_kms"`
	Azure          []any  `yaml:"azure_kv"`
	HCKMS          []any  `yaml:"hckms"`
	KeyGroups      []any  `yaml:"key_groups"`
	LastModified   string `yaml:"lastmodified"`
	MAC            string `yaml:"mac"`
	EncryptedRegex string `yaml:"encrypted_regex"`
	Version        string `yaml:"version"`
}

// ReadMeta decodes the top-level "sops" mapping node of a file and checks
// that it is well formed: recipients with their encrypted data keys, a MAC,
// a modification time and a version.
func ReadMeta(n *yaml.Node) (*Meta, error) {
	var raw rawMeta
	if err := n.Decode(&raw); err != nil {
		return nil, fmt.Errorf("malformed sops metadata: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	m := &Meta{EncryptedRegex: raw.EncryptedRegex, Version: raw.Version, LastModified: raw.LastModified, MAC: raw.MAC}
	for _, a := range raw.Age {
		if a.Recipient == "" || !strings.Contains(a.Enc, "BEGIN AGE ENCRYPTED FILE") {
			return nil, errors.New("sops metadata: an age entry lacks its recipient or encrypted data key")
		}
		m.Recipients.Age = append(m.Recipients.Age, a.Recipient)
	}
	for _, p := range raw.PGP {
		if p.FP == "" || p.Enc == "" {
			return nil, errors.New("sops metadata: a pgp entry lacks its fingerprint or encrypted data key")
		}
		m.Recipients.PGP = append(m.Recipients.PGP, p.FP)
	}
	for _, v := range raw.Vault {
		m.Recipients.Vault = append(m.Recipients.Vault, fmt.Sprintf("%s/v1/%s/keys/%s", v.Address, v.EnginePath, v.KeyName))
	}
	for name, list := range map[string][]any{"kms": raw.KMS, "gcp_kms": raw.GCP, "azure_kv": raw.Azure, "hckms": raw.HCKMS} {
		if len(list) > 0 {
			m.Cloud = append(m.Cloud, name)
		}
	}
	if len(raw.KeyGroups) > 0 {
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
