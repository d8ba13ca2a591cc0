package request

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/yamltree"
)

func TestFinderReplace(t *testing.T) {
	f := newFinder([]fieldValue{
		{key: "full_name", value: "Wilhelmina van Testperson"},
		{key: "email", value: "wilhelmina@brouwerij.invalid"},
		{key: "phone", value: "+32 470 12 34 56"},
		{key: "login", value: "wtest"},
		{key: "login", value: "an"},
	}, map[string]bool{})
	const m = "[X]"
	for _, c := range []struct {
		in, want string
		n        int
	}{
		{"Reset the laptop of Wilhelmina van Testperson.", "Reset the laptop of [X].", 1},
		{"reset for WILHELMINA  VAN\tTESTPERSON", "reset for [X]", 1},
		{"Testperson, Wilhelmina van called", "[X] called", 1},
		{"Wilhelmina cannot print", "[X] cannot print", 1},
		{"Wilhelminastraat 3", "Wilhelminastraat 3", 0},
		{"mail Wilhelmina@Brouwerij.invalid.", "mail [X].", 1},
		{"call 0470/12.34.56 or +32470123456", "call [X] or [X]", 2},
		{"not 104701234567", "not 104701234567", 0},
		{"login wtest, not wtester", "login [X], not wtester", 1},
		{"Annelies and Anna", "Annelies and Anna", 0},
		{"Mevrouw Testperson", "Mevrouw Testperson", 0},
		{"", "", 0},
	} {
		got, n := f.replace(c.in, m)
		if got != c.want || n != c.n {
			t.Errorf("replace(%q) = %q, %d; want %q, %d", c.in, got, n, c.want, c.n)
		}
	}
}

// A first name that a colleague shares is not matched alone: it would
// erase the colleague.
func TestFinderSharedFirstName(t *testing.T) {
	f := newFinder([]fieldValue{{key: "full_name", value: "Jan Peeters"}}, map[string]bool{"jan": true})
	if got, n := f.replace("Jan called; Jan Peeters too", "[X]"); got != "Jan called; [X] too" || n != 1 {
		t.Errorf("got %q, %d", got, n)
	}
}

func TestScrubFitsSchema(t *testing.T) {
	set, err := schema.Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	k := set.Kinds["customer"]
	root, err := yamltree.Parse([]byte("kind: customer\nid: c-0001\nstatus: active\nsince: \"2020-01-01\"\ncompany_name: Bakkerij Demo\ncontact_name: Anna Demo\nemail: anna@demo.invalid\nphone: \"+32 9 555 01 23\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := &opened{path: record.Path{Rel: "records/c-0001/customer.yaml", Kind: "customer", Customer: "c-0001", ID: "c-0001"}, kind: k, root: root}
	sc := &mentionScan{find: newFinder([]fieldValue{{key: "full_name", value: "Anna Demo"}, {key: "email", value: "anna@demo.invalid"}, {key: "phone", value: "+32 9 555 01 23"}}, nil)}
	s, err := sc.scrub(&Env{Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, o, "DSR-2026-0007")
	if err != nil {
		t.Fatal(err)
	}
	v, err := o.value()
	if err != nil {
		t.Fatal(err)
	}
	if vs := k.Validate(v); len(vs) > 0 {
		t.Fatalf("invalid after scrub: %v", vs)
	}
	if v["contact_name"] != "[gewist DSR-2026-0007]" || v["email"] != "gewist.DSR-2026-0007@gewist.invalid" || v["phone"] != nil || v["company_name"] != "Bakkerij Demo" {
		t.Errorf("scrubbed record: %v", v)
	}
	if s.Removed != 3 || strings.Join(s.Dropped, ",") != "phone" {
		t.Errorf("scrubbed: %+v", s)
	}
}

// A contract under its fiscal retention keeps the billing name even when
// it is the subject's (a sole trader); the signature goes.
func TestScrubKeepsRetainedFields(t *testing.T) {
	set, err := schema.Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	k := set.Kinds["contract"]
	root, err := yamltree.Parse([]byte("kind: contract\nid: ct-0001\ncustomer: c-0001\ntype: support\nstart_date: \"2021-01-01\"\nmonthly_fee: 10\nbilling_name: Anna Demo\nsigned_by: Anna Demo\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := &opened{path: record.Path{Rel: "records/c-0001/contracts/ct-0001.yaml", Kind: "contract", Customer: "c-0001", ID: "ct-0001"}, kind: k, root: root}
	sc := &mentionScan{find: newFinder([]fieldValue{{key: "full_name", value: "Anna Demo"}}, nil)}
	s, err := sc.scrub(&Env{Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, o, "DSR-2026-0007")
	if err != nil {
		t.Fatal(err)
	}
	v, err := o.value()
	if err != nil {
		t.Fatal(err)
	}
	if v["billing_name"] != "Anna Demo" || v["signed_by"] != "[gewist DSR-2026-0007]" {
		t.Errorf("scrubbed record: %v", v)
	}
	if s.Removed != 1 || strings.Join(s.Retained, ",") != "billing_name" || strings.Join(s.Fields, ",") != "signed_by" {
		t.Errorf("scrubbed: %+v", s)
	}
}

// FuzzFinderReplace: whatever a record's free text holds, replacing never
// panics and leaves no match behind (a second pass finds nothing).
func FuzzFinderReplace(f *testing.F) {
	for _, s := range []string{"Reset the laptop of Wilhelmina Testperson", "mail w.t@x.invalid.", "call +32 470 12 34 56", "Wilhelmina  Testperson Wilhelmina", "é\u00a0Wilhelmina\xff"} {
		f.Add(s)
	}
	fd := newFinder([]fieldValue{
		{key: "full_name", value: "Wilhelmina Testperson"},
		{key: "email", value: "w.t@x.invalid"},
		{key: "phone", value: "+32 470 12 34 56"},
		{key: "login", value: "wtest"},
	}, nil)
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := fd.replace(s, "[gewist DSR-2026-0001]")
		if _, n := fd.replace(out, "[gewist DSR-2026-0001]"); n != 0 {
			t.Errorf("replace(%q) = %q still holds %d matches", s, out, n)
		}
	})
}
