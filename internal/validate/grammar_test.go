package validate

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate/canary"
)

// canaryText stands for a personal value typed where it does not belong.
const canaryText = canary.Canary

const sampleRel = "records/c-0001/users/u-0111.yaml"

var (
	sampleOnce sync.Once
	sample     string
	keyless    *Checker
	keyed      *Checker
)

// checkers are a keyless and a keyed checker of the source tree's sample
// repository, and one of its records as the pinned sops wrote it.
func checkers(t testing.TB) (string, *Checker, *Checker) {
	t.Helper()
	sampleOnce.Do(func() {
		data, err := os.ReadFile("../../" + sampleRel)
		if err != nil {
			t.Fatal(err)
		}
		sample = string(data)
		var fs []Finding
		keyless, fs = Setup(os.DirFS("../.."))
		if len(fs) > 0 {
			t.Fatalf("setup: %v", fs)
		}
		keyed = &Checker{Schemas: keyless.Schemas, Rules: keyless.Rules}
		t.Setenv("SOPS_AGE_KEY_FILE", "../../testdata/test-only-age-key.txt")
		if keyed.Identities, err = sopsfile.LoadIdentities(); err != nil {
			t.Fatal(err)
		}
	})
	if keyless == nil {
		t.Fatal("setup failed")
	}
	return sample, keyless, keyed
}

// grammarCases is the canary corpus built from the sample record.
func grammarCases(t testing.TB, rec string) []canary.Case {
	t.Helper()
	cases, err := canary.Cases(rec)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestGrammarCanary(t *testing.T) {
	rec, kl, kd := checkers(t)
	if fs := kl.Check(sampleRel, []byte(rec)); len(fs) > 0 {
		t.Fatalf("the sample record: %v", fs)
	}
	if fs := kd.Check(sampleRel, []byte(rec)); len(fs) > 0 {
		t.Fatalf("the sample record, keyed: %v", fs)
	}
	for _, tc := range grammarCases(t, rec) {
		for _, c := range []*Checker{kl, kd} {
			fs := c.Check(sampleRel, []byte(tc.Doc))
			mode := "keyless"
			if c.Identities != nil {
				mode = "keyed"
			}
			if len(fs) == 0 {
				t.Errorf("%s (%s): accepted", tc.Name, mode)
				continue
			}
			out := render(t, fs)
			if !strings.Contains(out, tc.Want) {
				t.Errorf("%s (%s): no finding says %q:\n%s", tc.Name, mode, tc.Want, out)
			}
			for _, part := range canary.Parts {
				if strings.Contains(out, part) {
					t.Errorf("%s (%s): a finding holds the canary:\n%s", tc.Name, mode, out)
				}
			}
			for _, f := range fs {
				if f.Line == 0 && f.Check != "decrypt" && f.Check != "sops" {
					t.Errorf("%s (%s): finding without a line: %v", tc.Name, mode, f)
				}
			}
		}
	}
}

// render is every way a finding is shown: text and JSON.
func render(t testing.TB, fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	j, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(j)
	return b.String()
}

// A comment anywhere is refused: at the start and at the end of every
// line of a real record, and on a line of its own after each line.
func TestCommentAnywhere(t *testing.T) {
	rec, kl, _ := checkers(t)
	lines := strings.SplitAfter(rec, "\n")
	for i := range lines {
		if lines[i] == "" {
			continue
		}
		for _, variant := range []string{
			strings.TrimSuffix(lines[i], "\n") + " # " + canaryText + "\n",
			lines[i] + "# " + canaryText + "\n",
			lines[i] + "\n# " + canaryText + "\n",
			"# " + canaryText + "\n" + lines[i],
		} {
			doc := strings.Join(lines[:i], "") + variant + strings.Join(lines[i+1:], "")
			fs := kl.Check(sampleRel, []byte(doc))
			out := render(t, fs)
			if len(fs) == 0 {
				t.Errorf("line %d: comment accepted:\n%s", i+1, doc)
			}
			if strings.Contains(out, "Zyxwvut") {
				t.Errorf("line %d: a finding holds the canary:\n%s", i+1, out)
			}
		}
	}
}

// Records above the size limit are refused before they are parsed.
func TestTooLarge(t *testing.T) {
	rec, kl, _ := checkers(t)
	big := rec + "x: " + strings.Repeat("a", MaxRecordSize) + "\n"
	fs := kl.Check(sampleRel, []byte(big))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "1 MiB") {
		t.Errorf("findings %v", fs)
	}
}

