package merge

import (
	"bytes"
	"testing"

	"gopkg.in/yaml.v3"
)

func node(t *testing.T, s string) *yaml.Node {
	t.Helper()
	if s == "" {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestNodes(t *testing.T) {
	tests := []struct {
		name               string
		base, ours, theirs string
		want               string
		conflicts          []string
	}{
		{"one side", "a: 1\nb: 2\n", "a: 1\nb: 3\n", "a: 1\nb: 2\n", "a: 1\nb: 3\n", nil},
		{"other side", "a: 1\nb: 2\n", "a: 1\nb: 2\n", "a: 5\nb: 2\n", "a: 5\nb: 2\n", nil},
		{"different fields", "a: 1\nb: 2\n", "a: 9\nb: 2\n", "a: 1\nb: 8\n", "a: 9\nb: 8\n", nil},
		{"same change", "a: 1\n", "a: 2\n", "a: 2\n", "a: 2\n", nil},
		{"conflict", "a: 1\n", "a: 2\n", "a: 3\n", "a: 2\n", []string{"a"}},
		{"added by theirs", "a: 1\nc: 3\n", "a: 1\nc: 4\n", "a: 1\nb: 2\nc: 3\n", "a: 1\nb: 2\nc: 4\n", nil},
		{"deleted by theirs", "a: 1\nb: 2\n", "a: 7\nb: 2\n", "a: 1\n", "a: 7\n", nil},
		{"deleted vs modified", "a: 1\nb: 2\n", "a: 1\nb: 3\n", "a: 1\n", "a: 1\nb: 3\n", []string{"b"}},
		{"deleted by ours", "a: 1\nb: 2\n", "a: 1\n", "a: 1\nb: 2\nc: 1\n", "a: 1\nc: 1\n", nil},
		{"list items", "l:\n  - {x: 1, y: 1}\n  - {x: 2, y: 2}\n", "l:\n  - {x: 9, y: 1}\n  - {x: 2, y: 2}\n", "l:\n  - {x: 1, y: 1}\n  - {x: 2, y: 8}\n", "l:\n  - {x: 9, y: 1}\n  - {x: 2, y: 8}\n", nil},
		{"list grown on one side", "l: [1, 2]\n", "l: [1, 2, 3]\n", "l: [1, 2]\n", "l: [1, 2, 3]\n", nil},
		{"list changed on both sides", "l: [1, 2]\n", "l: [1, 2, 3]\n", "l: [0, 2]\n", "l: [1, 2, 3]\n", []string{"l"}},
		{"both added", "", "a: 1\nb: 2\n", "a: 1\nc: 3\n", "a: 1\nc: 3\nb: 2\n", nil},
		{"nested conflict path", "u:\n  acc:\n    - login: a\n", "u:\n  acc:\n    - login: b\n", "u:\n  acc:\n    - login: c\n", "u:\n  acc:\n    - login: b\n", []string{"u.acc.0.login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conflicts := Nodes(node(t, tt.base), node(t, tt.ours), node(t, tt.theirs))
			if !Equal(got, node(t, tt.want)) {
				var b bytes.Buffer
				yaml.NewEncoder(&b).Encode(got)
				t.Errorf("merged:\n%s\nwant:\n%s", b.String(), tt.want)
			}
			if len(conflicts) != len(tt.conflicts) {
				t.Fatalf("conflicts %v, want %v", conflicts, tt.conflicts)
			}
			for i := range conflicts {
				if conflicts[i] != tt.conflicts[i] {
					t.Errorf("conflicts %v, want %v", conflicts, tt.conflicts)
				}
			}
		})
	}
}

func TestEqualIgnoresStyle(t *testing.T) {
	if !Equal(node(t, "a: 'x'\nb: [1, 2]\n"), node(t, "a: x\nb:\n  - 1\n  - 2\n")) {
		t.Error("same content in different styles should be equal")
	}
	if Equal(node(t, "a: '1'\n"), node(t, "a: 1\n")) {
		t.Error("a string and a number are not equal")
	}
}
