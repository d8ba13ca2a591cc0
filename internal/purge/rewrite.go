package purge

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/repo/odb"
)

// rewriter removes a set of blobs from every commit, tree and tag reachable
// from the refs it is given. Every result is memoised by the old object id,
// so a tree that does not change is read once and never written, and the
// work grows with the distinct trees and commits of the history, not with
// the number of times they are shared.
//
// Nothing it writes is visible until the pack is closed, and no ref is
// touched here: see Run for the order of the switch.
type rewriter struct {
	objects odb.Store
	erased  map[plumbing.Hash]bool
	pack    *odb.PackWriter

	trees   map[plumbing.Hash]plumbing.Hash // old tree -> new tree (ZeroHash: nothing left)
	commits map[plumbing.Hash]commitResult
	tags    map[plumbing.Hash]plumbing.Hash // old tag -> new tag (ZeroHash: target removed)

	rewritten int // commits whose id changed, dropped ones included
	dropped   int

	done *progress.Counter // commits read, for the person waiting

	prev, spare map[string]*treeState // big trees by path, see treeState
	buf         []byte
	bufs, outs  [][]byte // per tree depth
}

// commitResult is what an old commit became. A dropped commit becomes its
// rewritten parent (or nothing, at a root).
type commitResult struct {
	id   plumbing.Hash // ZeroHash: dropped with no ancestor left
	tree plumbing.Hash // the tree of id
}

func newRewriter(objects odb.Store, erased map[plumbing.Hash]bool, pack *odb.PackWriter) *rewriter {
	return &rewriter{
		objects: objects,
		erased:  erased,
		pack:    pack,
		trees:   map[plumbing.Hash]plumbing.Hash{},
		commits: map[plumbing.Hash]commitResult{},
		tags:    map[plumbing.Hash]plumbing.Hash{},
		prev:    map[string]*treeState{},
		spare:   map[string]*treeState{},
	}
}

// emit writes a rewritten object to the pack; without a pack (Rewrite, the
// server's check of a purge) only the ids are wanted and nothing is kept.
func (r *rewriter) emit(t plumbing.ObjectType, h plumbing.Hash, raw []byte, path string) error {
	if r.pack == nil {
		return nil
	}
	return r.pack.Add(t, h, raw, path)
}

// read returns an object's type and content. The returned slice is only
// valid until the next read unless keep is set.
func (r *rewriter) read(h plumbing.Hash, keep bool) (plumbing.ObjectType, []byte, error) {
	if keep {
		return odb.Read(r.objects, h)
	}
	return odb.ReadInto(r.objects, h, &r.buf)
}

// bigTree is the size from which a tree is rewritten against the previous
// version at the same path (see treeState).
const bigTree = 8 << 10

// treeState is the last big tree rewritten at a path: its raw bytes, its
// rewrite, and where each entry ends in both. A big tree (records/, one
// entry per customer) changes in a few entries from one commit to the next,
// so the next version is rewritten by copying the common prefix and suffix
// of the previous rewrite and looking only at the entries in between,
// instead of one memo lookup per entry per commit.
type treeState struct {
	raw, out      []byte
	ends, outEnds []int32 // ends[i]: offset just past entry i in raw; outEnds[i]: in out
}

func (t *treeState) start(i int) int {
	if i == 0 {
		return 0
	}
	return int(t.ends[i-1])
}

func (t *treeState) outStart(i int) int {
	if i == 0 {
		return 0
	}
	return int(t.outEnds[i-1])
}

// tree rewrites one tree; path (slash-separated, "" at the root) groups
// rewritten trees for delta compression and big-tree reuse; depth indexes
// the read buffers, which stay valid while subtrees are read.
func (r *rewriter) tree(h plumbing.Hash, path string) (plumbing.Hash, error) {
	return r.treeAt(h, path, 0)
}

