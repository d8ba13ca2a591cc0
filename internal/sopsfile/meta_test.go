package sopsfile

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// goodMeta is the sops block of a record the pinned sops wrote.
const goodMeta = `age:
  - enc: |
      -----BEGIN AGE ENCRYPTED FILE-----
      YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBaUy91YzArRUVXazV2T0Fa
      VXdZbnA1U25WMkFYclFMeStaak1QZ21BTkhFCmcrU2YvRExWd1I2RTRpc0pIL1pv
      d09FVUU4UTluaERNQ3dXbG1FVnBIZ0EKLS0tIHpkR3Jpb3JHRGN2UlZ6QjFtVjRS
      dlQxbFJZd1RVWlhkMDk1WHpPZTVQWWcKBdmHPNNs8ow0DfywzvSTNQiBzSNE4Q1w
      aSZvHQ9yqUTqOUBcYMjS+JX01v11azNbfFNtl49EC+OCat2wKdBvbg==
      -----END AGE ENCRYPTED FILE-----
    recipient: age1hwtsf9k3500satum9j6rnfnpzhuce7yz8056g7y8ecukrd9anckskjwacg
encrypted_regex: ^(email|full_name|login|password|phone)$
lastmodified: "2026-11-25T22:18:41Z"
mac: ENC[AES256_GCM,data:Ewk4orTLlp+1F0BSGTMauNPYpxoD3kGtf5D4LsXtWlxahUarntk4z3JmRdzcLVBGkEvnnKd5rojfAP2tmJl8OV9LJi+OkwU62JBwMUtmF4w/ORO8ql42sMI08URkb8iVQG5eMcK5zn0+Xv5KmWnh5lOO5M2dIaMbtsSXG9aeQNE=,iv:SAu7DQCSL55i6+3r95AyoU6uVNFq/VqdLHyMHmSYBSo=,tag:AsvjRKmRaZ33FCGwe4pniw==,type:str]
version: 3.13.3
`

// canary is a value that must never come out of a message.
const canary = "Zyxwvut Canary"

