package repo

import (
	"bytes"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/vts/dossier/internal/repo/odb"
)

// objectSink stores the new objects of one commit: its blobs, trees and
// (unless git signs it) the commit itself. Nothing it stores is reachable
// until the branch moves, so a commit that fails leaves only garbage that
// git's gc removes.
type objectSink interface {
	put(t plumbing.ObjectType, content []byte) (plumbing.Hash, error)
	// close makes every object put readable by git.
	close() error
	// abort drops what close has not made readable and returns err.
	abort(err error) error
}

// packMin is the number of written files from which a commit's objects
// go into one pack rather than loose files: git's own transfer.unpackLimit
// (100). A key rotation of 50,000 records as 50,000 loose objects was
// 50,000 files created and compressed one by one, most of the commit's
// cost; a pack is one file written in one stream, with one sync. A
// request's few files stay loose, so everyday commits do not pile up
// small packs.
const packMin = 100

// newObjectSink returns a pack sink for a change writing n files or more
// than packMin, else a loose one.
func newObjectSink(objects *CatFile, n int) (objectSink, error) {
	if n < packMin {
		return looseSink{objects}, nil
	}
	w, err := odb.NewPackWriter(objects.Filesystem().Root())
	if err != nil {
		return nil, err
	}
	return packSink{w}, nil
}

// looseSink writes each object as a loose object through go-git.
type looseSink struct{ s storer.EncodedObjectStorer }

func (l looseSink) put(t plumbing.ObjectType, content []byte) (plumbing.Hash, error) {
	obj := &plumbing.MemoryObject{}
	obj.SetType(t)
	if _, err := obj.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	// A tree the repository holds already (a folder changed back) is not
	// written again.
	if t == plumbing.TreeObject && l.s.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), nil
	}
	return l.s.SetEncodedObject(obj)
}

// Loose objects are readable once written.
func (looseSink) close() error { return nil }

func (looseSink) abort(err error) error { return err }

// packSink streams the objects into one pack, which git sees only once
// close has written its index.
type packSink struct{ w *odb.PackWriter }

func (p packSink) put(t plumbing.ObjectType, content []byte) (plumbing.Hash, error) {
	h := odb.HashObject(t, content)
	return h, p.w.Add(t, h, content, "")
}

func (p packSink) close() error {
	_, err := p.w.Close()
	return err
}

func (p packSink) abort(err error) error { return p.w.Abort(err) }

// contentOf is the content of an object go-git encoded into memory.
func contentOf(obj *plumbing.MemoryObject) []byte {
	r, _ := obj.Reader() // a MemoryObject's reader never fails
	var b bytes.Buffer
	_, _ = io.Copy(&b, r) // reading memory never fails
	return b.Bytes()
}