func (r *rewriter) treeAt(h plumbing.Hash, path string, depth int) (plumbing.Hash, error) {
	if nh, ok := r.trees[h]; ok {
		return nh, nil
	}
	for len(r.bufs) <= depth {
		r.bufs = append(r.bufs, nil)
		r.outs = append(r.outs, nil)
	}
	_, raw, err := odb.ReadInto(r.objects, h, &r.bufs[depth])
	if err != nil {
		return plumbing.ZeroHash, err
	}
	big := len(raw) >= bigTree
	var prev, st *treeState
	if big {
		prev = r.prev[path]
		st = r.spare[path]
		if st == nil {
			st = &treeState{}
		}
		st.ends, st.outEnds = st.ends[:0], st.outEnds[:0]
	}
	out := r.outs[depth][:0]
	entry := func(e *odb.TreeEntry) error {
		nh := e.Hash
		switch {
		case e.IsTree():
			if sub, ok := r.trees[e.Hash]; ok {
				nh = sub
			} else {
				var err error
				if nh, err = r.treeAt(e.Hash, join(path, e.Name), depth+1); err != nil {
					return err
				}
			}
		case e.IsBlob() && r.erased[e.Hash]:
			nh = plumbing.ZeroHash
		}
		if !nh.IsZero() {
			out = odb.AppendEntry(out, e, nh)
		}
		if big {
			st.ends = append(st.ends, int32(e.End))
			st.outEnds = append(st.outEnds, int32(len(out)))
		}
		return nil
	}
	off := 0
	if prev != nil {
		// Entries wholly inside the common prefix are rewritten as before.
		p := commonPrefix(raw, prev.raw)
		k := sort.Search(len(prev.ends), func(i int) bool { return int(prev.ends[i]) > p })
		off = prev.start(k)
		out = append(out, prev.out[:prev.outStart(k)]...)
		st.ends = append(st.ends, prev.ends[:k]...)
		st.outEnds = append(st.outEnds, prev.outEnds[:k]...)
		// The common suffix: once parsing reaches an offset that is an
		// entry boundary of the previous version inside it, the rest is
		// the same entries.
		s := commonSuffix(raw[off:], prev.raw[off:])
		shift := len(raw) - len(prev.raw)
		for off < len(raw) {
			if off-shift >= len(prev.raw)-s {
				j := sort.Search(len(prev.ends), func(i int) bool { return int(prev.ends[i]) >= off-shift })
				if j < len(prev.ends) && int(prev.ends[j]) == off-shift {
					m := j + 1
					outShift := int32(len(out) - prev.outStart(m))
					for i := m; i < len(prev.ends); i++ {
						st.ends = append(st.ends, prev.ends[i]+int32(shift))
						st.outEnds = append(st.outEnds, prev.outEnds[i]+outShift)
					}
					out = append(out, prev.out[prev.outStart(m):]...)
					off = len(raw)
					break
				}
			}
			e, err := odb.NextEntry(raw, off)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("tree %s: %w", h, err)
			}
			if err := entry(&e); err != nil {
				return plumbing.ZeroHash, err
			}
			off = e.End
		}
	}
	for off < len(raw) {
		e, err := odb.NextEntry(raw, off)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("tree %s: %w", h, err)
		}
		if err := entry(&e); err != nil {
			return plumbing.ZeroHash, err
		}
		off = e.End
	}
	r.outs[depth] = out
	if big {
		st.raw = append(st.raw[:0], raw...)
		st.out = append(st.out[:0], out...)
		r.prev[path], r.spare[path] = st, prev
	}
	if bytes.Equal(out, raw) {
		r.trees[h] = h
		return h, nil
	}
	if len(out) == 0 {
		r.trees[h] = plumbing.ZeroHash
		return plumbing.ZeroHash, nil
	}
	nh := odb.HashObject(plumbing.TreeObject, out)
	if err := r.emit(plumbing.TreeObject, nh, out, "/"+path); err != nil {
		return plumbing.ZeroHash, errPack(err)
	}
	r.trees[h] = nh
	return nh, nil
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && string(a[i:i+8]) == string(b[i:i+8]) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

func join(dir string, name []byte) string {
	if dir == "" {
		return string(name)
	}
	return dir + "/" + string(name)
}

