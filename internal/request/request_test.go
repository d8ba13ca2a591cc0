package request

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/yamltree"
)

func TestParseSet(t *testing.T) {
	for _, c := range []struct {
		in    string
		path  []string
		value string
		err   bool
	}{
		{in: "role=admin", path: []string{"role"}, value: "admin"},
		{in: "accounts.0.login=a=b", path: []string{"accounts", "0", "login"}, value: "a=b"},
		{in: "email=", path: []string{"email"}, value: ""},
		{in: "role", err: true},
		{in: "=x", err: true},
		{in: "a..b=x", err: true},
		{in: "a b=x", err: true},
		{in: "a.=x", err: true},
	} {
		a, err := ParseSet(c.in)
		if (err != nil) != c.err {
			t.Errorf("ParseSet(%q): error %v", c.in, err)
			continue
		}
		if err == nil && (!reflect.DeepEqual(a.Path, c.path) || a.Value != c.value) {
			t.Errorf("ParseSet(%q) = %v %q", c.in, a.Path, a.Value)
		}
	}
}

// FuzzParseSet: whatever is given on the command line, the parser does not
// panic, and an error never repeats more than the start of the argument
// (which may hold a personal value).
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{"role=admin", "accounts.0.login=x", "=", "a..b=c", "Wilhelmina Testperson"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseSet(s)
		if err != nil {
			if len(s) > 12 && strings.Contains(err.Error(), s) {
				t.Errorf("error quotes the whole argument: %v", err)
			}
			return
		}
		if strings.Join(a.Path, ".")+"="+a.Value != s {
			t.Errorf("ParseSet(%q) = %v %q: does not round-trip", s, a.Path, a.Value)
		}
	})
}

var userSchema = &schema.Node{Props: map[string]*schema.Node{
	"name":   {Types: []string{"string"}, Class: schema.Personal},
	"age":    {Types: []string{"integer"}},
	"fee":    {Types: []string{"number"}},
	"active": {Types: []string{"boolean"}},
	"role":   {},
	"users":  {Types: []string{"array"}, Items: &schema.Node{Types: []string{"string"}, Ref: "user"}},
	"devices": {Types: []string{"array"}, Items: &schema.Node{Props: map[string]*schema.Node{
		"model":       {Types: []string{"string"}},
		"assigned_to": {Types: []string{"string"}, Ref: "user"},
	}}},
	"reported_by": {Types: []string{"string"}, Ref: "user"},
}}

func parse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	n, err := yamltree.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func emit(t *testing.T, n *yaml.Node) string {
	t.Helper()
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestApply(t *testing.T) {
	k := &schema.Kind{Root: userSchema}
	for _, c := range []struct {
		doc, set, unset, want, err string
	}{
		{doc: "age: 1\n", set: "age=42", want: "age: 42\n"},
		{doc: "age: 1\n", set: "age=x", err: "not of the type"},
		{doc: "fee: 1\n", set: "fee=2.5", want: "fee: 2.5\n"},
		{doc: "active: true\n", set: "active=false", want: "active: false\n"},
		{doc: "role: a\n", set: "role=007", want: "role: \"007\"\n"},
		{doc: "age: 1\n", set: "name=true", want: "age: 1\nname: \"true\"\n"},
		{doc: "devices:\n  - model: a\n", set: "devices.0.model=b", want: "devices:\n  - model: b\n"},
		{doc: "devices:\n  - model: a\n", set: "devices.1.model=b", want: "devices:\n  - model: a\n  - model: b\n"},
		{doc: "devices:\n  - model: a\n", set: "devices.3.model=b", err: "the list has 1 items"},
		{doc: "age: 1\n", set: "devices.0.model=b", want: "age: 1\ndevices:\n  - model: b\n"},
		{doc: "age: 1\n", set: "devices=x", err: "holds a list or mapping"},
		{doc: "age: 1\n", set: "colour=red", err: "not in the schema"},
		{doc: "age: 1\n", set: "id=u-0002", err: "cannot be corrected"},
		{doc: "age: 1\nname: x\n", unset: "name", want: "age: 1\n"},
		{doc: "devices:\n  - model: a\n  - model: b\n", unset: "devices.0", want: "devices:\n  - model: b\n"},
		{doc: "age: 1\n", unset: "name", err: "is not set"},
	} {
		root := parse(t, c.doc)
		var a Assignment
		var err error
		if c.unset != "" {
			a.Path, err = ParseField(c.unset)
			a.Unset = true
		} else {
			a, err = ParseSet(c.set)
		}
		if err != nil {
			t.Fatal(err)
		}
		err = apply(k, root, a)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q %s%s: error %v, want %q", c.doc, c.set, c.unset, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %s%s: %v", c.doc, c.set, c.unset, err)
			continue
		}
		if got := emit(t, root); got != c.want {
			t.Errorf("%q %s%s:\n%s\nwant\n%s", c.doc, c.set, c.unset, got, c.want)
		}
	}
}

