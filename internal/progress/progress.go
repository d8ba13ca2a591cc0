// Package progress tells the person at a terminal how far a long command
// has got: a purge of a long history, re-encrypting every record, checking
// every record with a key. It writes nothing when the output is not a
// terminal (hooks, CI, scripts), so logs hold results only.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Counter counts done items and shows the count on one line that it
// rewrites, at most ten times a second, once the work has taken a second
// (as git does: quick work stays quiet). A nil *Counter counts nothing and
// shows nothing, so callers need no checks. It is safe for concurrent use.
type Counter struct {
	w     io.Writer
	what  string
	total int       // 0: unknown
	quiet time.Time // nothing is shown before

	mu    sync.Mutex
	n     int
	shown time.Time // zero until the count is first shown
}

// New returns a counter that shows "what: n/total" (or "what: n" with
// total 0) on w, or nil when w is nil.
func New(w io.Writer, what string, total int) *Counter {
	if w == nil {
		return nil
	}
	return &Counter{w: w, what: what, total: total, quiet: time.Now().Add(time.Second)}
}

// Add counts n more items done.
func (c *Counter) Add(n int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += n
	if now := time.Now(); now.After(c.quiet) && now.Sub(c.shown) >= 100*time.Millisecond {
		c.shown = now
		c.show()
	}
}

// Done shows the final count and ends the line, if the count was shown.
func (c *Counter) Done() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shown.IsZero() {
		return
	}
	c.show()
	fmt.Fprintln(c.w)
}

func (c *Counter) show() {
	if c.total > 0 {
		fmt.Fprintf(c.w, "\r%s: %d/%d", c.what, c.n, c.total)
		return
	}
	fmt.Fprintf(c.w, "\r%s: %d", c.what, c.n)
}

// Terminal returns w when it is a terminal, else nil: where progress may
// be shown.
func Terminal(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return w
}
