package purge

import (
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
// The paths are looked up together, as a trie, and every lookup is
// memoised by (tree id, trie node): each tree on the way to an erased path
// is read once, however many commits share it.
func FindPaths(objects storer.EncodedObjectStorer, tips []plumbing.Hash, paths []string) (commits int, hits []PathHit, err error) {
	r := newRewriter(objects, nil, nil)
	root := &pathNode{children: map[string]*pathNode{}}
	for _, p := range paths {
		n := root
		for _, part := range strings.Split(p, "/") {
			c := n.children[part]
			if c == nil {
				c = &pathNode{children: map[string]*pathNode{}}
				n.children[part] = c
			}
			n = c
		}
		n.path = p
	}
	memo := map[pathKey][]string{}
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
		in, err := r.pathsIn(memo, c.tree, root)
		if err != nil {
			return 0, nil, err
		}
		for _, p := range in {
			if !found[p] {
				found[p] = true
				hits = append(hits, PathHit{Commit: id, Path: p})
			}
		}
	}
	return commits, hits, nil
}

// pathNode is one component of the paths looked for; path is set where a
// looked-for path ends.
type pathNode struct {
	children map[string]*pathNode
	path     string
}

type pathKey struct {
	tree plumbing.Hash
	node *pathNode
}

// pathsIn lists the looked-for paths below node that tree holds.
func (r *rewriter) pathsIn(memo map[pathKey][]string, tree plumbing.Hash, node *pathNode) ([]string, error) {
	k := pathKey{tree, node}
	if v, ok := memo[k]; ok {
		return v, nil
	}
	var buf []byte
	_, raw, err := r.readInto(tree, &buf)
	if err != nil {
		return nil, err
	}
	var out []string
	for off := 0; off < len(raw); {
		e, err := nextEntry(raw, off)
		if err != nil {
			return nil, fmt.Errorf("tree %s: %w", tree, err)
		}
		off = e.end
		child := node.children[string(e.name)]
		if child == nil {
			continue
		}
		if child.path != "" {
			out = append(out, child.path)
		}
		if len(child.children) > 0 && e.isTree() {
			sub, err := r.pathsIn(memo, e.hash, child)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	memo[k] = out
	return out, nil
}
