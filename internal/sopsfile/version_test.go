package sopsfile

import (
	"testing"

	"github.com/getsops/sops/v3/version"
)

// The version written into files is the linked sops library's.
func TestSopsVersion(t *testing.T) {
	if sopsVersion != version.Version {
		t.Fatalf("sopsVersion is %q but go.mod links sops %q: update internal/sopsfile/version.go", sopsVersion, version.Version)
	}
}
