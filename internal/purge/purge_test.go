package purge

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vts/dossier/internal/ledger"
)

func TestMergePurge(t *testing.T) {
	first := &ledger.Purge{Date: "2026-01-10", Commits: 9, OldTips: []string{"a", "b"}}
	cases := []struct {
		name string
		prev *ledger.Purge
		j    journal
		want *ledger.Purge
	}{
		{"first purge", nil, journal{Date: "2026-01-10", Commits: 9, OldTips: []string{"a", "b"}}, first},
		{"rerun that rewrote nothing keeps the record", first, journal{Date: "2026-02-01"}, first},
		{"later purge keeps every old tip", first, journal{Date: "2026-02-01", Commits: 3, OldTips: []string{"c", "a"}},
			&ledger.Purge{Date: "2026-02-01", Commits: 3, OldTips: []string{"a", "b", "c"}}},
	}
	for _, c := range cases {
		got := mergePurge(c.prev, &c.j)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
		if again := mergePurge(got, &c.j); !reflect.DeepEqual(again, got) {
			t.Errorf("%s: merging twice changed the record: %+v", c.name, again)
		}
	}
}

// TestRefusalIsTyped: callers tell a refusal by its type and build their
// message from its reason; the server and post-receive callers still
// match ErrRefused, through any wrapping.
func TestRefusalIsTyped(t *testing.T) {
	_, err := Run(t.TempDir(), Options{Requests: []string{"DSR-2026-0001"}})
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("Run in an empty folder: %v (%T), want a *RefusedError", err, err)
	}
	if !strings.Contains(re.Reason, "is neither the work tree of a repository nor a bare git repository") || strings.HasPrefix(re.Reason, ErrRefused.Error()) {
		t.Errorf("reason %q", re.Reason)
	}
	if wrapped := fmt.Errorf("finishing: %w", err); !errors.Is(wrapped, ErrRefused) {
		t.Error("a wrapped refusal does not match ErrRefused")
	}
	if err.Error() != ErrRefused.Error()+": "+re.Reason {
		t.Errorf("Error() = %q", err.Error())
	}
}
