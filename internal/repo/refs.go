package repo

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Ref is one reference of a repository as git lists it.
type Ref struct {
	Name string        // full name: refs/heads/main, refs/tags/v1
	Hash plumbing.Hash // what the ref points at
	Type string        // the type of that object: commit, tag, tree, blob
	// Peeled is the object an annotated tag finally points at, zero for
	// every other ref.
	Peeled plumbing.Hash
}

// Target is the object the ref stands for: the tagged object for an
// annotated tag, the ref's own object otherwise.
func (r Ref) Target() plumbing.Hash {
	if !r.Peeled.IsZero() {
		return r.Peeled
	}
	return r.Hash
}

// Refs lists the repository's refs under patterns (every ref when none),
// as git for-each-ref does: loose and packed refs alike, sorted by name.
// It is dossier's one ref lister, so that a check over "every ref" sees
// the refs git sees, not the ones a hand-written walk happened to find.
func (g Git) Refs(patterns ...string) ([]Ref, error) {
	lines, err := g.Lines(append([]string{"for-each-ref", "--format=%(objectname)%00%(objecttype)%00%(*objectname)%00%(refname)"}, patterns...)...)
	if err != nil {
		return nil, fmt.Errorf("listing refs: %w", err)
	}
	refs := make([]Ref, 0, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\x00")
		if len(f) != 4 {
			return nil, fmt.Errorf("listing refs: unexpected line from git for-each-ref")
		}
		r := Ref{Hash: plumbing.NewHash(f[0]), Type: f[1], Name: f[3]}
		if f[2] != "" {
			r.Peeled = plumbing.NewHash(f[2])
		}
		refs = append(refs, r)
	}
	return refs, nil
}