// allowedText is what a finding may legitimately repeat of a record: the
// texts of the code that words findings, the schemas and .sops.yaml. A
// scalar of the record found in a finding but not in here came from the
// record.
func allowedText(t testing.TB) string {
	var b strings.Builder
	for _, f := range []string{"validate.go", "../sopsfile/meta.go", "../sopsfile/enc.go", "../yamltree/grammar.go", "../yamltree/yamltree.go", "../schema/schema.go", "../../.sops.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	schemas, _ := os.ReadDir("../../schema")
	for _, e := range schemas {
		data, _ := os.ReadFile("../../schema/" + e.Name())
		b.Write(data)
	}
	return b.String()
}

// FuzzCheck: whatever a pushed record holds, its findings never repeat a
// scalar of it longer than 8 bytes that is not schema or code text (a
// field name, an enum value, an opaque id, a public key the rules name).
// Seeds are the grammar cases; "make test" runs them as unit tests.
func FuzzCheck(f *testing.F) {
	rec, kl, _ := checkers(f)
	f.Add([]byte(rec))
	for _, tc := range grammarCases(f, rec) {
		f.Add([]byte(tc.Doc))
	}
	// What the seeds' findings say (with the path filled in) is fixed
	// text too: TestGrammarCanary shows it holds nothing of a record.
	var seen strings.Builder
	seen.WriteString(allowedText(f))
	seen.WriteString(render(f, kl.Check(sampleRel, []byte(rec))))
	for _, tc := range grammarCases(f, rec) {
		seen.WriteString(render(f, kl.Check(sampleRel, []byte(tc.Doc))))
	}
	allowed := seen.String()
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := kl.Check(sampleRel, data)
		out := render(t, fs)
		for _, v := range scalarsOf(data) {
			if len(v) > 8 && strings.Contains(out, v) && !strings.Contains(allowed, v) && !strings.Contains(sampleRel, v) && !sopsfile.ValidAgeRecipient(v) {
				t.Errorf("a finding repeats %q of the record:\n%s", v, out)
			}
		}
	})
}

// scalarsOf lists the scalar values, keys, anchors and tags of a document
// as yaml.v3 reads it, and each of its lines (what a message could quote
// when the document does not parse).
func scalarsOf(data []byte) []string {
	out := strings.Split(string(data), "\n")
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return out
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		out = append(out, n.Value, n.Anchor, n.Tag, n.HeadComment, n.LineComment, n.FootComment)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return out
}

// Grammar (no schema, no path) refuses what can be told without them, and
// never repeats the canary.
func TestGrammarWithoutPlace(t *testing.T) {
	rec, _, _ := checkers(t)
	if got := Grammar([]byte(rec)); got != "" {
		t.Fatalf("the sample record: %s", got)
	}
	for _, tc := range grammarCases(t, rec) {
		got := Grammar([]byte(tc.Doc))
		if strings.Contains(got, "Zyxwvut") || strings.Contains(got, "Canary") {
			t.Errorf("%s: %s", tc.Name, got)
		}
		kindFree := strings.Contains(tc.Want, "YAML tag") || strings.Contains(tc.Want, "anchor") || strings.Contains(tc.Want, "directive") ||
			strings.Contains(tc.Want, "sops does not write") || strings.Contains(tc.Want, "well-formed") || strings.Contains(tc.Want, "the iv")
		if kindFree && got == "" {
			t.Errorf("%s: accepted", tc.Name)
		}
	}
}

// A panic while checking one file (here: no parser at all) is a finding
// for that file, without the panic's value, not a crash of the worker pool.
func TestPanicIsAFinding(t *testing.T) {
	rec, kl, _ := checkers(t)
	fs := kl.CheckWith(nil, sampleRel, []byte(rec))
	if len(fs) != 1 || fs[0].Check != "internal" || !strings.Contains(fs[0].Message, "internal error") {
		t.Fatalf("findings %v", fs)
	}
	if strings.Contains(fs[0].String(), "nil pointer") {
		t.Errorf("the panic's text reached the finding: %v", fs[0])
	}
}
