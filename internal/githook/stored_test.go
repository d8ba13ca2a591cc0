package githook

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestCheckMessageKeyless(t *testing.T) {
	tests := []struct {
		msg  string
		want string // "" none, else a substring of the one finding
	}{
		{"add user c-0001/u-0001\n", ""},
		{"add user\n\nSigned-off-by: A <a@vts.invalid>\nCo-authored-by: B <b@vts.invalid>\n", ""},
		{"add user\n\nSigned-off-by: X <x@vts.invalid>\n", "e-mail"},
		{"Dossier-Request: DSR-2026-0001\nDossier-Subject: c-0001/u-0001\n", ""},
		{"due 2026-02-01, DSR-2026-0042\n", ""},
		{"x\n\nfor kees@example.com\n", "e-mail"},
		{"# kees@example.com\n", "e-mail"}, // stored messages have no comments to skip
		{"call 06-12345678\n", "phone"},
		{"Reported-by: kees@example.com\n", "e-mail"},
		{"Reported-by: A <a@vts.invalid> +31 6 1234 5678\n", "phone"},
	}
	for _, tt := range tests {
		got := CheckStored(tt.msg, "a@vts.invalid", "B@vts.invalid")
		if tt.want == "" {
			if len(got) != 0 {
				t.Errorf("%q: %v", tt.msg, got)
			}
			continue
		}
		if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) {
			t.Errorf("%q: %v, want one %q", tt.msg, got, tt.want)
			continue
		}
		if strings.Contains(got[0].String(), "kees") || strings.Contains(got[0].String(), "1234") {
			t.Errorf("%q: finding shows the value: %s", tt.msg, got[0])
		}
	}
}

func TestCheckRefName(t *testing.T) {
	for ref, bad := range map[string]bool{
		"refs/heads/main":                false,
		"refs/heads/c-0042-contract":     false,
		"refs/tags/v2026.03":             false,
		"refs/heads/kees@example.com":    true,
		"refs/heads/call/0612345678":     true,
		"refs/heads/DSR-2026-0042-erase": false,
	} {
		got := CheckRefName(plumbing.ReferenceName(ref))
		if (len(got) > 0) != bad {
			t.Errorf("%s: %v, want refused=%v", ref, got, bad)
		}
	}
}
