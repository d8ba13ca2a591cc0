package server

import (
	"strings"
	"testing"
)

func TestParseUpdates(t *testing.T) {
	z := strings.Repeat("0", 40)
	a := strings.Repeat("a", 40)
	us, err := ParseUpdates(strings.NewReader(z + " " + a + " refs/heads/main\n\n"))
	if err != nil || len(us) != 1 || !us[0].Old.IsZero() || us[0].New.String() != a || us[0].Ref != "refs/heads/main" {
		t.Fatalf("got %+v, %v", us, err)
	}
	for _, bad := range []string{"x y z\n", z + " " + a + "\n", z + " " + a + " main\n", z + " " + strings.ToUpper(a) + " refs/heads/x\n"} {
		if _, err := ParseUpdates(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func FuzzParseUpdates(f *testing.F) {
	f.Add(strings.Repeat("0", 40) + " " + strings.Repeat("a", 40) + " refs/heads/main\n")
	f.Fuzz(func(t *testing.T, s string) {
		us, err := ParseUpdates(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, u := range us {
			if !strings.HasPrefix(u.Ref.String(), "refs/") {
				t.Fatalf("accepted ref %q", u.Ref)
			}
		}
	})
}
