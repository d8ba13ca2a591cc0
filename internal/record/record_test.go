package record

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		rel, kind, id, err string
	}{
		{rel: "records/c-0042/customer.yaml", kind: "customer", id: "c-0042"},
		{rel: "records/c-0042/users/u-0017.yaml", kind: "user", id: "u-0017"},
		{rel: "records/c-0042/contracts/ct-0003.yaml", kind: "contract", id: "ct-0003"},
		{rel: "records/c-0042/environment/env-0001.yaml", kind: "environment", id: "env-0001"},
		{rel: "records/c-0042/errors/err-0107.yaml", kind: "error", id: "err-0107"},
		{rel: "records/c-0042/maintenance/mnt-0012.yaml", kind: "maintenance", id: "mnt-0012"},
		{rel: "records/jansen/customer.yaml", err: "not an opaque customer id"},
		{rel: "records/c-0042/users/jan.yaml", err: "not an opaque user id"},
		{rel: "records/c-0042/users/u-0017.yml", err: "end in .yaml"},
		{rel: "records/c-0042/notes/n-1.yaml", err: "not a record kind"},
		{rel: "records/c-0042/notes.txt", err: "only customer.yaml"},
		{rel: "schema/user.schema.yaml", err: "not a record path"},
		{rel: "records/c-0042/users/x/u-0017.yaml", err: "at most two folders deep"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.rel)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%s) error = %v, want %q", tt.rel, err, tt.err)
			}
			continue
		}
		if err != nil || p.Kind != tt.kind || p.ID != tt.id || p.Customer != "c-0042" {
			t.Errorf("Parse(%s) = %+v, %v", tt.rel, p, err)
		}
		if For(p.Customer, p.Kind, p.ID) != tt.rel {
			t.Errorf("For(%+v) = %s, want %s", p, For(p.Customer, p.Kind, p.ID), tt.rel)
		}
	}
}

func TestParseSubject(t *testing.T) {
	for in, ok := range map[string]bool{"c-0042": true, "c-0042/u-0017": true, "u-0017": false, "c-0042/jan": false, "": false} {
		s, err := ParseSubject(in)
		if (err == nil) != ok {
			t.Errorf("ParseSubject(%q) error = %v", in, err)
		}
		if ok && s.String() != in {
			t.Errorf("ParseSubject(%q).String() = %q", in, s)
		}
	}
}

// FuzzParse: paths arrive in pushes; Parse must not crash and must never
// accept a path outside the layout.
func FuzzParse(f *testing.F) {
	f.Add("records/c-0042/users/u-0017.yaml")
	f.Add("records/c-0042/customer.yaml")
	f.Fuzz(func(t *testing.T, rel string) {
		p, err := Parse(rel)
		if err == nil && For(p.Customer, p.Kind, p.ID) != rel {
			t.Fatalf("accepted %q as %+v", rel, p)
		}
	})
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		kind, id string
		ok       bool
	}{
		{"customer", "c-0001", true}, {"customer", "c-123456", true}, {"customer", "c-123", false},
		{"customer", "c-12a4", false}, {"customer", "u-0001", false}, {"customer", "xc-0001", false},
		{"user", "u-0017", true}, {"contract", "ct-0003", true}, {"environment", "env-0001", true},
		{"error", "err-0107", true}, {"maintenance", "mnt-0012", true}, {"maintenance", "mnt-0012 ", false},
		{"nokind", "c-0001", false}, {"customer", "", false},
	} {
		if got := ValidID(tc.kind, tc.id); got != tc.ok {
			t.Errorf("ValidID(%q, %q) = %v, want %v", tc.kind, tc.id, got, tc.ok)
		}
	}
}
