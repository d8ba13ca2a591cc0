package sopsfile

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vts/dossier"
	"github.com/vts/dossier/internal/schema"
)

func TestParseRules(t *testing.T) {
	rs, err := ParseRules([]byte(`
creation_rules:
  - path_regex: users/
    encrypted_regex: '^(email)$'
    age: 'age1a, age1b'
  - path_regex: .*
    encrypted_regex: '^(email)$'
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
	f.Add([]byte("stores: {yaml: {indent: 4}}\ncreation_rules:\n  - path_regex: 'records/(c-00[4-5][0-9]|c-1)/u'\n    encrypted_regex: '^(email|phone)$'\n    mac_only_encrypted: false\n    age: age1a\n"))
	f.Add([]byte("creation_rules:\n  - encrypted_regex: a\n    encrypted_comment_regex: b\n"))
	set, err := schema.Load(dossier.Assets, "schema")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules(data)
		if err == nil {
			rs.For("records/c-0001/customer.yaml")
			rs.Check(set)
			for _, r := range rs.Rules {
				if n := len(witnesses(r.PathRegex)); n > maxWitnesses {
					t.Errorf("%d witnesses of %q", n, r.PathRegex)
				}
			}
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

// goodRules is a .sops.yaml with one rule per kind, as "dossier init"
// writes it, preceded by extra rules.
func goodRules(t *testing.T, set *schema.Set, extra string) *Rules {
	t.Helper()
	var b strings.Builder
	b.WriteString("creation_rules:\n" + extra)
	for _, kind := range set.Names() {
		fmt.Fprintf(&b, "  - path_regex: '(^|/)%s'\n    encrypted_regex: '%s'\n    age: age1x\n", map[string]string{
			"customer": `records/[^/]+/customer\.yaml$`, "user": `records/[^/]+/users/`, "contract": `records/[^/]+/contracts/`,
			"environment": `records/[^/]+/environment/`, "error": `records/[^/]+/errors/`, "maintenance": `records/[^/]+/maintenance/`,
		}[kind], set.Kinds[kind].EncryptedRegex())
	}
	rs, err := ParseRules([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestCheckEveryRuleAndPathShape(t *testing.T) {
	set, err := schema.Load(dossier.Assets, "schema")
	if err != nil {
		t.Fatal(err)
	}
	if got := goodRules(t, set, "").Check(set); len(got) != 0 {
		t.Fatalf("the generated rules: %+v, want no problem", got)
	}
	for _, tc := range []struct {
		name, extra string
		rule        int
		field       string
	}{
		{"a per-customer rule leaves out phone", "  - path_regex: 'records/c-0042/users/'\n    encrypted_regex: '^(email|full_name|login|password)$'\n    age: age1x\n", 1, "phone"},
		{"a customer class leaves out phone", "  - path_regex: 'records/c-00[4-5][0-9]/users/'\n    encrypted_regex: '^(email|full_name|login|password)$'\n    age: age1x\n", 1, "phone"},
		{"one of several customers leaves out phone", "  - path_regex: 'records/(c-0007|c-0100)/'\n    encrypted_regex: '^(email|full_name|login|password)$'\n    age: age1x\n", 1, "phone"},
		{"a customer range leaves out phone", "  - path_regex: 'records/c-004[0-9]/'\n    encrypted_regex: '^(email|full_name|login|password)$'\n    age: age1x\n", 1, "phone"},
		{"a regex that also encrypts a plain field", "  - path_regex: 'users/u-0007\\.yaml$'\n    encrypted_regex: '^(email|full_name|login|password|phone|role)$'\n    age: age1x\n", 1, "role"},
		{"a regex that matches a plain field by part", "  - path_regex: 'records/c-0001/users/'\n    encrypted_regex: 'email|full_name|login|password|phone|act'\n    age: age1x\n", 1, "active"},
		{"no encrypted_regex: every field encrypted", "  - path_regex: 'records/c-0100/'\n    age: age1x\n", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := goodRules(t, set, tc.extra).Check(set)
			found := false
			for _, p := range got {
				if p.Rule != tc.rule {
					t.Errorf("problem with rule %d: %+v", p.Rule, p)
				}
				if p.Field == tc.field {
					found = true
				}
			}
			if !found {
				t.Errorf("Check = %+v, want rule %d field %q", got, tc.rule, tc.field)
			}
		})
	}
}

func TestParseRulesRefusesWhatSopsRefusesOrDossierCannotHonour(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  - encrypted_regex: '^(a)$'\n    encrypted_comment_regex: 'x'\n    age: age1x\n", "stock sops refuses"},
		{"  - encrypted_regex: '^(a)$'\n    unencrypted_suffix: _plain\n    age: age1x\n", "stock sops refuses"},
		{"  - encrypted_regex: '^(a)$'\n    mac_only_encrypted: true\n    age: age1x\n", "mac_only_encrypted: it makes the MAC cover only"},
		{"  - unencrypted_regex: '^(kind|id)$'\n    age: age1x\n", "does not support unencrypted_regex"},
		{"  - encrypted_regexp: '^(a)$'\n    age: age1x\n", `unknown key "encrypted_regexp"`},
		{"  - encrypted_regex: '^(a)$'\n    shamir_threshold: 2\n    age: age1x\n", "does not support shamir_threshold"},
		{"  - encrypted_regex: '^(a'\n    age: age1x\n", "encrypted_regex: error parsing regexp"},
	} {
		_, err := ParseRules([]byte("creation_rules:\n" + tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRules(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	if _, err := ParseRules([]byte("stores:\n  yaml:\n    indent: 2\ncreation_rules:\n  - encrypted_regex: a\n    age: age1x\n")); err == nil || !strings.Contains(err.Error(), "indent 4") {
		t.Errorf("stores.yaml.indent 2: %v, want a refusal", err)
	}
	for _, ok := range []string{
		"stores:\n  yaml:\n    indent: 4\ncreation_rules:\n  - encrypted_regex: a\n    age: age1x\n",
		"creation_rules:\n  - encrypted_regex: a\n    mac_only_encrypted: false\n    age: age1x\n",
	} {
		if _, err := ParseRules([]byte(ok)); err != nil {
			t.Errorf("ParseRules(%q) = %v, want it accepted", ok, err)
		}
	}
}
