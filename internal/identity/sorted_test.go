package identity

import (
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestSortedFilePrefixed compares the in-place binary search with a
// linear scan, on files whose lines straddle the read blocks.
func TestSortedFilePrefixed(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, 3, 50, 2000} {
		var lines []string
		for i := 0; i < n; i++ {
			l := string(rune('a'+rng.Intn(3))) + " " + strings.Repeat("x", rng.Intn(3)) + string(rune('0'+rng.Intn(10)))
			if rng.Intn(20) == 0 {
				l += strings.Repeat("y", 5000) // longer than a block
			}
			lines = append(lines, l)
		}
		sort.Strings(lines)
		path := filepath.Join(t.TempDir(), "sorted")
		text := strings.Join(lines, "\n")
		if n > 0 {
			text += "\n"
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		sf, err := openSorted(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"", "a", "a ", "a x", "a xx5", "b 0", "c ", "c xx9", "d", " ", "a xxx"} {
			var want, got []string
			for _, l := range lines {
				if strings.HasPrefix(l, prefix) {
					want = append(want, l[len(prefix):])
				}
			}
			err := sf.prefixed(prefix, func(rest []byte) error {
				got = append(got, string(rest))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("%d lines, prefix %q: got %d lines, want %d", n, prefix, len(got), len(want))
			}
		}
		if err := sf.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
