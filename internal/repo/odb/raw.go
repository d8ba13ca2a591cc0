// Package odb reads and writes git objects as raw bytes: commits, tags
// and trees parsed and rebuilt without go-git's decoding, object ids
// computed as git computes them, paths looked up in trees, and a pack
// writer that streams objects into the object database, invisible until
// complete. It is plain git, no policy: what to rewrite, keep or drop is
// the caller's (purge's rewrite of history, the server's recomputation of
// a pushed purge).
//
// It lives under repo, the one door to git: packages above repo get
// objects' bytes and ids here instead of opening go-git's storage or
// pack formats themselves.
package odb

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// Raw object bytes rather than go-git's decoded object.Commit and
// object.Tag: decoding and re-encoding would normalise what it does not
// model (unknown headers, odd whitespace, encodings), and a rewrite must
// keep every byte of a commit but its tree, parents and signature. It is
// also several times faster on the large trees of a big repository.

// EmptyTree is the id of the tree with no entries.
var EmptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// HashObject is the git object id of content of type t.
func HashObject(t plumbing.ObjectType, content []byte) plumbing.Hash {
	h := sha1.New()
	h.Write([]byte(t.String()))
	h.Write([]byte{' '})
	h.Write(strconv.AppendInt(nil, int64(len(content)), 10))
	h.Write([]byte{0})
	h.Write(content)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// TreeEntry is one entry of a raw tree: its bytes span raw[start:End], the
// object id is the last 20 bytes. Mode and Name point into the tree's
// bytes and are valid as long as those are.
type TreeEntry struct {
	Mode []byte
	Name []byte
	Hash plumbing.Hash
	End  int // offset just past the entry
}

// IsTree and IsBlob classify an entry by its mode (git writes "40000" for
// trees; blobs are regular, executable or symlink files; 160000 is a
// submodule commit, which is neither).
func (e *TreeEntry) IsTree() bool { return bytes.Equal(e.Mode, []byte("40000")) }

// IsBlob: see IsTree.
func (e *TreeEntry) IsBlob() bool {
	return len(e.Mode) == 6 && e.Mode[0] == '1' && (e.Mode[1] == '0' || e.Mode[1] == '2')
}

// NextEntry parses the tree entry at raw[off:].
func NextEntry(raw []byte, off int) (TreeEntry, error) {
	sp := bytes.IndexByte(raw[off:], ' ')
	if sp <= 0 {
		return TreeEntry{}, fmt.Errorf("malformed tree entry at offset %d", off)
	}
	nul := bytes.IndexByte(raw[off+sp+1:], 0)
	if nul <= 0 {
		return TreeEntry{}, fmt.Errorf("malformed tree entry name at offset %d", off)
	}
	hashAt := off + sp + 1 + nul + 1
	if hashAt+20 > len(raw) {
		return TreeEntry{}, fmt.Errorf("truncated tree entry at offset %d", off)
	}
	e := TreeEntry{Mode: raw[off : off+sp], Name: raw[off+sp+1 : off+sp+1+nul], End: hashAt + 20}
	copy(e.Hash[:], raw[hashAt:hashAt+20])
	return e, nil
}

// AppendEntry appends a tree entry with a new id.
func AppendEntry(dst []byte, e *TreeEntry, h plumbing.Hash) []byte {
	dst = append(dst, e.Mode...)
	dst = append(dst, ' ')
	dst = append(dst, e.Name...)
	dst = append(dst, 0)
	return append(dst, h[:]...)
}

// Commit is what a rewrite needs of a raw commit: its tree, its parents,
// and where the rest of the header begins.
type Commit struct {
	Tree    plumbing.Hash
	Parents []plumbing.Hash
	Rest    int // offset of the first header after the parent lines
}

// ParseCommit reads the tree and parent lines, which git always writes
// first and in this order.
func ParseCommit(raw []byte) (Commit, error) {
	var c Commit
	off := 0
	line := func(prefix string) (plumbing.Hash, bool, error) {
		if !bytes.HasPrefix(raw[off:], []byte(prefix)) {
			return plumbing.ZeroHash, false, nil
		}
		end := off + len(prefix) + 40
		if end >= len(raw) || raw[end] != '\n' {
			return plumbing.ZeroHash, false, fmt.Errorf("malformed %sline", prefix)
		}
		h, err := ParseHex(raw[off+len(prefix) : end])
		off = end + 1
		return h, true, err
	}
	h, ok, err := line("tree ")
	if err != nil {
		return c, err
	}
	if !ok {
		return c, fmt.Errorf("commit has no tree line")
	}
	c.Tree = h
	for {
		h, ok, err := line("parent ")
		if err != nil {
			return c, err
		}
		if !ok {
			break
		}
		c.Parents = append(c.Parents, h)
	}
	c.Rest = off
	return c, nil
}

// ParseHex reads a 40-digit hexadecimal object id, refusing anything
// else (plumbing.NewHash reads garbage as zeros).
func ParseHex(b []byte) (plumbing.Hash, error) {
	var h plumbing.Hash
	if len(b) != 40 {
		return h, fmt.Errorf("object id %q is not 40 hex digits", b)
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return h, fmt.Errorf("object id %q: %w", b, err)
	}
	return h, nil
}

// signatureHeaders are commit and tag headers that sign the object; a
// rewritten object no longer matches them, so they are dropped.
var signatureHeaders = [][]byte{[]byte("gpgsig "), []byte("gpgsig-sha256 ")}

// BuildCommit is raw with its tree and parents replaced and its signature
// headers removed; every other byte is kept.
func BuildCommit(raw []byte, c Commit, tree plumbing.Hash, parents []plumbing.Hash) []byte {
	out := make([]byte, 0, len(raw))
	out = append(out, "tree "...)
	out = append(out, tree.String()...)
	out = append(out, '\n')
	for _, p := range parents {
		out = append(out, "parent "...)
		out = append(out, p.String()...)
		out = append(out, '\n')
	}
	return append(out, stripHeaders(raw[c.Rest:])...)
}

// stripHeaders drops signature headers (and their continuation lines,
// which begin with a space) from a header block followed by a message.
func stripHeaders(b []byte) []byte {
	out := make([]byte, 0, len(b))
	skipping := false
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		line := b
		if nl >= 0 {
			line = b[:nl+1]
		}
		if len(line) == 1 && line[0] == '\n' || nl < 0 {
			return append(out, b...) // the message: kept verbatim
		}
		switch {
		case skipping && line[0] == ' ':
		case isSignatureHeader(line):
			skipping = true
		default:
			skipping = false
			out = append(out, line...)
		}
		b = b[len(line):]
	}
	return out
}

