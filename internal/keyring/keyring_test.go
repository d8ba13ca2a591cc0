package keyring

import (
	"strings"
	"testing"

	"github.com/vts/dossier/internal/sopsfile"
)

const (
	k1 = "age1hwtsf9k3500satum9j6rnfnpzhuce7yz8056g7y8ecukrd9anckskjwacg"
	k2 = "age1hg7jvck9pelz92s3u9yw89mvevqewxl84n25klutwm3nukg65euqnqzqtq"
)

const config = `# who may read
creation_rules:
  - path_regex: 'a'
    encrypted_regex: '^(x)$'
    age: '` + k1 + `'
  - path_regex: 'b'
    encrypted_regex: '^(y)$'
    age:
      - ` + k1 + `
    pgp: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01'
`

func TestEditConfig(t *testing.T) {
	out, err := EditConfig([]byte(config), Add, k2)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := sopsfile.ParseRules(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.Rules {
		if len(r.Recipients.Age) != 2 || r.Recipients.Age[1] != k2 {
			t.Errorf("rule %d: age %v", r.Index+1, r.Recipients.Age)
		}
	}
	if !strings.Contains(string(out), "# who may read") {
		t.Error("comment lost")
	}
	if _, err := EditConfig(out, Add, k2); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("adding twice: %v", err)
	}

	out, err = EditConfig(out, Remove, k1)
	if err != nil {
		t.Fatal(err)
	}
	rules, _ = sopsfile.ParseRules(out)
	for _, r := range rules.Rules {
		if len(r.Recipients.Age) != 1 || r.Recipients.Age[0] != k2 {
			t.Errorf("rule %d after remove: age %v", r.Index+1, r.Recipients.Age)
		}
	}
	if _, err := EditConfig(out, Remove, k1); err == nil || !strings.Contains(err.Error(), "not a recipient") {
		t.Errorf("removing twice: %v", err)
	}
	// Rule 1 has only k2: removing it would leave no reader.
	if _, err := EditConfig(out, Remove, k2); err == nil || !strings.Contains(err.Error(), "only recipient of creation rule 1") {
		t.Errorf("removing the last: %v", err)
	}
	// In the original, k1 is rule 1's only reader (rule 2 also has a PGP key).
	out2, err := EditConfig([]byte(config), Remove, k1)
	if err == nil {
		t.Fatalf("rule 1 would be left without readers:\n%s", out2)
	}
}

func TestField(t *testing.T) {
	for in, want := range map[string]string{
		k1: "age",
		"ABCDEF0123456789ABCDEF0123456789ABCDEF01":            "pgp",
		"https://vault.internal:8200/v1/transit/keys/dossier": "hc_vault_transit_uri",
		"age1notakey":  "",
		"jan@example":  "",
		"arn:aws:kms:": "",
	} {
		got, err := Field(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("Field(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
