package yamltree

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestValue(t *testing.T) {
	tests := []struct {
		in   string
		want any
		err  string
	}{
		{in: "a: 1\nb: x\n", want: map[string]any{"a": int64(1), "b": "x"}},
		{in: "d: 2026-01-01\n", want: map[string]any{"d": "2026-01-01"}},
		{in: "f: 1.5\nt: true\nn: null\n", want: map[string]any{"f": 1.5, "t": true, "n": nil}},
		{in: "l: [1, two]\n", want: map[string]any{"l": []any{int64(1), "two"}}},
		{in: "a: 1\na: 2\n", err: "a field name appears twice"},
		{in: "a: &x 1\nb: *x\n", err: "aliases are not allowed"},
		{in: "f: .inf\n", err: "not a finite number"},
	}
	for _, tt := range tests {
		n, err := Parse([]byte(tt.in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got, err := Value(n)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Value(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{"", "- a\n- b\n", "a: 1\n---\nb: 2\n", "a: [1\n"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestKeyLine(t *testing.T) {
	n, err := Parse([]byte("a: 1\nb:\n  - x: 1\n    y: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"a": 1, "b": 2, "b.0.y": 4, "b.0.missing": 3} {
		if got := KeyLine(n, strings.Split(path, ".")); got != want {
			t.Errorf("KeyLine(%s) = %d, want %d", path, got, want)
		}
	}
}

// FuzzParse: records arrive from pushes; nothing a pusher sends may crash
// the server-side validation.
func FuzzParse(f *testing.F) {
	f.Add([]byte("kind: user\nid: u-0001\n"))
	f.Add([]byte("a: [1, {b: c}]\n"))
	f.Add([]byte("a: &x 1\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := Value(n); err == nil {
			KeyLine(n, []string{"a", "0", "b"})
		}
	})
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"line 3: cannot unmarshal !!str `Zyxwvut Canary` into bool": "line 3: cannot unmarshal !!str (text not shown) into bool",
		"unknown anchor 'Zyxwvut' referenced":                       "unknown anchor (text not shown) referenced",
		`mapping key "Zyxwvut" already defined at line 2`:           "mapping key (text not shown) already defined at line 2",
		"could not find expected ':'":                               "could not find expected ':'",
		"did not find expected key":                                 "did not find expected key",
		"a quote ' that never ends Zyxwvut":                         "a quote (text not shown)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkers(t *testing.T) {
	for in, want := range map[string]Rule{
		"a: b\n":                   0,
		"%YAML 1.2\n---\na: b\n":   RuleMarker,
		"a: b\n...\n":              RuleMarker,
		"a: b\n--- # x\n":          RuleMarker,
		"a: b\n  # x\n":            RuleComment,
		"a: |\n  x\n# y\n":         RuleComment,
		"a: 'x # not a comment'\n": 0,
		"a: -----BEGIN\nb: ---x\n": 0,
	} {
		if _, got := Markers([]byte(in)); got != want {
			t.Errorf("Markers(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestGrammar(t *testing.T) {
	for in, want := range map[string]Rule{
		"a: b\nc:\n  - d\n":    0,
		"a: []\nb: {}\n":       0,
		"a: b # c\n":           RuleComment,
		"\n# c\na: b\n":        RuleComment,
		"a: &x b\n":            RuleAnchor,
		"a: &x b\nc: *x\n":     RuleAnchor,
		"a: !x b\n":            RuleTag,
		"a: !!str b\n":         RuleTag,
		"a: [b]\n":             RuleFlow,
		"1: b\n":               RuleKey,
		"a: b\na: c\n":         RuleDuplicate,
		"a:\n  b: c\n  b: d\n": RuleDuplicate,
	} {
		n, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		var got Rule
		Grammar(n, func(_ *yaml.Node, r Rule) {
			if got == 0 {
				got = r
			}
		})
		if got != want {
			t.Errorf("Grammar(%q) = %v, want %v", in, got, want)
		}
	}
}

// Every error of Parse and Value is an *Error whose Line is where the
// document goes wrong, and whose words never hold the input.
func TestErrorsCarryTheLine(t *testing.T) {
	const canary = "Zyxwvut Canary"
	tests := []struct {
		in    string
		value bool // the error comes from Value, not Parse
		line  int
	}{
		{"a: 1\nb: 2\nc: " + canary + ": d\n", false, 3},
		{"a: 1\nb: '" + canary + "\n", false, 2},
		{"a: 1\n---\nb: 2\n", false, 2},
		{"a: 1\n" + canary + ": 1\n" + canary + ": 2\n", true, 3},
		{"a: &x 1\nb: *x\n", true, 2},
		{"a: 1\nb: !!bool " + canary + "\n", true, 2},
		{"", false, 0},
	}
	for _, tt := range tests {
		n, err := Parse([]byte(tt.in))
		if tt.value {
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			_, err = Value(n)
		}
		var ye *Error
		if !errors.As(err, &ye) {
			t.Errorf("%q: error %v (%T) is not an *Error", tt.in, err, err)
			continue
		}
		if ye.Line != tt.line {
			t.Errorf("%q: line %d, want %d (%v)", tt.in, ye.Line, tt.line, err)
		}
		if strings.Contains(err.Error(), "Zyxwvut") || strings.HasPrefix(ye.Msg, "line ") {
			t.Errorf("%q: message %q", tt.in, err)
		}
	}
}
