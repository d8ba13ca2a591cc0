package odb

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Store is where objects are read from: go-git's storage of a repository
// (a repo.Repo's Storer, OpenStore's), or repo's CatFile. Every go-git
// object storer is one.
type Store interface {
	EncodedObject(plumbing.ObjectType, plumbing.Hash) (plumbing.EncodedObject, error)
}

// Writer is a Store that also takes new loose objects.
type Writer interface {
	Store
	NewEncodedObject() plumbing.EncodedObject
	SetEncodedObject(plumbing.EncodedObject) (plumbing.Hash, error)
}

// OpenStore opens the objects of the repository at gitDir for one long
// read of its history (a rewrite): pack files stay open between reads and
// their indexes are read once, which assumes nobody repacks meanwhile (the
// caller holds the repository's lock). The caller closes it.
func OpenStore(gitDir string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(),
		filesystem.Options{ExclusiveAccess: true, KeepDescriptors: true})
}

// ReadInto reads object h into *buf, growing it as needed, and returns its
// type and bytes (a slice of *buf, valid until the next read into it).
// Reusing one buffer is what keeps a walk over a large history from
// allocating a tree's worth of memory per tree.
func ReadInto(s Store, h plumbing.Hash, buf *[]byte) (plumbing.ObjectType, []byte, error) {
	o, err := s.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, fmt.Errorf("reading object %s: %w", h, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return 0, nil, fmt.Errorf("reading object %s: %w", h, err)
	}
	defer func() { _ = rd.Close() }() // a reader of an object: closing it loses nothing
	n := int(o.Size())
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(rd, b); err != nil {
		return 0, nil, fmt.Errorf("reading object %s: %w", h, err)
	}
	return o.Type(), b, nil
}

// Read returns object h's type and bytes in a buffer of their own.
func Read(s Store, h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	var buf []byte
	return ReadInto(s, h, &buf)
}

// readType is Read of an object that must be of type want.
func readType(s Store, h plumbing.Hash, want plumbing.ObjectType) ([]byte, error) {
	t, raw, err := Read(s, h)
	if err != nil {
		return nil, err
	}
	if t != want {
		return nil, fmt.Errorf("object %s is a %s, not a %s", h, t, want)
	}
	return raw, nil
}

// TreeOf is the root tree of commit h.
func TreeOf(s Store, h plumbing.Hash) (plumbing.Hash, error) {
	raw, err := readType(s, h, plumbing.CommitObject)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := ParseCommit(raw)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit %s: %w", h, err)
	}
	return c.Tree, nil
}

// Find is the entry at path (slash-separated) below tree, and whether
// there is one. Only a failure to read or parse a tree is an error: a
// path that is missing, or goes through something that is not a tree, is
// not found.
func Find(s Store, tree plumbing.Hash, path string) (TreeEntry, bool, error) {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		raw, err := readType(s, tree, plumbing.TreeObject)
		if err != nil {
			return TreeEntry{}, false, err
		}
		e, ok, err := entryNamed(raw, part)
		if err != nil {
			return TreeEntry{}, false, fmt.Errorf("tree %s: %w", tree, err)
		}
		switch {
		case !ok:
			return TreeEntry{}, false, nil
		case i == len(parts)-1:
			return e, true, nil
		case !e.IsTree():
			return TreeEntry{}, false, nil
		}
		tree = e.Hash
	}
	return TreeEntry{}, false, nil
}

// entryNamed is the entry called name in the raw tree.
func entryNamed(raw []byte, name string) (TreeEntry, bool, error) {
	for off := 0; off < len(raw); {
		e, err := NextEntry(raw, off)
		if err != nil {
			return TreeEntry{}, false, err
		}
		if string(e.Name) == name {
			return e, true, nil
		}
		off = e.End
	}
	return TreeEntry{}, false, nil
}

// Entries lists the raw tree h's entries.
func Entries(s Store, h plumbing.Hash) ([]TreeEntry, error) {
	raw, err := readType(s, h, plumbing.TreeObject)
	if err != nil {
		return nil, err
	}
	var out []TreeEntry
	for off := 0; off < len(raw); {
		e, err := NextEntry(raw, off)
		if err != nil {
			return nil, fmt.Errorf("tree %s: %w", h, err)
		}
		out = append(out, e)
		off = e.End
	}
	return out, nil
}

// Write stores raw as a loose object of type t and returns its id.
func Write(w Writer, t plumbing.ObjectType, raw []byte) (plumbing.Hash, error) {
	obj := w.NewEncodedObject()
	obj.SetType(t)
	obj.SetSize(int64(len(raw)))
	wr, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing a %s: %w", t, err)
	}
	if _, err := wr.Write(raw); err != nil {
		_ = wr.Close() // the object is abandoned: nothing of it is stored
		return plumbing.ZeroHash, fmt.Errorf("writing a %s: %w", t, err)
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing a %s: %w", t, err)
	}
	h, err := w.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing a %s: %w", t, err)
	}
	if want := HashObject(t, raw); h != want {
		return plumbing.ZeroHash, fmt.Errorf("writing a %s: stored as %s, its id is %s", t, h, want)
	}
	return h, nil
}

// ReplaceBlob is tree with the entry at path (slash-separated, which must
// exist) pointing at blob, every tree on the way written as a loose
// object. Only the entry's id changes, so no entry moves and the order
// stays git's.
func ReplaceBlob(w Writer, tree plumbing.Hash, path string, blob plumbing.Hash) (plumbing.Hash, error) {
	name, rest, nested := strings.Cut(path, "/")
	raw, err := readType(w, tree, plumbing.TreeObject)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	out := make([]byte, 0, len(raw))
	found := false
	for off := 0; off < len(raw); {
		e, err := NextEntry(raw, off)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("tree %s: %w", tree, err)
		}
		off = e.End
		h := e.Hash
		if string(e.Name) == name {
			switch {
			case !nested && e.IsBlob():
				h = blob
			case nested && e.IsTree():
				if h, err = ReplaceBlob(w, e.Hash, rest, blob); err != nil {
					return plumbing.ZeroHash, err
				}
			default:
				return plumbing.ZeroHash, fmt.Errorf("%s is not a file in tree %s", path, tree)
			}
			found = true
		}
		out = AppendEntry(out, &e, h)
	}
	if !found {
		return plumbing.ZeroHash, fmt.Errorf("%s is not in tree %s", path, tree)
	}
	if bytes.Equal(out, raw) {
		return tree, nil
	}
	return Write(w, plumbing.TreeObject, out)
}
