package odb

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// PackWriter streams new objects (a rewrite's trees, commits and tags)
// into one packfile as they are made, so memory holds only the latest
// version of each tree.
//
// Why a packfile and not go-git's loose objects: in a large repository the
// top trees (records/ with one entry per customer) change in every
// rewritten commit; as loose objects each would be stored whole (tens of
// gigabytes for 20,000 commits). Here each rewritten tree is stored as a
// delta against the previous rewritten tree at the same path, which differs
// only where history differed, and the index is built from offsets and ids
// already known, with no second pass over the data.
//
// Until Close renames it into objects/pack, the pack is a temporary file
// that git and go-git ignore: a crash leaves the object database as it was,
// plus the temporary file, which RemoveStale deletes.
type PackWriter struct {
	dir    string // objects/pack
	f      *os.File
	off    int64
	count  uint32
	idx    idxfile.Writer
	seen   map[plumbing.Hash]bool
	last   map[string]lastTree // the previous tree written at each path
	zbuf   bytes.Buffer
	zw     *zlib.Writer
	header [32]byte
}

type lastTree struct {
	raw   []byte
	off   int64
	depth int // length of its delta chain
}

// maxDepth bounds delta chains as git's pack.depth does: git reads a chain
// from its whole base, and "git repack" reuses only deltas within its own
// depth limit, storing whole what lies beyond.
const maxDepth = 50

