package purge

import (
	"reflect"
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
