package sopsfile

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const goodMeta = `age:
  - recipient: age1abc
    enc: |
      -----BEGIN AGE ENCRYPTED FILE-----
      YWJj
      -----END AGE ENCRYPTED FILE-----
lastmodified: "2026-01-02T03:04:05Z"
mac: ENC[AES256_GCM,data:abc=,iv:aXY=,tag:dGFn,type:str]
encrypted_regex: ^(email)$
version: 3.10.2
unencrypted_suffix: _unencrypted
`

func metaNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestReadMeta(t *testing.T) {
	m, err := ReadMeta(metaNode(t, goodMeta))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Recipients.Age, ",") != "age1abc" || m.EncryptedRegex != "^(email)$" || m.Version != "3.10.2" || len(m.Cloud) != 0 {
		t.Errorf("ReadMeta = %+v", m)
	}
	// A field sops may add to an entry some day is not in the way.
	if _, err := ReadMeta(metaNode(t, strings.Replace(goodMeta, "    enc: |", "    extra: {a: 1}\n    enc: |", 1))); err != nil {
		t.Errorf("an unknown nested field in an age entry: %v", err)
	}
	m, err = ReadMeta(metaNode(t, goodMeta+"kms:\n  - arn: x\ngcp_kms: null\n"))
	if err != nil || strings.Join(m.Cloud, ",") != "kms" {
		t.Errorf("cloud entries: %+v, %v", m, err)
	}
	for name, tc := range map[string]struct{ doc, want string }{
		"not a mapping":      {"[a, b]", "not a mapping"},
		"age not a list":     {strings.Replace(goodMeta, "age:\n", "age: x\nold:\n", 1), "age is not a list"},
		"age entry a scalar": {"age:\n  - x\n" + goodMeta[strings.Index(goodMeta, "lastmodified"):], "an entry of age is not a mapping"},
		"mac a mapping":      {strings.Replace(goodMeta, "mac: ENC", "mac:\n  a: b\nx: ENC", 1), "mac is not a single value"},
		"no recipient":       {goodMeta[strings.Index(goodMeta, "lastmodified"):], "names no recipient"},
		"no version":         {strings.Replace(goodMeta, "version:", "versio:", 1), "version is missing"},
		"key groups":         {goodMeta + "key_groups:\n  - age: [x]\n", "key_groups are not supported"},
		"age without enc":    {strings.Replace(goodMeta, "enc: |", "encx: |", 1), "lacks its recipient or encrypted data key"},
		"age enc a mapping":  {strings.Replace(goodMeta, "    enc: |\n      -----BEGIN AGE ENCRYPTED FILE-----\n      YWJj\n      -----END AGE ENCRYPTED FILE-----\n", "    enc:\n      a: b\n", 1), "lacks its recipient or encrypted data key"},
	} {
		_, err := ReadMeta(metaNode(t, tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ReadMeta error %v, want %q", name, err, tc.want)
		}
	}
}

// FuzzReadMeta: the sops metadata of every pushed record is read by the
// server; whatever it holds, ReadMeta answers without panicking.
func FuzzReadMeta(f *testing.F) {
	f.Add([]byte(goodMeta))
	f.Add([]byte("age: [x]\n"))
	f.Add([]byte("pgp:\n  - fp: {a: b}\nkms: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
			return
		}
		m, err := ReadMeta(doc.Content[0])
		if err == nil && m.Recipients.Empty() && len(m.Cloud) == 0 {
			t.Errorf("metadata without any recipient accepted:\n%s", data)
		}
	})
}
