package sopsfile

import (
	"errors"
	"os"
	"regexp"
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

// Refusing a path by the rule's required literals must never refuse what
// the rule's regex matches.
func TestRuleMatchSameAsRegex(t *testing.T) {
	regexes := []string{
		`(^|/)records/[^/]+/customer\.yaml$`,
		`(^|/)records/[^/]+/users/[^/]+\.yaml$`,
		`(^|/)records/`,
		`(^|/)a/b|c`, // top-level alternation: no literal is required
		`(^|/)\bx/[^/]+$`,
		`(^|/)(?i)RECORDS/`, // case-folded: not a required literal
		`(^|/)x*$`,
		`(^|/)(?i:Records)/x`,
		`recoRds/|x`,
	}
	paths := []string{
		"records/c-1/customer.yaml", "/srv/repo/records/c-1/customer.yaml", "xrecords/c-1/customer.yaml",
		"records/c-1/users/u-1.yaml", "a/records/c-1/users/u-1.yaml.bak", "records//customer.yaml",
		"a/b", "za/b", "c", "zc/x", "x/y", "records", "", "/", "x", "y/xx", "y/xy",
	}
	for _, re := range regexes {
		rs, err := ParseRules([]byte("creation_rules:\n  - path_regex: '" + re + "'\n    age: age1a\n"))
		if err != nil {
			t.Fatal(err)
		}
		r := rs.Rules[0]
		for _, p := range paths {
			if got, want := r.match(p), r.re.MatchString(p); got != want {
				t.Errorf("path_regex %q on %q: match %v, regexp %v", re, p, got, want)
			}
		}
	}
	if got := strings.Join(requiredLiterals(`(^|/)records/[^/]+/users/[^/]+\.yaml$`), " "); got != "records/ /users/ .yaml" {
		t.Errorf("required literals of the users rule: %q", got)
	}
}

func FuzzRuleMatch(f *testing.F) {
	f.Add(`records/[^/]+/customer\.yaml$`, "a/records/c-1/customer.yaml")
	f.Add(`a|b`, "x/b")
	f.Add(`(?m)^x`, "y/x")
	f.Fuzz(func(t *testing.T, rest, path string) {
		re := "(^|/)" + rest
		full, err := regexp.Compile(re)
		if err != nil {
			return
		}
		r := &Rule{re: full, needs: requiredLiterals(re)}
		if got, want := r.match(path), full.MatchString(path); got != want {
			t.Errorf("path_regex %q on %q: match %v, regexp %v", re, path, got, want)
		}
	})
}

// BenchmarkRulesFor: the server looks up the creation rule of every record
// of a push, and validate of every record in the repository.
func BenchmarkRulesFor(b *testing.B) {
	data, _ := os.ReadFile("../../.sops.yaml")
	rs, err := ParseRules(data)
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"records/c-0001/customer.yaml", "records/c-0001/users/u-00001.yaml", "records/c-0001/maintenance/mnt-00001.yaml", "records/c-0001/errors/err-00001.yaml"}
	for i := 0; i < b.N; i++ {
		if _, err := rs.For(paths[i%4]); err != nil {
			b.Fatal(err)
		}
	}
}
