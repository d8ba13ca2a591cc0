package repo

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Versions finds every version of the files at or under paths (a file, or
// a folder such as records/c-0042) in the history of every ref (branches,
// tags, remote-tracking refs, the stash) and of a detached HEAD. It
// returns, per file path, the blob ids of its versions, sorted.
//
// The walk asks git, per commit, for the object at each path, and skips a
// root tree or folder it has already seen, so its cost follows the number
// of commits and the size of the subject's folders, not the width of the
// repository.
func Versions(root string, paths []string) (map[string][]string, error) {
	_, objects, err := openObjects(root)
	if err != nil {
		return nil, err
	}
	defer func() { _ = objects.Close() }() // read only: closing releases pack handles
	w := &versionWalk{s: objects, found: map[string]map[plumbing.Hash]bool{}, seenTree: map[plumbing.Hash]bool{}, seenSub: map[string]bool{}}
	starts, err := refCommits(At(root), objects)
	if err != nil {
		return nil, err
	}
	seen := map[plumbing.Hash]bool{}
	queue := starts
	for len(queue) > 0 {
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(objects, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue // a shallow or grafted history ends here
		}
		if err != nil {
			return nil, err
		}
		if !w.seenTree[c.TreeHash] {
			w.seenTree[c.TreeHash] = true
			for _, p := range paths {
				if err := w.visit(c.TreeHash, p); err != nil {
					return nil, err
				}
			}
		}
		queue = append(queue, c.ParentHashes...)
	}
	out := map[string][]string{}
	for p, set := range w.found {
		for h := range set {
			out[p] = append(out[p], h.String())
		}
		sort.Strings(out[p])
	}
	return out, nil
}

// refCommits are the commits every ref points at, tags peeled, from the
// one ref lister (git's own list: loose, packed and per-worktree refs alike).
func refCommits(g Git, objects storer.EncodedObjectStorer) ([]plumbing.Hash, error) {
	refs, err := g.Refs()
	if err != nil {
		return nil, err
	}
	// for-each-ref leaves HEAD out; a detached HEAD can hold commits no
	// ref does.
	head, err := g.Run("rev-parse", "-q", "--verify", "HEAD^{commit}")
	switch {
	case ExitCode(err) == 1: // no commit yet
	case err != nil:
		return nil, fmt.Errorf("reading HEAD: %w", err)
	default:
		refs = append(refs, Ref{Name: "HEAD", Hash: plumbing.NewHash(strings.TrimSpace(string(head)))})
	}
	var out []plumbing.Hash
	for _, ref := range refs {
		h := ref.Target()
		for range 10 { // a tag of a tag of ... a commit
			obj, err := objects.EncodedObject(plumbing.AnyObject, h)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				break // a ref to a missing object holds nothing to find
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", ref.Name, err)
			}
			if obj.Type() == plumbing.CommitObject {
				out = append(out, h)
				break
			}
			if obj.Type() != plumbing.TagObject {
				break // a tag of a tree or a blob: no history to walk
			}
			t, err := object.DecodeTag(objects, obj)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", ref.Name, err)
			}
			h = t.Target
		}
	}
	return out, nil
}

type versionWalk struct {
	s        *CatFile
	found    map[string]map[plumbing.Hash]bool
	seenTree map[plumbing.Hash]bool // root trees already visited
	seenSub  map[string]bool        // path + object id already collected
}

// visit collects the versions of p (a file or folder) in the root tree.
// git finds p itself (cat-file's <tree>:<path>), so the wide records/ tree
// on the way is read in C and never crosses the pipe.
func (w *versionWalk) visit(rootTree plumbing.Hash, p string) error {
	h, typ, _, err := w.s.lookup(rootTree, p)
	switch {
	case errors.Is(err, plumbing.ErrObjectNotFound):
		return nil
	case err != nil:
		return err
	case typ == plumbing.TreeObject:
		return w.collect(p, h, filemode.Dir)
	case typ == plumbing.BlobObject:
		return w.collect(p, h, filemode.Regular)
	}
	return nil // a submodule's commit holds nothing of ours
}

func (w *versionWalk) collect(p string, h plumbing.Hash, mode filemode.FileMode) error {
	key := p + "\x00" + h.String()
	if w.seenSub[key] {
		return nil
	}
	w.seenSub[key] = true
	if mode != filemode.Dir {
		if mode == filemode.Submodule {
			return nil
		}
		if w.found[p] == nil {
			w.found[p] = map[plumbing.Hash]bool{}
		}
		w.found[p][h] = true
		return nil
	}
	t, err := object.GetTree(w.s, h)
	if err != nil {
		return err
	}
	for _, e := range t.Entries {
		if err := w.collect(p+"/"+e.Name, e.Hash, e.Mode); err != nil {
			return err
		}
	}
	return nil
}