func isSignatureHeader(line []byte) bool {
	for _, p := range signatureHeaders {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// Message is the commit or tag message: what follows the first blank line.
func Message(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[i+2:]
	}
	return nil
}

// Tag is an annotated tag's target.
type Tag struct {
	Object plumbing.Hash
	Type   plumbing.ObjectType
}

// ParseTag reads a raw tag's object and type lines, which git writes
// first and in this order.
func ParseTag(raw []byte) (Tag, error) {
	var t Tag
	if !bytes.HasPrefix(raw, []byte("object ")) || len(raw) < 48 || raw[47] != '\n' {
		return t, fmt.Errorf("tag has no object line")
	}
	h, err := ParseHex(raw[7:47])
	if err != nil {
		return t, err
	}
	t.Object = h
	rest := raw[48:]
	if !bytes.HasPrefix(rest, []byte("type ")) {
		return t, fmt.Errorf("tag has no type line")
	}
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return t, fmt.Errorf("tag type line is not terminated")
	}
	typ, err := plumbing.ParseObjectType(string(rest[5:nl]))
	if err != nil {
		return t, fmt.Errorf("tag type: %w", err)
	}
	t.Type = typ
	return t, nil
}

// signatureStarts begin an inline tag signature, which git appends to the
// tag message.
var signatureStarts = [][]byte{
	[]byte("-----BEGIN PGP SIGNATURE-----"),
	[]byte("-----BEGIN SSH SIGNATURE-----"),
	[]byte("-----BEGIN SIGNED MESSAGE-----"),
}

// BuildTag is raw pointing at target, without its signature.
func BuildTag(raw []byte, target plumbing.Hash) []byte {
	out := make([]byte, 0, len(raw))
	out = append(out, "object "...)
	out = append(out, target.String()...)
	out = append(out, stripHeaders(raw[47:])...)
	hdr := bytes.Index(out, []byte("\n\n"))
	if hdr < 0 {
		return out
	}
	for _, s := range signatureStarts {
		if i := bytes.Index(out[hdr+1:], append([]byte("\n"), s...)); i >= 0 {
			return out[:hdr+1+i+1]
		}
		if bytes.HasPrefix(out[hdr+2:], s) {
			return out[:hdr+2]
		}
	}
	return out
}
