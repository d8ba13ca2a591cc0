// Package lazyregexp holds regular expressions compiled on first use.
// dossier's patterns are package variables, and compiling all of them
// when the process starts cost every command about 2 ms of CPU (a few
// patterns with counted repetitions, such as {1,32} or {0,127}, compile
// to large programs), mostly for patterns the command never uses: the
// diff textconv, which git runs once per file of "git log -p", uses almost
// none. It is the pattern of Go's own cmd/internal/lazyregexp.
package lazyregexp

import (
	"os"
	"regexp"
	"strings"
	"sync"
)

// Regexp is a regexp.Regexp compiled the first time it is used. Its
// methods are safe for concurrent use, as regexp's are.
type Regexp struct {
	str  string
	once sync.Once
	rx   *regexp.Regexp
}

func (r *Regexp) re() *regexp.Regexp {
	r.once.Do(func() { r.rx = regexp.MustCompile(r.str) })
	return r.rx
}

// inTest is set in a test binary, where New compiles at once: a pattern
// that does not compile then fails every test of its package, not only a
// test that happens to use it.
var inTest = len(os.Args) > 0 && strings.HasSuffix(strings.TrimSuffix(os.Args[0], ".exe"), ".test")

// New returns the regular expression str, compiled on first use; it
// panics then, as regexp.MustCompile does, if str does not compile.
func New(str string) *Regexp {
	r := &Regexp{str: str}
	if inTest {
		r.re()
	}
	return r
}

// MatchString is regexp.Regexp's MatchString.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

// FindStringSubmatch is regexp.Regexp's FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

// FindAllString is regexp.Regexp's FindAllString.
func (r *Regexp) FindAllString(s string, n int) []string { return r.re().FindAllString(s, n) }
