package repo

import (
	"fmt"
	"strings"
)

// Symrefs is the set of symbolic refs under patterns (every ref when
// none), such as refs/remotes/origin/HEAD. Refs lists a symbolic ref as
// the object its target points at; a caller that moves or deletes refs
// must leave these alone, since updating one would move its target.
func (g Git) Symrefs(patterns ...string) (map[string]bool, error) {
	lines, err := g.Lines(append([]string{"for-each-ref", "--format=%(symref)%00%(refname)"}, patterns...)...)
	if err != nil {
		return nil, fmt.Errorf("listing symbolic refs: %w", err)
	}
	out := map[string]bool{}
	for _, l := range lines {
		target, name, ok := strings.Cut(l, "\x00")
		if !ok {
			return nil, fmt.Errorf("listing symbolic refs: unexpected line from git for-each-ref")
		}
		if target != "" {
			out[name] = true
		}
	}
	return out, nil
}
