package validate

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/sopsfile"
)

// canary stands for a personal value typed where it does not belong: no
// finding may ever hold it, or any part of it.
const canary = "Zyxwvut Canary"

// canaryParts are the pieces of the canary that a message must not hold
// either (an anchor or a tag cannot hold a space).
var canaryParts = []string{"Zyxwvut", "Canary", "ZyxwvutCanary"}

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

// grammarCases put the canary in every place the issue found it accepted
// (and a few more); want is a part of the finding that names the rule.
func grammarCases(rec string) []struct{ name, doc, want string } {
	rep := func(old, new string) string {
		if !strings.Contains(rec, old) {
			panic("sample record lacks " + old)
		}
		return strings.Replace(rec, old, new, 1)
	}
	const fullName = "full_name: ENC[AES256_GCM,data:d5vWAWAe3dhRHMIANQ==,iv:84/WL424DkdxFHLwPvMP8I19VCt4bTP/QyRBUWu3fas=,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]"
	return []struct{ name, doc, want string }{
		{"document comment after a blank line", "\n# " + canary + "\n" + rec, "holds a YAML comment"},
		{"comment at the end", rec + "# " + canary + "\n", "holds a YAML comment"},
		{"comment after a blank line at the end", rec + "\n# " + canary + "\n", "holds a YAML comment"},
		{"inline comment", rep("role: admin", "role: admin # "+canary), "holds a YAML comment"},
		{"comment in the sops block", rep("  version: 3.13.3", "  # "+canary+"\n  version: 3.13.3"), "holds a YAML comment"},
		{"%TAG directive", "%TAG !c! tag:ZyxwvutCanary,2000:\n---\n" + rec, "directive or document marker"},
		{"%YAML directive", "%YAML 1.2\n---\n" + rec, "directive or document marker"},
		{"document end and comment", rec + "...\n# " + canary + "\n", "directive or document marker"},
		{"second document marker with comment", rec + "--- # " + canary + "\n", "directive or document marker"},
		{"sops unknown key", rep("  version: 3.13.3", "  note: "+canary+"\n  version: 3.13.3"), "holds a key that sops does not write"},
		{"sops unknown key named by the canary", rep("  version: 3.13.3", "  "+canary+": x\n  version: 3.13.3"), "holds a key that sops does not write"},
		{"extra age entry key", rep("      recipient: age1", "      note: "+canary+"\n      recipient: age1"), "in a age entry"},
		{"version text", rep("version: 3.13.3", "version: 3.13.3 "+canary), "is not a sops version"},
		{"text before the armor", rep("        -----BEGIN AGE", "        "+canary+"\n        -----BEGIN AGE"), "is not exactly an armored age file"},
		{"fake mac", rep("mac: ENC[AES256_GCM,data:Ewk4", "mac: ENC[AES256_GCM,data:"+canary+"Ewk4"), `"sops.mac" is not a well-formed encrypted value`},
		{"second sops key", rec + "sops:\n  note: " + canary + "\n", "holds a second sops block"},
		{"mac_only_encrypted", rep("  version: 3.13.3", "  mac_only_encrypted: true\n  version: 3.13.3"), "holds mac_only_encrypted"},
		{"unencrypted_suffix", rep("  version: 3.13.3", "  unencrypted_suffix: "+canary+"\n  version: 3.13.3"), "holds unencrypted_suffix"},
		{"anchor name", rep("role: admin", "role: &ZyxwvutCanary admin"), "holds a YAML anchor"},
		{"alias", rep("role: admin\nactive: true", "role: &ZyxwvutCanary admin\nactive: *ZyxwvutCanary"), "holds a YAML"},
		{"local tag", rep("role: admin", "role: !ZyxwvutCanary admin"), "holds a YAML tag"},
		{"local tag on a personal field", rep("full_name: ENC", "full_name: !ZyxwvutCanary ENC"), "holds a YAML tag"},
		{"forged ENC data", rep(fullName, "full_name: ENC[AES256_GCM,data:"+canary+",iv:x,tag:y,type:str]"), "not a well-formed encrypted value"},
		{"forged ENC iv", rep(fullName, "full_name: ENC[AES256_GCM,data:YWJj,iv:ZyxwvutCanary,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]"), "the iv is not 32 bytes"},
		{"ENC type bytes", rep("type:str]\nemail:", "type:bytes]\nemail:"), "the type is not one of"},
		{"mapping key in a personal field", rep(fullName, "full_name:\n  "+canary+": ENC[AES256_GCM,data:YWJj,iv:84/WL424DkdxFHLwPvMP8I19VCt4bTP/QyRBUWu3fas=,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]"), "holds a mapping where the schema wants one encrypted personal value"},
		{"list in a personal field", rep(fullName, "full_name:\n  - "+canary), "holds a list where the schema wants one encrypted"},
		{"null in a personal field", rep(fullName, "full_name: null"), "is empty (null)"},
		{"plaintext personal field", rep(fullName, "full_name: "+canary), "holds a personal value in plaintext"},
		{"!!bool-tagged name", rep(fullName, "full_name: !!bool "+canary), "holds a YAML tag"},
		{"!!int-tagged plain field", rep("role: admin", "role: !!int "+canary), "holds a YAML tag"},
		{"unknown field named by the canary", rep("role: admin", "role: admin\n"+canary+": x"), "holds a field that the schema does not name"},
		{"unknown field in a list item", rep("    host: srv-01.local", "    host: srv-01.local\n    "+canary+": x"), "holds a field that the schema does not name"},
		{"plain field value (enum)", rep("role: admin", "role: "+canary), "is not one of admin, staff, owner, external"},
		{"plain field value (pattern)", rep("host: srv-01.local", "host: "+canary), "does not match the pattern"},
		{"plain field value (type)", rep("active: true", "active: "+canary), "has the wrong type"},
		{"plain field value (kind)", rep("kind: user", "kind: "+canary), "a record of another kind"},
		{"plain field value (id)", rep("id: u-0111", "id: "+canary), "not an opaque id; not shown"},
		{"plain field value (customer)", rep("customer: c-0001", "customer: "+canary), "not an opaque id; not shown"},
		{"flow mapping", rep("role: admin", "role: {a: "+canary+"}"), "flow collection"},
		{"duplicate plain field", rep("role: admin", "role: admin\nrole: "+canary), "holds the field name \"role\" twice"},
		{"duplicate unknown key", rep("role: admin", "role: admin\n"+canary+": a\n"+canary+": b"), "twice in one mapping (name not shown)"},
		{"complex key", rep("role: admin", "role: admin\n? ["+canary+"]\n: x"), "not plain text"},
		{"binary tag", rep("role: admin", "role: !!binary Wnl4d3Z1dCBDYW5hcnk="), "holds a YAML tag"},
		{"sops lastmodified text", rep(`lastmodified: "2026-11-25T22:18:41Z"`, "lastmodified: "+canary), "is not an RFC 3339 time"},
	}
}