func TestClearRefs(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"reported_by: u-0001\nage: 1\n", "age: 1\n"},
		{"reported_by: u-0002\n", "reported_by: u-0002\n"},
		{"users:\n  - u-0001\n  - u-0002\n", "users:\n  - u-0002\n"},
		{"users:\n  - u-0001\nage: 1\n", "age: 1\n"},
		{"devices:\n  - model: a\n    assigned_to: u-0001\n  - model: b\n    assigned_to: u-0002\n", "devices:\n  - model: a\n  - model: b\n    assigned_to: u-0002\n"},
		// A personal free-text field that happens to hold the id is not a reference.
		{"name: u-0001\n", "name: u-0001\n"},
	} {
		root := parse(t, c.doc)
		v, _ := yamltree.Value(root)
		refs := refPaths(userSchema, v, "u-0001")
		changed := clearRefs(userSchema, root, "u-0001")
		if changed != (len(refs) > 0) {
			t.Errorf("%q: clearRefs changed=%v but refPaths found %v", c.doc, changed, refs)
		}
		if got := emit(t, root); got != c.want {
			t.Errorf("%q:\n%s\nwant\n%s", c.doc, got, c.want)
		}
	}
}

func TestEnclosing(t *testing.T) {
	root := parse(t, "reported_by: u-0009\nusers: [u-0001]\ndevices:\n  - model: a\n    assigned_to: u-0001\n  - model: b\n  - model: c\n    assigned_to: u-0001\n")
	v, _ := yamltree.Value(root)
	got := enclosing(v, refPaths(userSchema, v, "u-0001"))
	if !reflect.DeepEqual(got, [][]string{{}}) {
		t.Errorf("a top-level list of ids makes the whole record the part; got %v", got)
	}
	root = parse(t, "devices:\n  - model: a\n    assigned_to: u-0001\n  - model: b\n  - model: c\n    assigned_to: u-0001\n")
	v, _ = yamltree.Value(root)
	got = enclosing(v, refPaths(userSchema, v, "u-0001"))
	if want := [][]string{{"devices", "0"}, {"devices", "2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("parts %v, want %v", got, want)
	}
}

func TestRetention(t *testing.T) {
	p, _ := schema.ParsePeriod("P7Y")
	k := &schema.Kind{Retention: &schema.Retention{Basis: "legal-obligation", Law: "tax", Period: p, After: "end_date", Keep: []string{"fee"}}}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		end      string
		retained bool
		until    string
	}{
		{"", true, "end_date + P7Y"},
		{"2020-01-31", true, "2027-01-31"},
		{"2019-03-01", false, "2026-03-01"},
		{"2018-06-30", false, "2025-06-30"},
	} {
		v := map[string]any{}
		if c.end != "" {
			v["end_date"] = c.end
		}
		h, err := retention(k, v)
		if err != nil {
			t.Fatal(err)
		}
		if h.retainedOn(now) != c.retained || h.until != c.until {
			t.Errorf("end %q: retained %v until %s; want %v until %s", c.end, h.retainedOn(now), h.until, c.retained, c.until)
		}
	}
	if _, err := retention(k, map[string]any{"end_date": "soon"}); err == nil {
		t.Error("a malformed date was accepted")
	}
}

func TestPresentWithholdsSecrets(t *testing.T) {
	n := &schema.Node{Props: map[string]*schema.Node{
		"login":    {Class: schema.Personal},
		"password": {Class: schema.Secret},
		"users":    {Items: &schema.Node{Ref: "user"}},
	}}
	v := map[string]any{"login": "w", "password": "p", "users": []any{"u-0001", "u-0002"}, "unknown": "x"}
	pr := &presenter{user: "u-0001", path: "records/c-0001/users/u-0001.yaml"}
	got := pr.present(n, v, nil)
	want := map[string]any{"login": "w", "password": map[string]any{"withheld": true, "reason": "secret"}, "users": []any{"u-0001"}}
	if !reflect.DeepEqual(got, want) || pr.withheld != 1 {
		t.Errorf("present = %v (%d withheld), want %v", got, pr.withheld, want)
	}
	if want := []Ref{{Path: "records/c-0001/users/u-0001.yaml", Field: "password", Reason: "secret"}}; !reflect.DeepEqual(pr.refs, want) {
		t.Errorf("withheld list %v, want %v", pr.refs, want)
	}
	pr = &presenter{secrets: true}
	if got := pr.present(n, v, nil).(map[string]any); got["password"] != "p" || len(got["users"].([]any)) != 2 {
		t.Errorf("with secrets, for a customer: %v", got)
	}
}

