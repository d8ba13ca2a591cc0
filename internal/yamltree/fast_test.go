package yamltree

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// slowParse is Parse without the fast path: yaml.v3 alone.
func slowParse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("more than one document")
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping")
	}
	return doc.Content[0], nil
}

// sameNode reports where two trees differ, or "".
func sameNode(a, b *yaml.Node, at string) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Style != b.Style || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.Line != b.Line || a.Column != b.Column || a.HeadComment != b.HeadComment || a.LineComment != b.LineComment ||
		a.FootComment != b.FootComment || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: fast {kind %d tag %s style %d line %d col %d value %q, %d children} yaml.v3 {kind %d tag %s style %d line %d col %d value %q, %d children}",
			at, a.Kind, a.Tag, a.Style, a.Line, a.Column, a.Value, len(a.Content), b.Kind, b.Tag, b.Style, b.Line, b.Column, b.Value, len(b.Content))
	}
	for i := range a.Content {
		if d := sameNode(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkSame fails when the fast path accepts data and builds anything but
// what yaml.v3 builds; it returns whether the fast path accepted.
func checkSame(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok := fastParse(data)
	if !ok {
		return false
	}
	slow, err := slowParse(data)
	if err != nil {
		t.Fatalf("fast path accepted what yaml.v3 refuses (%v):\n%s", err, data)
	}
	if d := sameNode(fast, slow, ""); d != "" {
		t.Fatalf("fast path differs from yaml.v3 at %s\n%s", d, data)
	}
	return true
}

func TestFastParseMatchesYAMLv3(t *testing.T) {
	files, _ := filepath.Glob("../../records/*/*.yaml")
	more, _ := filepath.Glob("../../records/*/*/*.yaml")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no sample records")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !checkSame(t, data) {
			t.Errorf("%s: the fast path does not read a record dossier wrote", f)
		}
	}
	for _, tc := range []struct {
		in   string
		fast bool
	}{
		{"a: b\n", true},
		{"serial: A+#FBU%W\n", true},
		{"serial: AZV!F#NM\n", true},
		{"a: 1\nb: true\nc: 1.5\nd: \"2020-01-01\"\ne: 2020-01-01\nf: null\ng: 'x y'\n", true},
		{"a:\n  - b: c\n    d: e\n  - f\nx: y\n", true},
		{"a:\n- b\n- c\nd: e\n", true},
		{"a:\n  b:\n    c: |\n      line1\n        line2\n    d: e\n", true},
		{"s:\n  - enc: |-\n      x\n      y\n    r: z\n", true},
		{"a: b\n  c\n", false},        // plain scalar continued on the next line
		{"a: b # c\n", false},         // comment
		{"# c\na: b\n", false},        // comment line
		{"a: &x b\nc: *x\n", false},   // anchors
		{"a: [b, c]\n", false},        // flow sequence
		{"a: {b: c}\n", false},        // flow mapping
		{"a: \"b\\n\"\n", false},      // escapes
		{"a: b\n---\nc: d\n", false},  // two documents
		{"a:\n", false},               // null value
		{"a: b \n", false},            // trailing space
		{"a:\tb\n", false},            // tab
		{"a: b\r\n", false},           // CR
		{"a: b\n\nc: d\n", false},     // blank line
		{"a: -1\n", true},             // a negative number
		{"a: -!XA\nb: -.inf\n", true}, // a dash and a non-space start a plain scalar
		{"a: - b\n", false},           // a sequence cannot follow a key on its line
		{"a: --x\n", false},           // left to yaml.v3
		{"a: true\nb: NULL\nc: Yes\nd: off\n", true},
		{"a: 16\nb: 08\nc: 017\nd: 0\ne: 1234567890123456789012\nf: 1_000\ng: 192.168.1.10\n", true},
		{"a: !!int 1\n", false},  // tag
		{"a: b\na: c\n", true},   // duplicate keys: Value refuses them, as with yaml.v3
		{"a:\n  - - b\n", false}, // nested inline sequence
		{"a: |\n  x\n", true},    // literal
		{"a: |\n  x", false},     // literal without final newline
		{"a: |2\n  x\n", false},  // indentation indicator
		{"a: >\n  x\n", false},   // folded
		{"- a\n", false},         // top-level sequence
		{"a: ENC[AES256_GCM,data:ab+/=,iv:x=,tag:y==,type:str]\n", true},
		{"a: h\u00e9\n", false}, // non-ASCII
	} {
		got := checkSame(t, []byte(tc.in))
		if got != tc.fast {
			t.Errorf("%q: fast path accepted = %v, want %v", tc.in, got, tc.fast)
		}
	}
}

// FuzzFastParse checks that the fast path never reads a document
// differently from yaml.v3: whatever it accepts, yaml.v3 reads to the same
// nodes, lines and columns.
func FuzzFastParse(f *testing.F) {
	files, _ := filepath.Glob("../../records/*/*/*.yaml")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"a: b\n", "a:\n- b\n", "a:\n  - b: c\n    d: |\n      x\n", "k: 'v'\nl: \"w\"\n", "s: -!X\nt: -1.5\nu: True\n", "a: 08\nb: 9\nc: 0x1F\n", strings.Repeat("a:\n  ", 3) + "b: c\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, data)
	})
}

// A Parser reused across documents of different sizes reads each as a
// fresh one does.
func TestParserReuse(t *testing.T) {
	files, _ := filepath.Glob("../../records/*/*/*.yaml")
	docs := []string{"a: b\n", strings.Repeat("k: v\nl:\n  - m: n\n", 40), "x: |\n  y\n"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(data))
	}
	var ps Parser
	for round := range 2 {
		for i, d := range docs {
			got, err := ps.Parse([]byte(d))
			if err != nil {
				t.Fatalf("round %d, doc %d: %v", round, i, err)
			}
			want, err := slowParse([]byte(d))
			if err != nil {
				t.Fatal(err)
			}
			if diff := sameNode(got, want, ""); diff != "" {
				t.Fatalf("round %d, doc %d: reused parser differs at %s", round, i, diff)
			}
		}
	}
}

// fastParse runs the fast path alone, as Parse would try it first.
func fastParse(b []byte) (*yaml.Node, bool) { return new(Parser).fast(b) }
