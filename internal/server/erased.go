package server

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/safefile"
)

// erasedSet is what the server's own ledger says must never come back:
// the object ids of every erasure, and the records of erased subjects.
type erasedSet struct {
	// ids are the erased object ids, sorted; req[i] indexes reqs, the
	// request that erased ids[i]. A sorted list rather than a map: it is
	// read from the cache in one piece, and a push asks about few ids.
	ids       []plumbing.Hash
	req       []int32
	reqs      []string
	customers map[string]string // customer id -> request id
	records   map[string]string // record path -> request id
	kept      map[string]bool   // record paths retained under a legal obligation
}

// object returns the request that erased h, or "".
func (e *erasedSet) object(h plumbing.Hash) string {
	i := sort.Search(len(e.ids), func(i int) bool { return bytes.Compare(e.ids[i][:], h[:]) >= 0 })
	if i < len(e.ids) && e.ids[i] == h {
		return e.reqs[e.req[i]]
	}
	return ""
}

// record returns the request that erased the subject of the record at
// rel, or "".
func (e *erasedSet) record(rel string) string {
	if e.kept[rel] {
		return ""
	}
	if id := e.records[rel]; id != "" {
		return id
	}
	p, err := record.Parse(rel)
	if err != nil {
		return ""
	}
	return e.customers[p.Customer]
}

// erasedCache is the file, in the server's git directory (outside the
// repository, where no push writes), that keeps the erased set of one
// ledger tree: a ledger of 1,000 erasures is read once per change of the
// ledger, not on every push.
const erasedCache = "dossier-erased.cache"

// cachedSet is erasedSet as the cache file holds it.
type cachedSet struct {
	Ledger    string // the ledger tree id the set was read from
	IDs       []byte // the sorted object ids, 20 bytes each
	Req       []int32
	Reqs      []string
	Customers map[string]string
	Records   map[string]string
	Kept      map[string]bool
}

// loadErased reads the erased set of the ledger in tree: from the cache
// when it was made from the same ledger tree, else from the ledger files
// (one batch read), writing the cache for the next push. A cache that
// cannot be read or written only costs time.
func loadErased(s *server, tree *object.Tree) (*erasedSet, error) {
	empty := &erasedSet{customers: map[string]string{}, records: map[string]string{}, kept: map[string]bool{}}
	dir, err := repo.Subtree(tree, ledger.Dir)
	if err != nil {
		// Fail closed: an erased set read as empty would let every erased
		// person's records back in.
		return nil, fmt.Errorf("reading the server's %s/: %w", ledger.Dir, err)
	}
	if dir == nil {
		return empty, nil // no request yet
	}
	cacheFile := ""
	if s.gitDir != "" {
		cacheFile = filepath.Join(s.gitDir, erasedCache)
		if e := readErasedCache(cacheFile, dir.Hash); e != nil {
			return e, nil
		}
	}
	e, err := readErased(s, dir)
	if err != nil {
		return nil, err
	}
	if cacheFile != "" {
		writeErasedCache(cacheFile, dir.Hash, e)
	}
	return e, nil
}

func readErasedCache(file string, ledgerTree plumbing.Hash) *erasedSet {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var c cachedSet
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil || c.Ledger != ledgerTree.String() {
		return nil
	}
	n := len(c.IDs) / 20
	if len(c.IDs)%20 != 0 || len(c.Req) != n {
		return nil
	}
	e := &erasedSet{ids: make([]plumbing.Hash, n), req: c.Req, reqs: c.Reqs, customers: c.Customers, records: c.Records, kept: c.Kept}
	for i := range e.ids {
		copy(e.ids[i][:], c.IDs[i*20:])
	}
	for _, r := range c.Req {
		if r < 0 || int(r) >= len(c.Reqs) {
			return nil
		}
	}
	if e.customers == nil {
		e.customers = map[string]string{}
	}
	if e.records == nil {
		e.records = map[string]string{}
	}
	if e.kept == nil {
		e.kept = map[string]bool{}
	}
	return e
}

func writeErasedCache(file string, ledgerTree plumbing.Hash, e *erasedSet) {
	c := cachedSet{Ledger: ledgerTree.String(), IDs: make([]byte, 0, 20*len(e.ids)), Req: e.req, Reqs: e.reqs, Customers: e.customers, Records: e.records, Kept: e.kept}
	for _, h := range e.ids {
		c.IDs = append(c.IDs, h[:]...)
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&c); err != nil {
		return
	}
	_ = safefile.Write(file, b.Bytes(), 0o644) // a cache: failing to write it only costs the next push time
}

// readErased reads every ledger file of dir.
func readErased(s *server, dir *object.Tree) (*erasedSet, error) {
	e := &erasedSet{customers: map[string]string{}, records: map[string]string{}, kept: map[string]bool{}}
	objects := map[plumbing.Hash]string{}
	var blobs []plumbing.Hash
	for _, en := range dir.Entries {
		if en.Mode.IsFile() && strings.HasSuffix(en.Name, ".yaml") {
			blobs = append(blobs, en.Hash)
		}
	}
	add := func(data []byte) {
		r, err := ledger.ReadErasure(data)
		if err != nil || (r.Type != ledger.Erasure && r.Type != ledger.Retention) {
			return
		}
		for _, o := range r.ErasedObjects {
			if len(o) == 40 && isHash(o) {
				objects[plumbing.NewHash(o)] = r.ID
			}
		}
		if r.Status != ledger.Done && len(r.ErasedObjects) == 0 {
			return // not carried out yet: the subject's records still live
		}
		for _, k := range r.KeptPaths {
			e.kept[k] = true
		}
		for _, p := range r.ErasedPaths {
			e.records[p] = r.ID
		}
		if subj, err := record.ParseSubject(r.Subject); err == nil && r.Type == ledger.Erasure {
			if subj.User == "" {
				e.customers[subj.Customer] = r.ID
			} else {
				e.records[record.For(subj.Customer, "user", subj.User)] = r.ID
			}
		}
	}
	var readErr error
	err := s.objects.ReadEach(blobs, func(_ int, data []byte, err error) {
		if err != nil {
			readErr = err
			return
		}
		add(data)
	})
	if err == nil {
		err = readErr
	}
	if err != nil {
		return nil, fmt.Errorf("reading the server's ledger: %w", err)
	}
	index := map[string]int32{}
	e.ids = make([]plumbing.Hash, 0, len(objects))
	for h := range objects {
		e.ids = append(e.ids, h)
	}
	sort.Slice(e.ids, func(i, j int) bool { return bytes.Compare(e.ids[i][:], e.ids[j][:]) < 0 })
	e.req = make([]int32, len(e.ids))
	for i, h := range e.ids {
		id := objects[h]
		k, ok := index[id]
		if !ok {
			k = int32(len(e.reqs))
			index[id] = k
			e.reqs = append(e.reqs, id)
		}
		e.req[i] = k
	}
	return e, nil
}
