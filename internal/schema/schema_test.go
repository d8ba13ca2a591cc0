package schema

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func load(t *testing.T, name, src string) (*Set, error) {
	t.Helper()
	return Load(fstest.MapFS{"schema/" + name: {Data: []byte(src)}}, "schema")
}

const header = "$schema: https://json-schema.org/draft/2020-12/schema\nx-purpose: test\ntype: object\nadditionalProperties: false\n"

func TestProjectSchemas(t *testing.T) {
	set, err := Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Kinds) != 6 {
		t.Fatalf("got kinds %v", set.Names())
	}
	u := set.Kinds["user"]
	for path, want := range map[string]Class{"full_name": Personal, "role": Plain, "accounts.0.password": Secret, "accounts.0.login": Personal, "accounts.0.system": Plain} {
		if got := u.ClassOf(strings.Split(path, ".")); got != want {
			t.Errorf("user %s: class %v, want %v", path, got, want)
		}
	}
	if r := set.Kinds["contract"].Retention; r == nil || r.Period.Years != 7 || r.After != "end_date" {
		t.Errorf("contract retention = %+v", r)
	}
	if got := u.EncryptedRegex(); got != "^(email|full_name|login|password|phone)$" {
		t.Errorf("user EncryptedRegex = %s", got)
	}
	// The access report speaks Dutch: every kind and field has its text.
	for _, name := range set.Names() {
		k := set.Kinds[name]
		if k.NL.Title == "" || k.NL.Description == "" || k.NL.Purpose == "" || (k.Retention != nil) != (k.NL.Law != "") {
			t.Errorf("%s: x-nl incomplete: %+v", name, k.NL)
		}
		var walk func(p string, n *Node)
		walk = func(p string, n *Node) {
			for _, key := range n.Keys {
				c := n.Props[key]
				if c.NL.Title == "" {
					t.Errorf("%s: field %s%s has no x-nl title", name, p, key)
				}
				walk(p+key+".", c)
				if c.Items != nil {
					walk(p+key+".0.", c.Items)
				}
			}
		}
		walk("", k.Root)
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct{ name, src, err string }{
		{"x.schema.yaml", "type: [", "not valid YAML"},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {type: nope}}\n", "not a valid JSON Schema"},
		{"x.schema.yaml", "$schema: https://json-schema.org/draft/2020-12/schema\ntype: object\nadditionalProperties: false\nproperties: {kind: {const: x}}\n", "x-purpose is missing"},
		{"x.schema.yaml", header + "properties: {kind: {const: y}}\n", `"kind" must be {const: x}`},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, o: {type: object, properties: {a: {type: string}}}}\n", "additionalProperties: false"},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, name: {type: string, x-personal: true}, o: {type: object, additionalProperties: false, properties: {name: {type: string}}}}\n", `field name "name" is personal/secret in one place and plain`},
		{"x.schema.yaml", header + "x-retention: {basis: whim, law: x, period: P1Y, after: d}\nproperties: {kind: {const: x}, d: {type: string}}\n", "basis"},
		{"x.schema.yaml", header + "x-retention: {basis: consent, law: x, period: 1 year, after: d}\nproperties: {kind: {const: x}, d: {type: string}}\n", "ISO 8601"},
		{"x.schema.yaml", header + "x-nl: {titel: X}\nproperties: {kind: {const: x}}\n", `x-nl: unknown key "titel"`},
		{"x.schema.yaml", header + "x-nl: Klant\nproperties: {kind: {const: x}}\n", "x-nl must be a mapping"},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {type: string, x-nl: {purpose: y}}}\n", `properties.a: x-nl: unknown key "purpose" (allowed here: title, enum, hint)`},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {enum: [on, off], x-nl: {enum: {maybe: misschien}}}}\n", `properties.a: enum label for "maybe", which is not one of the enum values`},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {enum: [p], x-en: {title: A}}}\n", `properties.a: x-en must be a mapping with enum`},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {type: number, x-unit: USD}}\n", `properties.a: x-unit: only EUR is known`},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {type: string, x-hint: 3}}\n", `properties.a: x-hint must be text`},
		{"x.schema.yaml", header + "properties: {kind: {const: x}, a: {type: string, x-free-text: yes please}}\n", `properties.a: x-free-text must be true or false`},
	}
	for _, tt := range tests {
		_, err := load(t, tt.name, tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "schema/"+tt.name) {
			t.Errorf("%q: error %v, want one naming the file and %q", tt.src, err, tt.err)
		}
	}
}

func TestValidateHidesPersonalValues(t *testing.T) {
	set, err := Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	u := set.Kinds["user"]
	rec := map[string]any{"kind": "user", "id": "u-0001", "customer": "c-0001", "full_name": "X", "role": "boss", "active": true, "email": "Not An Email Jan"}
	v := u.Validate(rec)
	if len(v) != 2 {
		t.Fatalf("violations = %+v", v)
	}
	for _, x := range v {
		if strings.Contains(x.Msg, "Not An Email Jan") {
			t.Errorf("message leaks a personal value: %s", x.Msg)
		}
	}
	// The keyless schema ignores what is encrypted.
	rec["email"] = "ENC[AES256_GCM,data:abc=,iv:aXY=,tag:dGFn,type:str]"
	rec["role"] = "staff"
	if v := u.ValidateKeyless(rec); len(v) != 0 {
		t.Errorf("keyless violations = %+v", v)
	}
}

