package backup

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// DropObjects rewrites every branch and tag of the repository at dir so
// that no commit reaches a blob in erased, then deletes the old objects
// (reflog expiry and gc --prune=now with real git: go-git cannot delete
// objects from packs). It returns how many commits were rewritten.
//
// It is the minimal rewrite restore needs while dossier purge (issue 5) is
// being built; when internal/purge lands, restore should call it instead.
// Objects are rewritten byte for byte except for the changed ids: tree
// entries keep their order and modes, commits keep every header but a
// signature, which the rewrite invalidates.
func DropObjects(dir string, erased map[plumbing.Hash]bool) (int, error) {
	r, err := git.PlainOpen(dir)
	if err != nil {
		return 0, err
	}
	w := &rewriter{st: r.Storer, erased: erased, objs: map[plumbing.Hash]plumbing.Hash{}}
	iter, err := r.Storer.IterReferences()
	if err != nil {
		return 0, err
	}
	var refs []*plumbing.Reference
	iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(ref.Name().String(), "refs/") {
			refs = append(refs, ref)
		}
		return nil
	})
	for _, ref := range refs {
		h, err := w.object(ref.Hash())
		if err != nil {
			return 0, fmt.Errorf("rewriting %s: %w", ref.Name(), err)
		}
		if h != ref.Hash() {
			if err := r.Storer.SetReference(plumbing.NewHashReference(ref.Name(), h)); err != nil {
				return 0, err
			}
		}
	}
	for _, args := range [][]string{
		{"reflog", "expire", "--expire=now", "--all"},
		{"gc", "--prune=now", "--quiet"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(string(out)))
		}
	}
	return w.commits, nil
}

type rewriter struct {
	st      storer.EncodedObjectStorer
	erased  map[plumbing.Hash]bool
	objs    map[plumbing.Hash]plumbing.Hash // old id to new id; ZeroHash: dropped
	commits int
}

// object returns the rewritten id of a commit, tree or tag (ZeroHash for a
// tree left empty).
func (w *rewriter) object(h plumbing.Hash) (plumbing.Hash, error) {
	if n, ok := w.objs[h]; ok {
		return n, nil
	}
	typ, data, err := readObject(w.st, h)
	if err != nil {
		return h, fmt.Errorf("object %s: %w", h, err)
	}
	var out []byte
	switch typ {
	case plumbing.TreeObject:
		out, err = w.tree(data)
	case plumbing.CommitObject, plumbing.TagObject:
		out, err = w.header(data, typ == plumbing.CommitObject)
	default:
		w.objs[h] = h
		return h, nil
	}
	if err != nil {
		return h, err
	}
	n := h
	switch {
	case out == nil:
		n = plumbing.ZeroHash
	case !bytes.Equal(out, data):
		if n, err = w.store(typ, out); err != nil {
			return h, err
		}
		if typ == plumbing.CommitObject {
			w.commits++
		}
	}
	w.objs[h] = n
	return n, nil
}

func (w *rewriter) store(typ plumbing.ObjectType, data []byte) (plumbing.Hash, error) {
	o := w.st.NewEncodedObject()
	o.SetType(typ)
	o.SetSize(int64(len(data)))
	wr, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return w.st.SetEncodedObject(o)
}

// tree drops erased blobs and subtrees left empty; nil means empty.
func (w *rewriter) tree(data []byte) ([]byte, error) {
	var out []byte
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return nil, fmt.Errorf("malformed tree")
		}
		mode := string(data[:sp])
		id := plumbing.Hash(data[nul+1 : nul+21])
		entry := data[:nul+1]
		data = data[nul+21:]
		switch {
		case mode == "40000":
			n, err := w.object(id)
			if err != nil {
				return nil, err
			}
			if n.IsZero() {
				continue
			}
			id = n
		case mode == "160000":
		case w.erased[id]:
			continue
		}
		out = append(out, entry...)
		out = append(out, id[:]...)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// header rewrites a commit's tree and parents, or a tag's target, and drops
// a commit signature.
func (w *rewriter) header(data []byte, commit bool) ([]byte, error) {
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		end = len(data)
	}
	var out bytes.Buffer
	inSig := false
	for _, line := range bytes.Split(data[:end], []byte("\n")) {
		if inSig && bytes.HasPrefix(line, []byte(" ")) {
			continue
		}
		inSig = false
		if commit && bytes.HasPrefix(line, []byte("gpgsig")) {
			inSig = true
			continue
		}
		for _, key := range []string{"tree ", "parent ", "object "} {
			if bytes.HasPrefix(line, []byte(key)) && len(line) == len(key)+40 {
				n, err := w.object(plumbing.NewHash(string(line[len(key):])))
				if err != nil {
					return nil, err
				}
				if n.IsZero() { // a commit whose whole tree was erased
					n = w.emptyTree()
				}
				line = []byte(key + n.String())
			}
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	out.Truncate(out.Len() - 1)
	out.Write(data[end:])
	return out.Bytes(), nil
}

func (w *rewriter) emptyTree() plumbing.Hash {
	h, _ := w.store(plumbing.TreeObject, nil)
	return h
}
