package layout

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	kinds := Kinds{"customer": true, "user": true, "contract": true}
	tests := []struct {
		rel  string
		e    Entry
		want string // "" allowed, else a substring of the rule
	}{
		{"records/c-0001/customer.yaml", Regular, ""},
		{"records/c-0001/users/u-0001.yaml", Regular, ""},
		{"records/c-0001/contracts/ct-0001.yaml", Regular, ""},
		{"records/c-0001/errors/err-0001.yaml", Regular, "the schema defines no error records"},
		{"schema/user.schema.yaml", Regular, ""},
		{"ledger/DSR-2026-0001.yaml", Regular, ""},
		{".sops.yaml", Regular, ""},
		{"dossier.yaml", Regular, ""},
		{"hooks/pre-receive", Regular, ""},
		{"README.md", Regular, ""},
		{".gitignore", Regular, ""},
		{".gitattributes", Regular, ""},
		{"notes.txt", Regular, "is not a path a records repository holds"},
		{"docs/x.yaml", Regular, "is not a path a records repository holds"},
		{"Records/c-0001/users/u-0001.yaml", Regular, "differs only by case"},
		{"records/C-0001/users/u-0001.yaml", Regular, "differs only by case"},
		{"RECORDS/whatever", Regular, "differs only by case"},
		{"readme.md", Regular, "differs only by case"},
		{"Dossier.yaml", Regular, "differs only by case"},
		{"records/c-0001/users/kees.yaml", Regular, "not an opaque user id"},
		{"records/c-0001/notes.txt", Regular, "only customer.yaml"},
		{"schema/sub/user.schema.yaml", Regular, "schema files are"},
		{"schema/README", Regular, "schema files are"},
		{"ledger/notes.yaml", Regular, "ledger files are"},
		{"ledger/x/DSR-2026-0001.yaml", Regular, "ledger files are"},
		{"hooks/sub/x", Regular, "hooks are files"},
		{"records/c-0001/users/u-0001.yaml", Symlink, "symbolic links"},
		{"README.md", Symlink, "symbolic links"},
		{"vendor/lib", Gitlink, "submodules"},
	}
	for _, tt := range tests {
		p := Check(tt.rel, tt.e, kinds)
		switch {
		case tt.want == "" && p != nil:
			t.Errorf("%s: refused: %s", tt.rel, p.Rule)
		case tt.want != "" && p == nil:
			t.Errorf("%s: allowed, want %q", tt.rel, tt.want)
		case tt.want != "" && !strings.Contains(p.Rule, tt.want):
			t.Errorf("%s: rule %q, want %q", tt.rel, p.Rule, tt.want)
		}
	}
	if p := Check("records/c-0001/errors/err-0001.yaml", Regular, nil); p != nil {
		t.Errorf("without a schema every known kind is allowed: %s", p.Rule)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("records/c-0001/users/u-0001.yaml")
	f.Add("Records/x")
	f.Fuzz(func(t *testing.T, rel string) {
		p := Check(rel, Regular, nil)
		if p != nil && (p.Rule == "" || p.Fix == "") {
			t.Fatalf("%q: problem without rule or fix", rel)
		}
	})
}

// A path shown in a message keeps dossier's own names and opaque ids and
// hides every other component, which could be a person's name.
func TestShow(t *testing.T) {
	for in, want := range map[string]string{
		"records/c-0001/users/u-0001.yaml":      "records/c-0001/users/u-0001.yaml",
		"records/c-0001/users/Jan Peeters.yaml": "records/c-0001/users/…",
		"Records/c-0001/customer.yaml":          "Records/c-0001/customer.yaml",
		"docs/kees@example.com.txt":             "…/…",
		"notes.txt":                             "…",
		"ledger/DSR-2026-0001.yaml":             "ledger/DSR-2026-0001.yaml",
		"schema/user.schema.yaml":               "schema/user.schema.yaml",
	} {
		if got := Show(in); got != want {
			t.Errorf("Show(%q) = %q, want %q", in, got, want)
		}
	}
}
