package githook

import (
	"strings"
	"testing"
)

func TestCheckMessage(t *testing.T) {
	vals := []Value{{File: "records/c-0001/users/u-0001.yaml", Field: "full_name", text: "Kees de Vries"}}
	tests := []struct {
		name, msg string
		want      []string // substrings, one per problem
	}{
		{"ids only", "add user c-0001/u-0001\n", nil},
		{"email", "mail piet@example.com about it\n", []string{"line 1: looks like an e-mail"}},
		{"phone intl", "x\n\ncall +31 6 1234 5678\n", []string{"line 3: looks like a phone"}},
		{"phone national", "call 06-12345678\n", []string{"phone"}},
		{"request id and date are not phones", "DSR-2026-0042 due 2026-02-01\n", nil},
		{"value, any case", "fix KEES DE VRIES\n", []string{`field "full_name" of records/c-0001/users/u-0001.yaml`}},
		{"comments ignored", "ok\n# kees de vries\n", nil},
		{"scissors", "ok\n# ------------------------ >8 ------------------------\npiet@example.com\n", nil},
		{"signed-off-by", "ok\n\nSigned-off-by: A <a@vts.invalid>\n", nil},
		{"request ok", "r\n\nDossier-Request: DSR-2026-0001\nDossier-Action: erasure\nDossier-Subject: c-0001/u-0001\n", nil},
		{"request missing subject", "r\n\nDossier-Request: DSR-2026-0001\nDossier-Action: erasure\n", []string{"needs a Dossier-Subject"}},
		{"action without request", "r\n\nDossier-Action: erasure\n", []string{"without Dossier-Request"}},
		{"bad action", "r\n\nDossier-Request: DSR-2026-0001\nDossier-Action: delete\nDossier-Subject: c-0001\n", []string{"Dossier-Action is not a known action"}},
		{"duplicate", "r\n\nDossier-Request: DSR-2026-0001\nDossier-Request: DSR-2026-0002\nDossier-Action: erasure\nDossier-Subject: c-0001\n", []string{"appears 2 times"}},
		{"trailer in body", "r\n\nDossier-Request: DSR-2026-0001\n\nmore text\n", []string{"line 3: a Dossier- trailer must be in the last paragraph"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckMessage(ParseMessage(tt.msg), vals)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not contain %q", got[i], w)
				}
				if strings.Contains(strings.ToLower(got[i]), "kees") {
					t.Errorf("problem %q shows the value", got[i])
				}
			}
		})
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add("subject\n\nbody\n\nDossier-Request: DSR-2026-0001\nDossier-Action: erasure\nDossier-Subject: c-0001\n")
	f.Add("x\n#comment\n  cont\nKey: v\n")
	f.Fuzz(func(t *testing.T, s string) {
		m := ParseMessage(s)
		for _, tr := range m.Trailers {
			if tr.Line < 1 || tr.Key == "" {
				t.Fatalf("bad trailer %+v", tr)
			}
		}
		CheckMessage(m, nil)
	})
}
