package sopsfile

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRules(t *testing.T) {
	rs, err := ParseRules([]byte(`
creation_rules:
  - path_regex: users/
    encrypted_regex: '^(email)$'
    age: 'age1a, age1b'
  - path_regex: .*
    age: [age1c]
    pgp: FP1
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := rs.For("records/c-1/users/u-1.yaml")
	if err != nil || r.Index != 0 || strings.Join(r.Recipients.Age, " ") != "age1a age1b" {
		t.Fatalf("For(users) = %+v, %v", r, err)
	}
	r, err = rs.For("records/c-1/customer.yaml")
	if err != nil || r.Index != 1 || r.Recipients.PGP[0] != "FP1" {
		t.Fatalf("For(customer) = %+v, %v", r, err)
	}
	missing, extra := r.Recipients.Diff(Recipients{Age: []string{"age1c", "age1x"}})
	if strings.Join(missing, ",") != "pgp:FP1" || strings.Join(extra, ",") != "age:age1x" {
		t.Errorf("Diff = %v, %v", missing, extra)
	}
}

func TestParseRulesRefusesCloudKMS(t *testing.T) {
	for _, in := range []string{
		"creation_rules:\n  - kms: arn:aws:kms:eu-west-1:1:key/x\n",
		"creation_rules:\n  - gcp_kms: projects/p/locations/l/keyRings/r/cryptoKeys/k\n",
		"creation_rules:\n  - azure_keyvault: https://v.vault.azure.net/keys/k/1\n",
		"creation_rules:\n  - key_groups:\n    - kms: [{arn: x}]\n",
	} {
		_, err := ParseRules([]byte(in))
		var ce *CloudKMSError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cloud key service") {
			t.Errorf("ParseRules(%q) = %v, want a cloud KMS refusal", in, err)
		}
	}
}

func TestEncTypeCases(t *testing.T) {
	for in, want := range map[string]string{
		"ENC[AES256_GCM,data:abc=,iv:aXY=,tag:dGFn,type:str]": "str",
		"ENC[AES256_GCM,data:,iv:aXY=,tag:dGFn,type:int]":     "int",
		"ENC[AES256_GCM,data:abc":                             "",
		"plain":                                               "",
	} {
		got, ok := EncType(in)
		if got != want || ok != (want != "") {
			t.Errorf("EncType(%q) = %q, %v", in, got, ok)
		}
	}
}

// FuzzParseRules: .sops.yaml arrives in pushes and is parsed by the server hook.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte("creation_rules:\n  - path_regex: x\n    age: age1a\n"))
	f.Add([]byte("creation_rules: [{kms: x}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules(data)
		if err == nil {
			rs.For("records/c-0001/customer.yaml")
		}
	})
}