// NewPackWriter starts a pack in the repository at gitDir; the caller
// ends it with Close or Abort.
func NewPackWriter(gitDir string) (*PackWriter, error) {
	dir := filepath.Join(gitDir, "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, tempPrefix+"pack_dossier_")
	if err != nil {
		return nil, err
	}
	w := &PackWriter{dir: dir, f: f, seen: map[plumbing.Hash]bool{}, last: map[string]lastTree{}}
	if w.zw, err = zlib.NewWriterLevel(&w.zbuf, zlib.BestSpeed); err != nil {
		return nil, w.Abort(err)
	}
	// Version 2; the object count is filled in by Close.
	if _, err := f.Write([]byte{'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0}); err != nil {
		return nil, w.Abort(err)
	}
	w.off = 12
	return w, nil
}

// Add writes one object whose id is h (see HashObject); path, when not
// empty, groups trees for deltas: a tree is stored as a delta against the
// previous one added at the same path. An id added before is skipped.
func (w *PackWriter) Add(t plumbing.ObjectType, h plumbing.Hash, raw []byte, path string) error {
	if w.seen[h] {
		return nil
	}
	w.seen[h] = true
	start := w.off
	typ, data, baseOff := t, raw, int64(0)
	if path != "" {
		prev, ok := w.last[path]
		depth := 0
		if ok && prev.depth < maxDepth {
			if d := treeDelta(prev.raw, raw); len(d) < len(raw)/2 {
				typ, data, baseOff, depth = plumbing.OFSDeltaObject, d, prev.off, prev.depth+1
			}
		}
		w.last[path] = lastTree{raw: append(prev.raw[:0], raw...), off: start, depth: depth}
	}
	hdr := w.header[:0]
	size := uint64(len(data))
	b := byte(typ)<<4 | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		hdr = append(hdr, b|0x80)
		b = byte(size & 0x7f)
		size >>= 7
	}
	hdr = append(hdr, b)
	if typ == plumbing.OFSDeltaObject {
		hdr = appendOffset(hdr, start-baseOff)
	}
	w.zbuf.Reset()
	w.zw.Reset(&w.zbuf)
	if _, err := w.zw.Write(data); err != nil {
		return err
	}
	if err := w.zw.Close(); err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	crc.Write(hdr)
	crc.Write(w.zbuf.Bytes())
	if _, err := w.f.Write(hdr); err != nil {
		return err
	}
	if _, err := w.f.Write(w.zbuf.Bytes()); err != nil {
		return err
	}
	w.off += int64(len(hdr) + w.zbuf.Len())
	w.count++
	w.idx.Add(h, uint64(start), crc.Sum32())
	return nil
}

// appendOffset encodes an OFS_DELTA base distance (git's offset varint).
func appendOffset(dst []byte, n int64) []byte {
	var buf [10]byte
	pos := len(buf) - 1
	buf[pos] = byte(n & 0x7f)
	for n >>= 7; n > 0; n >>= 7 {
		n--
		pos--
		buf[pos] = 0x80 | byte(n&0x7f)
	}
	return append(dst, buf[pos:]...)
}

// Close finishes the pack and its index and moves both into the object
// database, the index last (git and go-git find a pack through its index).
// It returns false when there was nothing to write.
func (w *PackWriter) Close() (bool, error) {
	if w.count == 0 {
		return false, w.Abort(nil)
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], w.count)
	if _, err := w.f.WriteAt(n[:], 8); err != nil {
		return false, w.Abort(err)
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return false, w.Abort(err)
	}
	sum := sha1.New()
	if _, err := io.Copy(sum, w.f); err != nil {
		return false, w.Abort(err)
	}
	var packHash plumbing.Hash
	copy(packHash[:], sum.Sum(nil))
	if _, err := w.f.Write(packHash[:]); err != nil {
		return false, w.Abort(err)
	}
	if err := w.f.Sync(); err != nil {
		return false, w.Abort(err)
	}
	if err := w.f.Close(); err != nil {
		return false, w.Abort(err)
	}
	if err := w.idx.OnFooter(packHash); err != nil {
		return false, w.Abort(err)
	}
	idx, err := w.idx.Index()
	if err != nil {
		return false, w.Abort(err)
	}
	tmpIdx, err := os.CreateTemp(w.dir, tempPrefix+"idx_dossier_")
	if err != nil {
		return false, w.Abort(err)
	}
	// Renamed into place on success, so there is nothing to remove then;
	// on failure the error is returned, and an index holds only object
	// ids and offsets, none of the content (RemoveStale removes it).
	defer func() { _ = os.Remove(tmpIdx.Name()) }()
	if _, err := idxfile.NewEncoder(tmpIdx).Encode(idx); err != nil {
		_ = tmpIdx.Close() // removed just after: closing it loses nothing
		return false, w.Abort(err)
	}
	if err := tmpIdx.Sync(); err != nil {
		_ = tmpIdx.Close() // removed just after: closing it loses nothing
		return false, w.Abort(err)
	}
	if err := tmpIdx.Close(); err != nil {
		return false, w.Abort(err)
	}
	base := filepath.Join(w.dir, "pack-"+packHash.String())
	if err := os.Rename(w.f.Name(), base+".pack"); err != nil {
		return false, w.Abort(err)
	}
	if err := os.Rename(tmpIdx.Name(), base+".idx"); err != nil {
		return false, err
	}
	return true, nil
}

// Abort removes the temporary pack and returns err, joined with the
// failure to remove it: the pack holds the repository's history, so one
// left behind is named to the person.
func (w *PackWriter) Abort(err error) error {
	_ = w.f.Close() // removed next: what a failed close loses is thrown away anyway
	if rerr := os.Remove(w.f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return errors.Join(err, fmt.Errorf("removing the temporary pack %s: %w", w.f.Name(), rerr))
	}
	return err
}

