package ledger

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(DateFormat, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddMonth(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-02-10", "2026-03-10"},
		{"2026-01-31", "2026-02-28"},
		{"2028-01-31", "2028-02-29"},
		{"2026-03-31", "2026-04-30"},
		{"2026-12-15", "2027-01-15"},
		{"2026-12-31", "2027-01-31"},
	} {
		if got := AddMonth(date(c.in)).Format(DateFormat); got != c.want {
			t.Errorf("AddMonth(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestNewNumbersPerYear(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"DSR-2026-0001", "DSR-2026-0007", "DSR-2025-0040"} {
		r := &Request{ID: id, Type: Access, Subject: "c-0001", Received: "2026-01-01", Due: "2026-02-01", Status: Open}
		if err := r.Save(root); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ received, want string }{
		{"2026-03-01", "DSR-2026-0008"},
		{"2025-12-30", "DSR-2025-0041"},
		{"2024-06-01", "DSR-2024-0001"},
	} {
		r, err := New(root, Erasure, "c-0001", date(c.received))
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != c.want {
			t.Errorf("received %s: id %s, want %s", c.received, r.ID, c.want)
		}
	}
	if _, err := New(root, "deletion", "c-0001", date("2026-01-01")); err == nil {
		t.Error("an unknown type was accepted")
	}
}

func TestDaysLeft(t *testing.T) {
	r := &Request{ID: "DSR-2026-0001", Due: "2026-03-10"}
	for _, c := range []struct {
		now  string
		want int
	}{{"2026-03-01", 9}, {"2026-03-10", 0}, {"2026-03-12", -2}} {
		got, err := r.DaysLeft(date(c.now))
		if err != nil || got != c.want {
			t.Errorf("on %s: %d, %v; want %d", c.now, got, err, c.want)
		}
	}
}

func TestToday(t *testing.T) {
	t.Setenv(NowEnv, "2026-03-01")
	if got, err := Today(); err != nil || got.Format(DateFormat) != "2026-03-01" {
		t.Errorf("Today() = %v, %v", got, err)
	}
	t.Setenv(NowEnv, "1 March")
	if _, err := Today(); err == nil {
		t.Error("a malformed DOSSIER_NOW was accepted")
	}
}

// An art. 12(3) extension: three months from receipt, clamped to the
// month's end like the first month; once only; recorded with its grounds.
func TestExtend(t *testing.T) {
	now := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	r := &Request{ID: "DSR-2026-0001", Received: "2026-01-31", Due: "2026-02-28", Status: Open}
	if err := r.Extend(now, "complexity"); err != nil {
		t.Fatal(err)
	}
	if r.Due != "2026-04-30" || r.Extended.ParentDue != "2026-02-28" || r.Extended.Reason != "complexity" || len(r.History) != 1 {
		t.Errorf("extended: due %s, %+v, history %v", r.Due, r.Extended, r.History)
	}
	if err := r.Extend(now, "number"); err == nil {
		t.Error("a second extension was accepted")
	}
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil || back.Extended == nil || back.Due != r.Due {
		t.Errorf("round trip: %v, %+v", err, back)
	}
}

// TestParseNamesTheLineNotTheValue pins where a broken ledger entry is
// reported: the line of the syntax error, of the unknown field, or of the
// field of the wrong type, and never the text that was there.
func TestParseNamesTheLineNotTheValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		line string
	}{
		// yaml.v3 places this tab error on the line before the tab.
		{"syntax", "id: DSR-2026-0001\ntype: erasure\n\tsubject: CANARY-jan\n", "line 2"},
		{"unknown field", "id: DSR-2026-0001\ntype: erasure\nCANARY-jan: x\n", "line 3"},
		{"wrong type", "id: DSR-2026-0001\ntype: erasure\nsubject: c-0001/u-0001\nkept: CANARY-jan\n", "line 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil {
				t.Fatal("parsed")
			}
			if !strings.Contains(err.Error(), tc.line+": ") {
				t.Errorf("error %q does not name %s", err, tc.line)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error %q repeats the file's text", err)
			}
		})
	}
}
