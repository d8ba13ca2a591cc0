package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestCounter(t *testing.T) {
	var b bytes.Buffer
	c := New(&b, "re-encrypting records", 3)
	c.Add(1)
	c.Done()
	if b.Len() != 0 {
		t.Errorf("work done within a second showed %q", b.String())
	}

	c = New(&b, "re-encrypting records", 3)
	c.quiet = time.Time{} // as if a second had passed
	c.Add(1)              // shown
	c.Add(1)              // within 100 ms of the last: not shown
	c.Add(1)
	c.Done()
	if got, want := b.String(), "\rre-encrypting records: 1/3\rre-encrypting records: 3/3\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}

	b.Reset()
	c = New(&b, "rewriting history, commits", 0)
	c.quiet = time.Time{}
	c.Add(5)
	c.Done()
	if !strings.HasSuffix(b.String(), "\rrewriting history, commits: 5\n") {
		t.Errorf("unknown total: %q", b.String())
	}

	none := New(nil, "x", 1)
	none.Add(1) // a nil counter is silent
	none.Done()
	if none != nil {
		t.Error("New(nil) made a counter")
	}
}

func TestTerminal(t *testing.T) {
	if Terminal(&bytes.Buffer{}) != nil {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if Terminal(f) != nil {
		t.Error("a file is not a terminal")
	}
}
