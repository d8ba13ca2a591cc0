package validate

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/sopsfile"
)

// A GrammarOnly checker (the diff textconv's) compiles no JSON Schema, yet
// finds the same grammar problems as a full one: its kind's schema here
// would not even compile (minLength -1), which a full check reports.
func TestGrammarOnlyCompilesNothing(t *testing.T) {
	rec, full, _ := checkers(t)
	user, err := os.ReadFile("../../schema/user.schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile("../../" + sopsfile.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := sopsfile.ParseRules(config)
	if err != nil {
		t.Fatal(err)
	}
	broken := fstest.MapFS{"schema/user.schema.yaml": {Data: append(user, "minLength: -1\n"...)}}
	set, err := schema.LoadKinds(broken, "schema", "user")
	if err != nil {
		t.Fatal(err)
	}
	only := &Checker{Schemas: set, Rules: rules, GrammarOnly: true}
	if fs := only.Check(sampleRel, []byte(rec)); len(fs) != 0 {
		t.Errorf("GrammarOnly on a valid record: %v", fs)
	}
	all := &Checker{Schemas: set, Rules: rules}
	if fs := all.Check(sampleRel, []byte(rec)); len(fs) != 1 || !strings.Contains(fs[0].Message, "not a valid JSON Schema") {
		t.Errorf("a full check with a schema that does not compile: %v", fs)
	}
	first := func(fs []Finding) string {
		for _, f := range fs {
			if f.BreaksGrammar() {
				return f.String()
			}
		}
		return ""
	}
	for _, c := range grammarCases(t, rec) {
		if got, want := first(only.Check(sampleRel, []byte(c.Doc))), first(full.Check(sampleRel, []byte(c.Doc))); got != want {
			t.Errorf("%s: GrammarOnly's first grammar finding %q, a full check's %q", c.Name, got, want)
		}
	}
}