// rootTree is tree for a commit's tree, which must exist even when empty.
func (r *rewriter) rootTree(h plumbing.Hash) (plumbing.Hash, error) {
	nh, err := r.tree(h, "")
	if err != nil || !nh.IsZero() {
		return nh, err
	}
	if err := r.emit(plumbing.TreeObject, odb.EmptyTree, nil, ""); err != nil {
		return plumbing.ZeroHash, errPack(err)
	}
	return odb.EmptyTree, nil
}

// pending is a commit waiting for its parents during the walk.
type pending struct {
	id       plumbing.Hash
	raw      []byte
	c        odb.Commit
	expanded bool
}

// commit rewrites a commit and, first, all its ancestors. The walk is
// iterative (histories are deeper than the goroutine stack likes) and
// visits parents before children, oldest first, which is also the order in
// which a packed history's deltas resolve cheapest.
func (r *rewriter) commit(tip plumbing.Hash) (commitResult, error) {
	if res, ok := r.commits[tip]; ok {
		return res, nil
	}
	stack := []*pending{{id: tip}}
	inStack := map[plumbing.Hash]bool{tip: true}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		if p.raw == nil {
			t, raw, err := r.read(p.id, true)
			if err != nil {
				return commitResult{}, err
			}
			if t != plumbing.CommitObject {
				return commitResult{}, fmt.Errorf("object %s is a %s, not a commit", p.id, t)
			}
			if p.c, err = odb.ParseCommit(raw); err != nil {
				return commitResult{}, fmt.Errorf("commit %s: %w", p.id, err)
			}
			p.raw = raw
		}
		if !p.expanded {
			p.expanded = true
			for i := len(p.c.Parents) - 1; i >= 0; i-- {
				par := p.c.Parents[i]
				if _, done := r.commits[par]; !done && !inStack[par] {
					inStack[par] = true
					stack = append(stack, &pending{id: par})
				}
			}
			continue
		}
		stack = stack[:len(stack)-1]
		delete(inStack, p.id)
		r.done.Add(1)
		res, err := r.rewriteCommit(p)
		if err != nil {
			return commitResult{}, err
		}
		r.commits[p.id] = res
	}
	return r.commits[tip], nil
}

func (r *rewriter) rewriteCommit(p *pending) (commitResult, error) {
	tree, err := r.rootTree(p.c.Tree)
	if err != nil {
		return commitResult{}, err
	}
	same := tree == p.c.Tree
	var parents []commitResult
	seen := map[plumbing.Hash]bool{}
	for _, old := range p.c.Parents {
		res, ok := r.commits[old]
		if !ok {
			return commitResult{}, fmt.Errorf("commit %s: parent %s was not rewritten first", p.id, old)
		}
		if res.id != old {
			same = false
		}
		if res.id.IsZero() || seen[res.id] {
			same = false
			continue
		}
		seen[res.id] = true
		parents = append(parents, res)
	}
	if same {
		return commitResult{id: p.id, tree: tree}, nil
	}
	r.rewritten++
	// A commit whose changes were all erased is dropped, unless it is the
	// record of a request; one that was empty to begin with is kept.
	if len(parents) <= 1 && !isRequestCommit(p.raw) {
		base := odb.EmptyTree
		if len(parents) == 1 {
			base = parents[0].tree
		}
		wasEmpty := len(p.c.Parents) == 0 && p.c.Tree == odb.EmptyTree
		if len(p.c.Parents) == 1 {
			old, err := r.commitTree(p.c.Parents[0])
			if err != nil {
				return commitResult{}, fmt.Errorf("commit %s: parent %s: %w", p.id, p.c.Parents[0], err)
			}
			wasEmpty = old == p.c.Tree
		}
		if tree == base && !wasEmpty {
			r.dropped++
			if len(parents) == 1 {
				return parents[0], nil
			}
			return commitResult{}, nil
		}
	}
	ids := make([]plumbing.Hash, len(parents))
	for i, par := range parents {
		ids[i] = par.id
	}
	raw := odb.BuildCommit(p.raw, p.c, tree, ids)
	id := odb.HashObject(plumbing.CommitObject, raw)
	if err := r.emit(plumbing.CommitObject, id, raw, ""); err != nil {
		return commitResult{}, errPack(err)
	}
	return commitResult{id: id, tree: tree}, nil
}