// The report says, in the customer's language, how long a kind is kept and
// what stays during an erasure, naming fields by their labels.
func TestRetentionText(t *testing.T) {
	set, err := schema.Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	k := set.Kinds["contract"]
	if got, want := Dutch.retention(k, nil), "Bewaard gedurende 7 jaar, gerekend vanaf ‘Einddatum’ (wettelijke verplichting: fiscale bewaarplicht voor facturen en contracten). Vraagt u binnen die termijn om wissing, dan bewaren wij tot het einde ervan enkel: Soort gegeven, Referentie, Klant, Soort, Begindatum, Einddatum, Maandbedrag, Facturatienaam."; got != want {
		t.Errorf("Dutch:\n got %s\nwant %s", got, want)
	}
	if got, want := English.retention(k, nil), "Kept for 7 years after the end date (legal obligation: fiscal record-keeping obligation for invoices and contracts). If you ask for erasure during that period, we keep only kind of record, reference, customer, type, start date, end date, monthly fee, billing name until it ends."; got != want {
		t.Errorf("English:\n got %s\nwant %s", got, want)
	}
	if got, want := Dutch.retention(set.Kinds["user"], set.Kinds["customer"]), "Bewaard zolang wij u ondersteunen onder de overeenkomst met uw organisatie; verwijderd wanneer u om wissing vraagt, en uiterlijk 1 jaar nadat de ondersteuning stopte."; got != want {
		t.Errorf("Dutch, the customer's period:\n got %s\nwant %s", got, want)
	}
	if got := Dutch.period(schema.Period{Years: 1, Months: 6}); got != "1 jaar en 6 maanden" {
		t.Errorf("period: %s", got)
	}
}

// Values in the report are written as their reader writes them.
func TestValueNotation(t *testing.T) {
	set, err := schema.Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	fee := set.Kinds["contract"].Root.Props["monthly_fee"]
	start := set.Kinds["contract"].Root.Props["start_date"]
	role := set.Kinds["user"].Root.Props["role"]
	system := set.Kinds["user"].Root.Props["accounts"].Items.Props["system"]
	for _, c := range []struct {
		lang Language
		n    *schema.Node
		v    any
		want string
	}{
		{Dutch, fee, 149.5, "149,50 €"},
		{Dutch, fee, int64(1450), "1.450,00 €"},
		{English, fee, 149.5, "€149.50"},
		{English, fee, 1234567.891, "€1,234,567.89"},
		{Dutch, start, "2026-03-01", "1 maart 2026"},
		{English, start, "2026-03-01", "1 March 2026"},
		{Dutch, role, "owner", "zaakvoerder"},
		{English, role, "staff", "staff member"},
		{Dutch, system, "google-account", "Google-account"},
		{English, system, "apple-id", "Apple ID"},
		{English, system, "server", "server"},
		{Dutch, nil, true, "ja"},
		{English, nil, false, "no"},
		{Dutch, nil, 2.5, "2,5"},
	} {
		if got := c.lang.value(c.n, c.v); got != c.want {
			t.Errorf("%s %v: got %q, want %q", c.lang, c.v, got, c.want)
		}
	}
}

// Labels come from the schema in the report's language; list items are
// counted from 1 under the items' own title.
func TestLabels(t *testing.T) {
	set, err := schema.Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	user := set.Kinds["user"].Root
	for _, c := range []struct {
		lang Language
		part string
		want string
	}{
		{English, "accounts.0.password", "Account 1 › Password"},
		{Dutch, "accounts.1.password", "Account 2 › Paswoord"},
		{English, "full_name", "Full name"},
		{Dutch, "full_name", "Volledige naam"},
	} {
		if _, got := (flattener{lang: c.lang}).descend(user, c.part); got != c.want {
			t.Errorf("%s %s: got %q, want %q", c.lang, c.part, got, c.want)
		}
	}
	if got := user.Order[:4]; !reflect.DeepEqual(got, []string{"kind", "id", "customer", "full_name"}) {
		t.Errorf("schema order: %v", got)
	}
}
