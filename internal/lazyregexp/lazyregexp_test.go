package lazyregexp

import (
	"slices"
	"sync"
	"testing"
)

func TestLazyRegexp(t *testing.T) {
	r := &Regexp{str: `^([a-z]+)-([0-9]+)$`} // as New outside a test binary
	if r.rx != nil {
		t.Fatal("compiled before use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !r.MatchString("u-17") || r.MatchString("u-") {
				t.Error("MatchString")
			}
		}()
	}
	wg.Wait()
	if got := r.FindStringSubmatch("ct-3"); !slices.Equal(got, []string{"ct-3", "ct", "3"}) {
		t.Errorf("FindStringSubmatch = %q", got)
	}
	if got := New(`[0-9]+`).FindAllString("a1 b22 c333", 2); !slices.Equal(got, []string{"1", "22"}) {
		t.Errorf("FindAllString = %q", got)
	}
}

// In a test binary New compiles at once, so a bad pattern fails its
// package's tests.
func TestNewCompilesInTests(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted a pattern that does not compile")
		}
	}()
	New(`(`)
}