// isRequestCommit reports whether the message's trailer block names a
// data-subject request (Dossier-Request: DSR-...): such a commit is the
// record that a request was carried out and is kept even when empty.
func isRequestCommit(raw []byte) bool {
	msg := bytes.TrimRight(odb.Message(raw), "\n")
	if i := bytes.LastIndex(msg, []byte("\n\n")); i >= 0 {
		msg = msg[i+2:]
	}
	for _, line := range bytes.Split(msg, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Dossier-Request:")) {
			return true
		}
	}
	return false
}

// commitTree is the tree of an old commit.
func (r *rewriter) commitTree(h plumbing.Hash) (plumbing.Hash, error) {
	_, raw, err := r.read(h, false)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := odb.ParseCommit(raw)
	return c.Tree, err
}

// object rewrites what a ref or tag points to; ZeroHash means the target
// no longer exists (an erased blob, or a commit with nothing left).
func (r *rewriter) object(h plumbing.Hash) (plumbing.Hash, error) {
	if nh, ok := r.tags[h]; ok {
		return nh, nil
	}
	o, err := r.objects.EncodedObject(plumbing.AnyObject, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return plumbing.ZeroHash, fmt.Errorf("object %s is missing: run \"git fsck\" and repair the repository before purging", h)
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	switch o.Type() {
	case plumbing.CommitObject:
		res, err := r.commit(h)
		return res.id, err
	case plumbing.TreeObject:
		return r.tree(h, "")
	case plumbing.BlobObject:
		if r.erased[h] {
			return plumbing.ZeroHash, nil
		}
		return h, nil
	case plumbing.TagObject:
		_, raw, err := r.read(h, true)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		t, err := odb.ParseTag(raw)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("tag %s: %w", h, err)
		}
		target, err := r.object(t.Object)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		nh := h
		switch {
		case target.IsZero():
			nh = plumbing.ZeroHash
		case target != t.Object:
			nraw := odb.BuildTag(raw, target)
			nh = odb.HashObject(plumbing.TagObject, nraw)
			if err := r.emit(plumbing.TagObject, nh, nraw, ""); err != nil {
				return plumbing.ZeroHash, errPack(err)
			}
		}
		r.tags[h] = nh
		return nh, nil
	}
	return h, nil
}

// errPack wraps a failure to write the rewritten objects.
func errPack(err error) error { return fmt.Errorf("writing the rewritten objects: %w", err) }

// RefUpdate is one planned ref change; New is ZeroHash for a deletion.
type RefUpdate struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Delete reports whether the update removes the ref.
func (u RefUpdate) Delete() bool { return u.New == plumbing.ZeroHash.String() }

// planRefs rewrites what every ref points to and returns the ref changes.
// The stash is dropped whole (its commits hold the index and work tree of
// the moment, erased data included), remote-tracking refs that changed are
// dropped rather than moved (they name what the remote has, which the next
// fetch sets right once the remote is purged too).
func (r *rewriter) planRefs(refs []repo.Ref) ([]RefUpdate, error) {
	// Commits first, oldest history first, so that tags and later refs
	// hit the memo.
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
	var out []RefUpdate
	for _, ref := range refs {
		name := ref.Name
		if name == "refs/stash" {
			out = append(out, RefUpdate{Name: name, Old: ref.Hash.String(), New: plumbing.ZeroHash.String()})
			continue
		}
		nh, err := r.object(ref.Hash)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if nh == ref.Hash {
			continue
		}
		if strings.HasPrefix(name, "refs/remotes/") {
			nh = plumbing.ZeroHash
		}
		out = append(out, RefUpdate{Name: name, Old: ref.Hash.String(), New: nh.String()})
	}
	return out, nil
}