func TestGrammarCanary(t *testing.T) {
	rec, kl, kd := checkers(t)
	if fs := kl.Check(sampleRel, []byte(rec)); len(fs) > 0 {
		t.Fatalf("the sample record: %v", fs)
	}
	if fs := kd.Check(sampleRel, []byte(rec)); len(fs) > 0 {
		t.Fatalf("the sample record, keyed: %v", fs)
	}
	for _, tc := range grammarCases(rec) {
		for _, c := range []*Checker{kl, kd} {
			fs := c.Check(sampleRel, []byte(tc.doc))
			mode := "keyless"
			if c.Identities != nil {
				mode = "keyed"
			}
			if len(fs) == 0 {
				t.Errorf("%s (%s): accepted", tc.name, mode)
				continue
			}
			out := render(t, fs)
			if !strings.Contains(out, tc.want) {
				t.Errorf("%s (%s): no finding says %q:\n%s", tc.name, mode, tc.want, out)
			}
			for _, part := range canaryParts {
				if strings.Contains(out, part) {
					t.Errorf("%s (%s): a finding holds the canary:\n%s", tc.name, mode, out)
				}
			}
			for _, f := range fs {
				if f.Line == 0 && f.Check != "decrypt" && f.Check != "sops" {
					t.Errorf("%s (%s): finding without a line: %v", tc.name, mode, f)
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
			strings.TrimSuffix(lines[i], "\n") + " # " + canary + "\n",
			lines[i] + "# " + canary + "\n",
			lines[i] + "\n# " + canary + "\n",
			"# " + canary + "\n" + lines[i],
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
	for _, tc := range grammarCases(rec) {
		f.Add([]byte(tc.doc))
	}
	allowed := allowedText(f)
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
