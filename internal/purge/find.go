package purge

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// PathHit is a commit whose tree holds a path that must be gone.
type PathHit struct {
	Commit plumbing.Hash
	Path   string
}

// FindPaths walks every commit reachable from tips (tags are peeled) and
// returns those whose tree holds one of paths, at most one hit per path.
// Lookups are memoised by (tree id, remaining path), so a subtree shared
// by many commits is read once.
func FindPaths(objects storer.EncodedObjectStorer, tips []plumbing.Hash, paths []string) (commits int, hits []PathHit, err error) {
	r := newRewriter(objects, nil, nil)
	memo := map[pathKey]bool{}
	found := map[string]bool{}
	seen := map[plumbing.Hash]bool{}
	var queue []plumbing.Hash
	for _, t := range tips {
		for {
			typ, raw, err := r.read(t, false)
			if err != nil {
				return 0, nil, err
			}
			if typ != plumbing.TagObject {
				if typ == plumbing.CommitObject && !seen[t] {
					seen[t] = true
					queue = append(queue, t)
				}
				break
			}
			tag, err := parseTag(raw)
			if err != nil {
				return 0, nil, fmt.Errorf("tag %s: %w", t, err)
			}
			t = tag.object
		}
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		_, raw, err := r.read(id, false)
		if err != nil {
			return 0, nil, err
		}
		c, err := parseCommit(raw)
		if err != nil {
			return 0, nil, fmt.Errorf("commit %s: %w", id, err)
		}
		commits++
		for _, p := range c.parents {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
		for _, p := range paths {
			if found[p] {
				continue
			}
			ok, err := r.hasPath(memo, c.tree, p)
			if err != nil {
				return 0, nil, err
			}
			if ok {
				found[p] = true
				hits = append(hits, PathHit{Commit: id, Path: p})
			}
		}
	}
	return commits, hits, nil
}

type pathKey struct {
	tree plumbing.Hash
	path string
}

func (r *rewriter) hasPath(memo map[pathKey]bool, tree plumbing.Hash, path string) (bool, error) {
	k := pathKey{tree, path}
	if v, ok := memo[k]; ok {
		return v, nil
	}
	first, rest, sub := strings.Cut(path, "/")
	_, raw, err := r.read(tree, false)
	if err != nil {
		return false, err
	}
	var child *treeEntry
	for off := 0; off < len(raw); {
		e, err := nextEntry(raw, off)
		if err != nil {
			return false, fmt.Errorf("tree %s: %w", tree, err)
		}
		if bytes.Equal(e.name, []byte(first)) {
			child = &e
			break
		}
		off = e.end
	}
	v := child != nil
	if v && sub {
		v = false
		if child.isTree() {
			if v, err = r.hasPath(memo, child.hash, rest); err != nil {
				return false, err
			}
		}
	}
	memo[k] = v
	return v, nil
}