// treeDelta encodes tree target as a git delta against tree base: a merge
// of the two sorted entry lists, copying every run of identical entries
// from base and inserting the rest. Two versions of a tree at one path
// share all but a few entries, so this is near optimal at the cost of one
// pass over both, with no delta search. A tree that does not parse falls
// back to delta.
func treeDelta(base, target []byte) []byte {
	out := appendSize(nil, len(base))
	out = appendSize(out, len(target))
	copyOff, copyLen := 0, 0 // pending copy from base
	insStart, insEnd := 0, 0 // pending insert from target
	flushCopy := func() {
		out = appendCopy(out, copyOff, copyLen)
		copyLen = 0
	}
	flushInsert := func() {
		out = appendInsert(out, target[insStart:insEnd])
		insStart = insEnd
	}
	bi := 0
	for ti := 0; ti < len(target); {
		te, err := NextEntry(target, ti)
		if err != nil {
			return delta(base, target)
		}
		matched := false
		for bi < len(base) {
			be, err := NextEntry(base, bi)
			if err != nil {
				return delta(base, target)
			}
			c := compareNames(be.Name, be.IsTree(), te.Name, te.IsTree())
			if c < 0 {
				bi = be.End
				continue
			}
			if c == 0 && bytes.Equal(base[bi:be.End], target[ti:te.End]) {
				matched = true
				if insEnd > insStart {
					flushInsert()
				}
				if copyLen > 0 && copyOff+copyLen != bi {
					flushCopy()
				}
				if copyLen == 0 {
					copyOff = bi
				}
				copyLen += be.End - bi
				bi = be.End
			}
			break
		}
		if !matched {
			if copyLen > 0 {
				flushCopy()
			}
			if insEnd == insStart {
				insStart = ti
			}
			insEnd = te.End
		}
		ti = te.End
	}
	if copyLen > 0 {
		flushCopy()
	}
	if insEnd > insStart {
		flushInsert()
	}
	return out
}

// compareNames orders tree entries as git does: by name, a tree's name
// compared as if it ended in "/".
func compareNames(a []byte, aTree bool, b []byte, bTree bool) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	end := func(name []byte, tree bool) int {
		switch {
		case len(name) > n:
			return int(name[n])
		case tree:
			return '/'
		}
		return 0
	}
	return end(a, aTree) - end(b, bTree)
}

func appendInsert(dst, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), 127)
		dst = append(dst, byte(n))
		dst = append(dst, data[:n]...)
		data = data[n:]
	}
	return dst
}

// delta encodes target as a git delta against base: copy the common
// prefix, insert what differs, copy the common suffix. Rewritten trees
// differ from the previous version at the same path in a few entries, so
// this is near optimal and costs two comparisons instead of a delta search.
func delta(base, target []byte) []byte {
	p := 0
	for p < len(base) && p < len(target) && base[p] == target[p] {
		p++
	}
	s := 0
	for s < len(base)-p && s < len(target)-p && base[len(base)-1-s] == target[len(target)-1-s] {
		s++
	}
	out := appendSize(nil, len(base))
	out = appendSize(out, len(target))
	out = appendCopy(out, 0, p)
	out = appendInsert(out, target[p:len(target)-s])
	return appendCopy(out, len(base)-s, s)
}

func appendSize(dst []byte, n int) []byte {
	for n >= 0x80 {
		dst = append(dst, byte(n)|0x80)
		n >>= 7
	}
	return append(dst, byte(n))
}

// appendCopy emits copy instructions for base[off:off+n], in chunks of at
// most 64 KiB as git itself writes them.
func appendCopy(dst []byte, off, n int) []byte {
	for n > 0 {
		c := min(n, 0x10000)
		cmd := byte(0x80)
		at := len(dst)
		dst = append(dst, 0)
		for i := 0; i < 4; i++ {
			if b := byte(off >> (8 * i)); b != 0 {
				cmd |= 1 << i
				dst = append(dst, b)
			}
		}
		if c != 0x10000 { // a size of zero means 64 KiB
			for i := 0; i < 3; i++ {
				if b := byte(c >> (8 * i)); b != 0 {
					cmd |= 0x10 << i
					dst = append(dst, b)
				}
			}
		}
		dst[at] = cmd
		off += c
		n -= c
	}
	return dst
}

// tempPrefix begins the name of every temporary file a PackWriter makes in
// objects/pack ("tmp_", as git's own, which git's gc also cleans up).
const tempPrefix = "tmp_"

// RemoveStale deletes the temporary files a PackWriter killed mid-write
// left in the repository at gitDir. They may hold objects that a later
// rewrite removed from history (erased data), so one that cannot be
// removed is an error.
func RemoveStale(gitDir string) error {
	stale, err := filepath.Glob(filepath.Join(gitDir, "objects", "pack", tempPrefix+"*_dossier_*"))
	if err != nil {
		return fmt.Errorf("looking for temporary packs: %w", err)
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s, left by an interrupted write: %w", f, err)
		}
	}
	return nil
}
