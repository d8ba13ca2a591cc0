package settings

import (
	"strings"
	"testing"
)

func TestHostRule(t *testing.T) {
	internal := []string{"vault.vts.internal", "10.0.0.5", "github.com"}
	for host, want := range map[string]string{
		"vault.vts.internal":  "",
		"VAULT.vts.internal.": "",
		"10.0.0.5":            "",
		"8.8.8.8":             "public IP address",
		"10.0.0.6":            "not listed in internal_hosts",
		"github.com":          "public service",
		"api.github.com":      "public service",
		"other.vts.internal":  "not listed",
	} {
		got := HostRule(host, internal)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
}
