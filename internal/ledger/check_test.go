package ledger

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	good := Header + "\nid: DSR-2026-0001\ntype: erasure\nsubject: c-0001/u-0001\nreceived: \"2026-01-01\"\ndue: \"2026-02-01\"\nstatus: done\ndone: \"2026-01-05\"\nerased_paths:\n  - records/c-0001/users/u-0001.yaml\nerased_objects:\n  - 0123456789abcdef0123456789abcdef01234567\n"
	tests := []struct {
		name, name2, data string
		want              string // "" valid, else a substring of a problem
	}{
		{"valid", "ledger/DSR-2026-0001.yaml", good, ""},
		{"wrong file", "ledger/DSR-2026-0002.yaml", good, "does not match the file name"},
		{"comment", "ledger/DSR-2026-0001.yaml", good + "# CANARY Kees\n", "holds a comment"},
		{"unknown field", "ledger/DSR-2026-0001.yaml", good + "note: CANARY Kees\n", "holds a field the ledger does not know"},
		{"subject value", "ledger/DSR-2026-0001.yaml", strings.Replace(good, "c-0001/u-0001", "CANARY Kees", 1), "subject"},
		{"path value", "ledger/DSR-2026-0001.yaml", strings.Replace(good, "records/c-0001/users/u-0001.yaml", "records/CANARY/kees.yaml", 1), "erased_paths.0"},
		{"object value", "ledger/DSR-2026-0001.yaml", strings.Replace(good, "0123456789abcdef0123456789abcdef01234567", "CANARY", 1), "erased_objects.0"},
		{"date value", "ledger/DSR-2026-0001.yaml", strings.Replace(good, "\"2026-01-05\"", "CANARY", 1), "done"},
		{"kept basis", "ledger/DSR-2026-0001.yaml", good + "kept:\n  - path: records/c-0001/contracts/ct-0001.yaml\n    basis: 'CANARY Kees'\n    until: \"2033-01-01\"\n", "kept.0.basis"},
		{"kept running", "ledger/DSR-2026-0001.yaml", good + "kept:\n  - path: records/c-0001/contracts/ct-0001.yaml\n    basis: 'legal-obligation: x'\n    until: end_date + P7Y\n", ""},
		{"nested unknown field", "ledger/DSR-2026-0001.yaml", good + "purged:\n  date: \"2026-01-06\"\n  commits_rewritten: 1\n  CANARY: Kees\n", "holds a field the ledger does not know"},
		{"history", "ledger/DSR-2026-0001.yaml", good + "history:\n  - date: \"2026-01-02\"\n    action: export\n    note: nl\n  - date: \"2026-01-03\"\n    action: correct\n    note: 'records/c-0001/users/u-0001.yaml: full_name, accounts.0.login'\n", ""},
		{"history note value", "ledger/DSR-2026-0001.yaml", good + "history:\n  - date: \"2026-01-02\"\n    action: export\n    note: 'CANARY kees@example.com'\n", "history.0.note"},
		{"history action", "ledger/DSR-2026-0001.yaml", good + "history:\n  - date: \"2026-01-02\"\n    action: CANARY\n", "history.0.action"},
		{"extension reason", "ledger/DSR-2026-0001.yaml", good + "extended:\n  date: \"2026-01-20\"\n  reason: 'CANARY Kees is ill'\n  original_due: \"2026-02-01\"\n", "extended.reason"},
		{"rewritten", "ledger/DSR-2026-0001.yaml", good + "rewritten:\n  - path: records/c-0001/customer.yaml\n    blob: CANARY\n", "rewritten.0.blob"},
		{"unsearched", "ledger/DSR-2026-0001.yaml", good + "unsearched:\n  - CANARY Kees\n", "unsearched.0"},
		{"kept until value", "ledger/DSR-2026-0001.yaml", good + "kept:\n  - path: records/c-0001/contracts/ct-0001.yaml\n    basis: 'legal-obligation: x'\n    until: CANARY Kees\n", "kept.0.until"},
		{"not yaml", "ledger/DSR-2026-0001.yaml", "id: [CANARY", "not valid YAML"},
	}
	for _, tt := range tests {
		got := Check(tt.name2, []byte(tt.data), nil)
		if tt.want == "" {
			if len(got) > 0 {
				t.Errorf("%s: %v", tt.name, got)
			}
			continue
		}
		found := false
		for _, p := range got {
			found = found || strings.Contains(p.Field+" "+p.Rule, tt.want)
			if strings.Contains(p.Field+p.Rule, "CANARY") {
				t.Errorf("%s: problem shows the value: %+v", tt.name, p)
			}
		}
		if !found {
			t.Errorf("%s: %v, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte("id: DSR-2026-0001\ntype: access\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range Check("ledger/DSR-2026-0001.yaml", data, nil) {
			if p.Rule == "" {
				t.Fatal("problem without a rule")
			}
		}
	})
}
