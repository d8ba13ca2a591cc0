package purge

import (
	"testing"

	"github.com/vts/dossier/internal/repo/odb"
)

func TestIsRequestCommit(t *testing.T) {
	for msg, want := range map[string]bool{
		"Erase\n\nDossier-Request: DSR-2026-0001\n":                        true,
		"Fix\n\nmentions Dossier-Request: in the body\n\nSigned-off-by: x": false,
		"Dossier-Request: DSR-2026-0001":                                   true, // a one-paragraph message is its own trailer block
		"plain":                                                            false,
	} {
		raw := "tree " + odb.EmptyTree.String() + "\nauthor a\n\n" + msg
		if got := isRequestCommit([]byte(raw)); got != want {
			t.Errorf("%q: got %v", msg, got)
		}
	}
}

func TestRequestCommitSeenBehindSignature(t *testing.T) {
	raw := "tree " + odb.EmptyTree.String() + "\n" +
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n" +
		"\n" +
		"Erase c-0001\n\nDossier-Request: DSR-2026-0001\nDossier-Action: erasure\n"
	if !isRequestCommit([]byte(raw)) {
		t.Error("request trailer not seen")
	}
}