func TestPeriod(t *testing.T) {
	p, err := ParsePeriod("P7Y")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)
	if got := p.AddTo(end).Format(time.DateOnly); got != "2027-03-01" {
		t.Errorf("P7Y after 2020-02-29 = %s", got)
	}
	for _, bad := range []string{"", "P", "7Y", "P1W", "PT1H"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
}

// A refused value says which form is allowed, in words: the x-hint (and
// its Dutch), or what the format, enum or type allows; never Go's date
// layout or the pattern.
func TestViolationHints(t *testing.T) {
	set, err := Load(os.DirFS("../.."), "schema")
	if err != nil {
		t.Fatal(err)
	}
	c := set.Kinds["contract"]
	rec := map[string]any{"kind": "contract", "id": "ct-0001", "customer": "c-0001", "type": "rent", "start_date": "2026-3-1", "monthly_fee": "a lot"}
	msgs := map[string]string{}
	for _, v := range c.Validate(rec) {
		msgs[strings.Join(v.Path, ".")] = v.Msg
	}
	for field, want := range map[string]string{
		"start_date":  `is not a valid date (value not shown); expected a date written YYYY-MM-DD, e.g. 2026-03-01`,
		"type":        "expected one of: support, hosting, licence, project",
		"monthly_fee": "expected an amount in euro with a decimal point, e.g. 149.50 (NL: een bedrag in euro met een punt als decimaalteken, bv. 149.50)",
	} {
		if !strings.Contains(msgs[field], want) {
			t.Errorf("%s: %q, want it to contain %q", field, msgs[field], want)
		}
		if strings.Contains(msgs[field], "2006-01-02") {
			t.Errorf("%s: Go's date layout in %q", field, msgs[field])
		}
	}
}

// LoadKinds reads only the kinds asked for and compiles no JSON Schema
// until a record is validated: a schema that does not compile then fails
// that validation, naming its file, and Load still refuses it up front.
func TestLoadKindsCompilesOnUse(t *testing.T) {
	fsys := fstest.MapFS{
		"schema/x.schema.yaml": {Data: []byte(header + "properties: {kind: {const: x}, a: {type: nope}}\n")},
		"schema/y.schema.yaml": {Data: []byte(header + "properties: {kind: {const: y}, a: {type: string}}\n")},
	}
	set, err := LoadKinds(fsys, "schema", "x")
	if err != nil {
		t.Fatalf("LoadKinds compiled the JSON Schema: %v", err)
	}
	if len(set.Kinds) != 1 || set.Kinds["x"] == nil {
		t.Fatalf("LoadKinds(x) read kinds %v", set.Names())
	}
	for _, v := range [][]Violation{set.Kinds["x"].Validate(map[string]any{"kind": "x"}), set.Kinds["x"].ValidateKeyless(map[string]any{"kind": "x"})} {
		if len(v) != 1 || !strings.HasPrefix(v[0].Msg, "schema/x.schema.yaml: not a valid JSON Schema") {
			t.Errorf("validating with a schema that does not compile: %+v", v)
		}
	}
	if err := set.Kinds["x"].Compile(); err == nil || !strings.HasPrefix(err.Error(), "schema/x.schema.yaml: not a valid JSON Schema") {
		t.Errorf("Compile: %v", err)
	}
	if _, err := Load(fsys, "schema"); err == nil || !strings.HasPrefix(err.Error(), "schema/x.schema.yaml") {
		t.Errorf("Load: %v, want the compile error of x", err)
	}
	y, err := LoadKinds(fsys, "schema", "y")
	if err != nil {
		t.Fatal(err)
	}
	if v := y.Kinds["y"].Validate(map[string]any{"kind": "y", "a": 3}); len(v) != 1 || v[0].Keyword != "type" {
		t.Errorf("y: %+v", v)
	}
}

// Validators share kinds across goroutines: the first validations compile
// both forms (and the jsonschema metaschemas) concurrently, under -race.
func TestCompileOnUseConcurrently(t *testing.T) {
	set, err := LoadKinds(os.DirFS("../.."), "schema", "user")
	if err != nil {
		t.Fatal(err)
	}
	u := set.Kinds["user"]
	rec := map[string]any{"kind": "user", "id": "u-0001", "customer": "c-0001", "role": "boss"}
	done := make(chan []Violation)
	for i := range 8 {
		go func() {
			if i%2 == 0 {
				done <- u.Validate(rec)
			} else {
				done <- u.ValidateKeyless(rec)
			}
		}()
	}
	for range 8 {
		if v := <-done; len(v) == 0 {
			t.Error("a record with a role outside the enum passed")
		}
	}
}
