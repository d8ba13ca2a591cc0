package odb

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// PathHit is a commit whose tree holds one of the paths looked for.
type PathHit struct {
	Commit plumbing.Hash
	Path   string
}

// FindPaths walks every commit reachable from tips (tags are peeled) and
// returns those whose tree holds one of paths, at most one hit per path.
// The paths are looked up together, as a trie, and every lookup is
// memoised by (tree id, trie node): each tree on the way to a looked-for path
// is read once, however many commits share it.
func FindPaths(objects Store, tips []plumbing.Hash, paths []string) (commits int, hits []PathHit, err error) {
	w := &pathWalk{objects: objects, memo: map[pathKey][]string{}}
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
	found := map[string]bool{}
	seen := map[plumbing.Hash]bool{}
	var queue []plumbing.Hash
	for _, t := range tips {
		for {
			typ, raw, err := ReadInto(objects, t, &w.buf)
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
			tag, err := ParseTag(raw)
			if err != nil {
				return 0, nil, fmt.Errorf("tag %s: %w", t, err)
			}
			t = tag.Object
		}
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		_, raw, err := ReadInto(objects, id, &w.buf)
		if err != nil {
			return 0, nil, err
		}
		c, err := ParseCommit(raw)
		if err != nil {
			return 0, nil, fmt.Errorf("commit %s: %w", id, err)
		}
		commits++
		for _, p := range c.Parents {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
		in, err := w.pathsIn(c.Tree, root)
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

// pathWalk is FindPaths' state: where objects are read from, the read
// buffer of commits and tags, and the memo of tree lookups.
type pathWalk struct {
	objects Store
	buf     []byte
	memo    map[pathKey][]string
}

// pathsIn lists the looked-for paths below node that tree holds.
func (w *pathWalk) pathsIn(tree plumbing.Hash, node *pathNode) ([]string, error) {
	k := pathKey{tree, node}
	if v, ok := w.memo[k]; ok {
		return v, nil
	}
	var buf []byte
	_, raw, err := ReadInto(w.objects, tree, &buf)
	if err != nil {
		return nil, err
	}
	var out []string
	for off := 0; off < len(raw); {
		e, err := NextEntry(raw, off)
		if err != nil {
			return nil, fmt.Errorf("tree %s: %w", tree, err)
		}
		off = e.End
		child := node.children[string(e.Name)]
		if child == nil {
			continue
		}
		if child.path != "" {
			out = append(out, child.path)
		}
		if len(child.children) > 0 && e.IsTree() {
			sub, err := w.pathsIn(e.Hash, child)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	w.memo[k] = out
	return out, nil
}