func metaNode(t testing.TB, s string) *yaml.Node {
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
	if strings.Join(m.Recipients.Age, ",") != "age1hwtsf9k3500satum9j6rnfnpzhuce7yz8056g7y8ecukrd9anckskjwacg" || m.EncryptedRegex != "^(email|full_name|login|password|phone)$" || m.Version != "3.13.3" || len(m.Cloud) != 0 || len(m.Selectors) != 0 {
		t.Errorf("ReadMeta = %+v", m)
	}
	// What older sops wrote: empty lists of unused key services, created_at.
	if _, err := ReadMeta(metaNode(t, "kms: []\ngcp_kms: []\nazure_kv: []\nhc_vault: []\npgp: []\n"+goodMeta)); err != nil {
		t.Errorf("empty key service lists: %v", err)
	}
	m, err = ReadMeta(metaNode(t, goodMeta+"kms:\n  - arn: x\ngcp_kms: null\n"))
	if err != nil || strings.Join(m.Cloud, ",") != "kms" {
		t.Errorf("cloud entries: %+v, %v", m, err)
	}
	m, err = ReadMeta(metaNode(t, goodMeta+"mac_only_encrypted: true\nunencrypted_suffix: _x\n"))
	if err != nil || strings.Join(m.Selectors, ",") != "mac_only_encrypted,unencrypted_suffix" {
		t.Errorf("selectors: %+v, %v", m, err)
	}
	armor := "      -----BEGIN AGE ENCRYPTED FILE-----\n"
	for name, tc := range map[string]struct{ doc, want string }{
		"not a mapping":       {"[a, b]", "sops: is not a mapping"},
		"unknown key":         {goodMeta + "note: " + canary + "\n", "sops: holds a key that sops does not write"},
		"unknown key named":   {goodMeta + canary + ": x\n", "sops: holds a key that sops does not write"},
		"age not a list":      {strings.Replace(goodMeta, "age:\n", "age: x\nold:\n", 1), "sops.age: is not a list"},
		"age entry a scalar":  {"age:\n  - x\n" + goodMeta[strings.Index(goodMeta, "encrypted_regex"):], "sops.age.0: is not a mapping"},
		"extra age entry key": {strings.Replace(goodMeta, "    recipient:", "    note: "+canary+"\n    recipient:", 1), "sops.age.0: holds a key that sops does not write in an entry of age"},
		"age recipient text":  {strings.Replace(goodMeta, "recipient: age1", "recipient: age1"+canary, 1), "sops.age.0.recipient: is not an age recipient"},
		"age recipient sum":   {strings.Replace(goodMeta, "kskjwacg", "kskjwacq", 1), "sops.age.0.recipient: is not an age recipient"},
		"text before armor":   {strings.Replace(goodMeta, armor, "      "+canary+"\n"+armor, 1), "sops.age.0.enc: is not exactly an armored age file"},
		"text after armor":    {strings.Replace(goodMeta, "FILE-----\n    recipient", "FILE-----\n      "+canary+"\n    recipient", 1), "sops.age.0.enc: is not exactly an armored age file"},
		"armor not base64":    {strings.Replace(goodMeta, "aSZvHQ9y", "aSZv HQ9", 1), "sops.age.0.enc: is not exactly an armored age file"},
		"age without enc":     {strings.Replace(goodMeta, "  - enc: |", "  - encx: |", 1), "holds a key that sops does not write in an entry of age"},
		"age enc a mapping":   {"age:\n  - enc:\n      a: b\n    recipient: age1hwtsf9k3500satum9j6rnfnpzhuce7yz8056g7y8ecukrd9anckskjwacg\n" + goodMeta[strings.Index(goodMeta, "encrypted_regex"):], "sops.age.0.enc: is not a single value"},
		"version text":        {strings.Replace(goodMeta, "version: 3.13.3", "version: 3.13.3 "+canary, 1), "sops.version: is not a sops version"},
		"fake mac":            {strings.Replace(goodMeta, "mac: ENC[AES256_GCM,data:Ewk4", "mac: ENC[AES256_GCM,data:"+canary, 1), "sops.mac: is not a well-formed encrypted value"},
		"mac a mapping":       {strings.Replace(goodMeta, "mac: ENC", "mac:\n  a: b\nx: ENC", 1), "sops.mac: is not a single value"},
		"lastmodified text":   {strings.Replace(goodMeta, `"2026-11-25T22:18:41Z"`, canary, 1), "sops.lastmodified: is not an RFC 3339 time"},
		"second age key":      {goodMeta + "age: []\n", "sops.age: appears twice"},
		"no recipient":        {goodMeta[strings.Index(goodMeta, "encrypted_regex"):], "sops: names no recipient"},
		"no version":          {strings.Replace(goodMeta, "version: 3.13.3\n", "", 1), "sops.version: is missing"},
		"key groups":          {goodMeta + "key_groups:\n  - age: [x]\n", "key groups are not supported"},
		"mac_only not bool":   {goodMeta + "mac_only_encrypted: " + canary + "\n", "sops.mac_only_encrypted: is not true or false"},
		"pgp fp text":         {goodMeta + "pgp:\n  - fp: " + canary + "\n    enc: x\n", "sops.pgp.0.fp: is not a PGP fingerprint"},
	} {
		_, err := ReadMeta(metaNode(t, tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ReadMeta error %v, want %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "Zyx") {
			t.Errorf("%s: the error quotes the file: %v", name, err)
		}
	}
}

func TestArmoredPGP(t *testing.T) {
	good := "-----BEGIN PGP MESSAGE-----\n\nwcBMA0ZiZ2ZiZ2ZiAQgAoJ0=\n=AbCd\n-----END PGP MESSAGE-----\n"
	if !armored(good, "PGP MESSAGE", 76, true) {
		t.Error("a plain PGP armor refused")
	}
	for _, bad := range []string{
		strings.Replace(good, "-----\n\n", "-----\nComment: "+canary+"\n\n", 1),
		good + canary + "\n",
		canary + "\n" + good,
	} {
		if armored(bad, "PGP MESSAGE", 76, true) {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseENC(t *testing.T) {
	const iv, tag = "SAu7DQCSL55i6+3r95AyoU6uVNFq/VqdLHyMHmSYBSo=", "AsvjRKmRaZ33FCGwe4pniw=="
	enc := func(data, iv, tag, typ string) string {
		return "ENC[AES256_GCM,data:" + data + ",iv:" + iv + ",tag:" + tag + ",type:" + typ + "]"
	}
	for _, typ := range []string{"str", "int", "float", "bool", "comment"} {
		if got, err := ParseENC(enc("d5vWAWAe3dhRHMIANQ==", iv, tag, typ)); err != nil || got != typ {
			t.Errorf("type %s: %q, %v", typ, got, err)
		}
	}
	if _, err := ParseENC(enc("", iv, tag, "str")); err != nil {
		t.Errorf("empty data: %v", err)
	}
	for name, tc := range map[string]struct{ in, want string }{
		"forged data":  {enc(canary, iv, tag, "str"), "the data is not base64"},
		"word data":    {enc("ZyxwvutCanary", iv, tag, "str"), "the data is not base64"},
		"short iv":     {enc("YWJj", "x", tag, "str"), "the iv is not 32 bytes"},
		"short tag":    {enc("YWJj", iv, "y", "str"), "the tag is not 16 bytes"},
		"bytes type":   {enc("YWJj", iv, tag, "bytes"), "the type is not one of"},
		"text type":    {enc("YWJj", iv, tag, canary), "the type is not one of"},
		"after":        {enc("YWJj", iv, tag, "str") + canary, "it must end with ]"},
		"other cipher": {"ENC[ROT13,data:YWJj]", "it must start with"},
		"stray bits":   {enc("YWJk", iv, "AsvjRKmRaZ33FCGwe4pnix==", "str"), "the tag is not 16 bytes"},
		"inner pad":    {enc("YW=j", iv, tag, "str"), "the data is not base64"},
	} {
		_, err := ParseENC(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "Zyx") {
			t.Errorf("%s: ParseENC error %v, want %q and no canary", name, err, tc.want)
		}
	}
}

// encMessages are all the things ParseENC says.
var encMessages = map[string]bool{
	"it must start with ENC[AES256_GCM,data:": true, "no iv after the data": true, "no tag after the iv": true,
	"no type after the tag": true, "it must end with ]": true, "the data is not base64": true,
	"the iv is not 32 bytes in base64": true, "the tag is not 16 bytes in base64": true,
	"the type is not one of str, int, float, bool (dossier reads no other)": true,
}

// FuzzParseENC: whatever a value holds, ParseENC answers without
// panicking, accepts only what round-trips through the grammar, and its
// error never quotes the value.
func FuzzParseENC(f *testing.F) {
	f.Add("ENC[AES256_GCM,data:d5vWAWAe3dhRHMIANQ==,iv:84/WL424DkdxFHLwPvMP8I19VCt4bTP/QyRBUWu3fas=,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]")
	f.Add("ENC[AES256_GCM,data:" + canary + ",iv:x,tag:y,type:str]")
	f.Add("ENC[")
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseENC(s)
		if err != nil {
			// Every message is one of a fixed set: none can carry the value.
			var ee *EncError
			if !errors.As(err, &ee) || !encMessages[ee.Msg] {
				t.Errorf("unexpected error %v", err)
			}
			return
		}
		if !encTypes[typ] || !strings.HasSuffix(s, ",type:"+typ+"]") {
			t.Errorf("accepted %q as type %q", s, typ)
		}
		for _, c := range s {
			if c == ' ' || c > 0x7e {
				t.Errorf("accepted a value with text: %q", s)
			}
		}
	})
}

// FuzzReadMeta: the sops metadata of every pushed record is read by the
// server; whatever it holds, ReadMeta answers without panicking, never
// accepts a block without a recipient, and its errors quote nothing of it
// longer than a key name.
func FuzzReadMeta(f *testing.F) {
	f.Add([]byte(goodMeta))
	f.Add([]byte("age: [x]\n"))
	f.Add([]byte("pgp:\n  - fp: {a: b}\nkms: x\n"))
	f.Add([]byte(goodMeta + "note: " + canary + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
			return
		}
		m, err := ReadMeta(doc.Content[0])
		if err == nil && m.Recipients.Empty() && len(m.Cloud) == 0 {
			t.Errorf("metadata without any recipient accepted:\n%s", data)
		}
		if err != nil {
			for _, v := range scalars(doc.Content[0]) {
				if len(v) > 16 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes %q", err, v)
				}
			}
		}
	})
}

func scalars(n *yaml.Node) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, scalars(c)...)
	}
	return out
}
