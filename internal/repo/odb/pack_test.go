package odb

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// tree builds a raw tree of blob entries named by names, in order.
func tree(names ...string) []byte {
	var out []byte
	for _, n := range names {
		var h plumbing.Hash
		copy(h[:], n)
		out = append(out, "100644 "+n+"\x00"...)
		out = append(out, h[:]...)
	}
	return out
}

func TestDeltasApply(t *testing.T) {
	big := func(skip, extra int) []byte {
		var names []string
		for i := 0; i < 3000; i++ {
			if i != skip {
				names = append(names, fmt.Sprintf("c-%05d", i))
			}
			if i == extra {
				names = append(names, fmt.Sprintf("c-%05d-x", i))
			}
		}
		return tree(names...)
	}
	cases := []struct {
		name         string
		base, target []byte
		maxDelta     int
	}{
		{"identical", tree("a", "b"), tree("a", "b"), 16},
		{"empty target", tree("a"), nil, 16},
		{"one removed", big(1500, -1), big(-1, -1), 128},
		{"removed and added far apart", big(10, 2900), big(-1, -1), 256},
		{"all different", tree("a", "b", "c"), tree("x", "y"), 128},
		{"over 64 KiB copied", big(-1, -1), big(2999, -1), 64},
	}
	for _, c := range cases {
		for name, fn := range map[string]func(a, b []byte) []byte{"treeDelta": treeDelta, "delta": delta} {
			d := fn(c.base, c.target)
			got, err := packfile.PatchDelta(c.base, d)
			if err != nil {
				t.Fatalf("%s/%s: %v", c.name, name, err)
			}
			if !bytes.Equal(got, c.target) {
				t.Fatalf("%s/%s: delta does not reproduce the target", c.name, name)
			}
			if name == "treeDelta" && len(d) > c.maxDelta {
				t.Errorf("%s: delta of %d bytes, want <= %d", c.name, len(d), c.maxDelta)
			}
		}
	}
}

func TestCompareNames(t *testing.T) {
	// git orders "a.b" < "a/" (tree a) < "a0": '.' < '/' < '0'.
	if compareNames([]byte("a.b"), false, []byte("a"), true) >= 0 ||
		compareNames([]byte("a"), true, []byte("a0"), false) >= 0 ||
		compareNames([]byte("a"), false, []byte("a"), false) != 0 {
		t.Fatal("tree entries out of git order")
	}
}
