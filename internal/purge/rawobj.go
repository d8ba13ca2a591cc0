package purge

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// The rewrite works on raw object bytes rather than go-git's decoded
// object.Commit and object.Tag: decoding and re-encoding would normalise
// what it does not model (unknown headers, odd whitespace, encodings), and a
// rewrite must keep every byte of a commit but its tree, parents and
// signature. It is also several times faster on the large trees of a big
// repository.

// emptyTree is the id of the tree with no entries.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// hashObject is the git object id of content of type t.
func hashObject(t plumbing.ObjectType, content []byte) plumbing.Hash {
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

// treeEntry is one entry of a raw tree: its bytes span raw[start:end], the
// object id is the last 20 bytes.
type treeEntry struct {
	mode []byte
	name []byte
	hash plumbing.Hash
	end  int // offset just past the entry
}

// isTree and isBlob classify an entry by its mode (git writes "40000" for
// trees; blobs are regular, executable or symlink files; 160000 is a
// submodule commit, which the rewrite leaves alone).
func (e *treeEntry) isTree() bool { return bytes.Equal(e.mode, []byte("40000")) }

func (e *treeEntry) isBlob() bool {
	return len(e.mode) == 6 && e.mode[0] == '1' && (e.mode[1] == '0' || e.mode[1] == '2')
}

// nextEntry parses the tree entry at raw[off:].
func nextEntry(raw []byte, off int) (treeEntry, error) {
	sp := bytes.IndexByte(raw[off:], ' ')
	if sp <= 0 {
		return treeEntry{}, fmt.Errorf("malformed tree entry at offset %d", off)
	}
	nul := bytes.IndexByte(raw[off+sp+1:], 0)
	if nul <= 0 {
		return treeEntry{}, fmt.Errorf("malformed tree entry name at offset %d", off)
	}
	hashAt := off + sp + 1 + nul + 1
	if hashAt+20 > len(raw) {
		return treeEntry{}, fmt.Errorf("truncated tree entry at offset %d", off)
	}
	e := treeEntry{mode: raw[off : off+sp], name: raw[off+sp+1 : off+sp+1+nul], end: hashAt + 20}
	copy(e.hash[:], raw[hashAt:hashAt+20])
	return e, nil
}

// appendEntry appends a tree entry with a new id.
func appendEntry(dst []byte, e *treeEntry, h plumbing.Hash) []byte {
	dst = append(dst, e.mode...)
	dst = append(dst, ' ')
	dst = append(dst, e.name...)
	dst = append(dst, 0)
	return append(dst, h[:]...)
}

// rawCommit is what the rewrite needs of a commit: its tree, its parents,
// and where the rest of the header begins.
type rawCommit struct {
	tree    plumbing.Hash
	parents []plumbing.Hash
	rest    int // offset of the first header after the parent lines
}

// parseCommit reads the tree and parent lines, which git always writes
// first and in this order.
func parseCommit(raw []byte) (rawCommit, error) {
	var c rawCommit
	off := 0
	line := func(prefix string) (plumbing.Hash, bool, error) {
		if !bytes.HasPrefix(raw[off:], []byte(prefix)) {
			return plumbing.ZeroHash, false, nil
		}
		end := off + len(prefix) + 40
		if end >= len(raw) || raw[end] != '\n' {
			return plumbing.ZeroHash, false, fmt.Errorf("malformed %sline", prefix)
		}
		h, err := parseHex(raw[off+len(prefix) : end])
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
	c.tree = h
	for {
		h, ok, err := line("parent ")
		if err != nil {
			return c, err
		}
		if !ok {
			break
		}
		c.parents = append(c.parents, h)
	}
	c.rest = off
	return c, nil
}

func parseHex(b []byte) (plumbing.Hash, error) {
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

// buildCommit is raw with its tree and parents replaced and its signature
// headers removed; every other byte is kept.
func buildCommit(raw []byte, c rawCommit, tree plumbing.Hash, parents []plumbing.Hash) []byte {
	out := make([]byte, 0, len(raw))
	out = append(out, "tree "...)
	out = append(out, tree.String()...)
	out = append(out, '\n')
	for _, p := range parents {
		out = append(out, "parent "...)
		out = append(out, p.String()...)
		out = append(out, '\n')
	}
	return append(out, stripHeaders(raw[c.rest:])...)
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

// message is the commit or tag message: what follows the first blank line.
func message(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[i+2:]
	}
	return nil
}

// isRequestCommit reports whether the message's trailer block names a
// data-subject request (Dossier-Request: DSR-...): such a commit is the
// record that a request was carried out and is kept even when empty.
func isRequestCommit(raw []byte) bool {
	msg := bytes.TrimRight(message(raw), "\n")
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

// rawTag is an annotated tag's target.
type rawTag struct {
	object plumbing.Hash
	typ    plumbing.ObjectType
}

func parseTag(raw []byte) (rawTag, error) {
	var t rawTag
	if !bytes.HasPrefix(raw, []byte("object ")) || len(raw) < 48 || raw[47] != '\n' {
		return t, fmt.Errorf("tag has no object line")
	}
	h, err := parseHex(raw[7:47])
	if err != nil {
		return t, err
	}
	t.object = h
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
	t.typ = typ
	return t, nil
}

// signatureStarts begin an inline tag signature, which git appends to the
// tag message.
var signatureStarts = [][]byte{
	[]byte("-----BEGIN PGP SIGNATURE-----"),
	[]byte("-----BEGIN SSH SIGNATURE-----"),
	[]byte("-----BEGIN SIGNED MESSAGE-----"),
}

// buildTag is raw pointing at target, without its signature.
func buildTag(raw []byte, target plumbing.Hash) []byte {
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
