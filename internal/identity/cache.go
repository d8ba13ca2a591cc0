package identity

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vts/dossier/internal/parallel"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/safefile"
)

// CacheDir is where ScanCached keeps what it read, relative to the git
// directory: one file per pack, named for the pack's content, and one for
// the loose objects. They hold opaque ids and hashes only (a record blob's
// kind, id and customer values and its data key fingerprints), never a
// personal value, and are private to the repository's owner (0600).
const CacheDir = "dossier/identity"

// oldCacheFile is the single cache file of earlier versions, which grew
// with every object and was read whole by every erasure; it is removed.
const oldCacheFile = "dossier/identity-cache"

// ScanCached is ScanObjects for the repository whose work tree is root,
// at a cost that follows what is new and the subjects' own records, not
// the size of the repository.
//
// git keeps objects in packs, which never change once written (a repack
// writes a new pack), and as loose files. What a pack's blobs say (their
// kind, id, customer and data keys) is read once and kept in a file named
// for the pack's checksum, sorted so that a lookup by customer id or data
// key reads a few blocks of it; a changed, new or repacked pack has a new
// checksum and is read afresh, and the file of a pack that is gone is
// removed. Loose objects are few (a gc packs them) and are cached by id:
// a blob's content never changes. So a stale answer cannot come out of the
// cache; an object git holds in a place this scan does not know (see
// objectDirs) makes it read every blob instead.
//
// Only erase (and backup, for the objects a mirror may keep) use it. Purge
// and verify-erasure read every blob afresh (ScanObjects): what the cache
// missed or was made to miss, purge finds and verify-erasure reports, so
// the cache can only make an erasure's ledger list shorter than the
// purge's, never an erasure less complete.
func ScanCached(root string, subjects []record.Subject) (*Found, error) {
	gitDir, err := GitDir(root)
	if err != nil {
		return nil, err
	}
	found := &Found{Objects: map[string][]string{}, Files: map[string][]string{}}
	if found.Alternates, err = alternates(gitDir); err != nil {
		return nil, err
	}
	dirs, listed, err := objectDirs(gitDir)
	if err != nil {
		return nil, err
	}
	if !listed {
		return ScanObjects(gitDir, subjects)
	}
	cacheDir := filepath.Join(gitDir, filepath.FromSlash(CacheDir))
	// Kept readable by the owner only: the ids say who is a customer.
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return ScanObjects(gitDir, subjects) // a cache is an optimisation
	}
	// The old cache is superseded; a failed removal only leaves a file
	// that nothing reads.
	_ = os.Remove(filepath.Join(gitDir, filepath.FromSlash(oldCacheFile)))
	var idx []index
	defer func() {
		for _, i := range idx {
			_ = i.Close() // read only
		}
	}()
	keep := map[string]bool{}
	known := &knownEntries{dir: cacheDir}
	var loose []string
	for _, d := range dirs {
		packs, err := packIndexes(d)
		if err != nil {
			return nil, err
		}
		for _, p := range packs {
			name, n, err := packCacheName(p)
			if errors.Is(err, errUnreadPack) {
				return ScanObjects(gitDir, subjects)
			}
			if err != nil {
				return nil, err
			}
			keep[name] = true
			pi, err := openPackCache(gitDir, p, filepath.Join(cacheDir, name), known)
			if errors.Is(err, errUnreadPack) || errors.Is(err, errUnwritable) {
				return ScanObjects(gitDir, subjects)
			}
			if err != nil {
				return nil, err
			}
			idx = append(idx, pi)
			found.Blobs += n
		}
		ids, err := looseIDs(d)
		if err != nil {
			return nil, err
		}
		loose = append(loose, ids...)
	}
	li, err := openLooseCache(gitDir, filepath.Join(cacheDir, looseCache), loose)
	if err != nil {
		return nil, err
	}
	idx = append(idx, li)
	found.Blobs += len(li.objects)
	removeStale(cacheDir, keep)

	if err := lookup(idx, subjects, found); errors.Is(err, errDamaged) {
		// A cache file that does not read as written is removed and the
		// objects read afresh.
		for name := range keep {
			_ = os.Remove(filepath.Join(cacheDir, name)) // remade on the next scan
		}
		return ScanObjects(gitDir, subjects)
	} else if err != nil {
		return nil, err
	}
	if err := found.resolve(subjects, liveAtHead(gitDir)); err != nil {
		return nil, err
	}
	for k := range found.Objects {
		sort.Strings(found.Objects[k])
	}
	return found, nil
}

// lookup fills found's candidates (the records whose id or customer is a
// subject's customer id) and others (the records that share a data key
// with them, to a fixed point) from the indexes.
func lookup(idx []index, subjects []record.Subject, found *Found) error {
	taken := map[string]bool{}
	var keys []string
	add := func(kind byte, value string, to *[]candidate) error {
		for _, ix := range idx {
			ids, err := ix.ids(kind, value)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if taken[id] {
					continue
				}
				taken[id] = true
				rest, ok, err := ix.entry(id)
				if err != nil {
					return err
				}
				if !ok {
					return errDamaged
				}
				c, ok := parseEntry(id, rest)
				if !ok {
					return errDamaged
				}
				*to = append(*to, c)
				keys = append(keys, c.keys...)
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for _, s := range subjects {
		if seen[s.Customer] {
			continue
		}
		seen[s.Customer] = true
		if err := add('c', s.Customer, &found.candidates); err != nil {
			return err
		}
	}
	seenKey := map[string]bool{}
	for len(keys) > 0 {
		k := keys[len(keys)-1]
		keys = keys[:len(keys)-1]
		if seenKey[k] {
			continue
		}
		seenKey[k] = true
		if err := add('k', k, &found.others); err != nil {
			return err
		}
	}
	return nil
}

// index answers, for one store of objects, which record blobs name a
// value (kind 'c': as their id or customer) or carry a data key (kind
// 'k'), and what a record blob's entry is ("<fields>\t<keys>").
type index interface {
	ids(kind byte, value string) ([]string, error)
	entry(id string) (rest string, ok bool, err error)
	Close() error
}

// objectDirs are the object directories git reads for gitDir: its own and
// those it borrows from (objects/info/alternates, followed as git follows
// them, and GIT_ALTERNATE_OBJECT_DIRECTORIES). known is false when git may
// read objects from somewhere else (GIT_OBJECT_DIRECTORY, alternates
// nested deeper than git follows): the caller then reads every object.
func objectDirs(gitDir string) (dirs []string, known bool, err error) {
	if os.Getenv("GIT_OBJECT_DIRECTORY") != "" {
		return nil, false, nil
	}
	seen := map[string]bool{}
	var walk func(dir string, depth int) (bool, error)
	walk = func(dir string, depth int) (bool, error) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return false, err
		}
		if seen[abs] {
			return true, nil
		}
		if depth > 5 {
			return false, nil
		}
		seen[abs] = true
		dirs = append(dirs, abs)
		data, err := os.ReadFile(filepath.Join(abs, "info", "alternates"))
		if errors.Is(err, os.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			if strings.HasPrefix(l, "\"") {
				return false, nil // a quoted path: git's C-style quoting
			}
			if !filepath.IsAbs(l) {
				l = filepath.Join(abs, l)
			}
			if ok, err := walk(l, depth+1); !ok || err != nil {
				return ok, err
			}
		}
		return true, nil
	}
	if ok, err := walk(filepath.Join(gitDir, "objects"), 0); !ok || err != nil {
		return nil, ok, err
	}
	for _, d := range filepath.SplitList(os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) {
		if d == "" {
			continue
		}
		if ok, err := walk(d, 1); !ok || err != nil {
			return nil, ok, err
		}
	}
	return dirs, true, nil
}

// packIndexes are the pack indexes of an object directory whose pack is
// there too: git reads a pack only through its index.
func packIndexes(objDir string) ([]string, error) {
	idx, err := filepath.Glob(filepath.Join(objDir, "pack", "pack-*.idx"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range idx {
		if _, err := os.Stat(strings.TrimSuffix(p, ".idx") + ".pack"); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// packCacheName names the cache of the pack whose index is idxPath by the
// pack's content: the tail of a version 2 index holds the pack's checksum
// and the index's own, which git checks against the pack and which change
// with any object in it. n is the number of objects the pack holds.
func packCacheName(idxPath string) (name string, n int, err error) {
	f, err := os.Open(idxPath)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read only
	info, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	const head = 8 + 256*4
	const tail = 2 * 32 // two checksums, SHA-256 at most
	if info.Size() < head+tail {
		return "", 0, fmt.Errorf("%s: not a pack index (too short)", idxPath)
	}
	hb := make([]byte, head)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", idxPath, err)
	}
	if !bytes.Equal(hb[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(hb[4:8]) != 2 {
		// An index git no longer writes (version 1): git can read it;
		// the scan reads every blob rather than guess.
		return "", 0, errUnreadPack
	}
	tb := make([]byte, tail)
	if _, err := f.ReadAt(tb, info.Size()-tail); err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", idxPath, err)
	}
	h := sha256.New()
	h.Write(tb)
	fmt.Fprintf(h, "\x00%d\x00%s", info.Size(), filepath.Base(idxPath))
	return "pack-" + hex.EncodeToString(h.Sum(nil)[:20]), int(binary.BigEndian.Uint32(hb[head-4:])), nil
}

// packHeader opens every pack cache file: its version and the number of
// lines after it. It sorts before every other line.
const packHeader = "!dossier identity 1 "

// errUnreadPack is a pack this cache cannot stand for: its index is of a
// version it does not know, or its objects could not all be read while
// its cache was made (removed by a concurrent gc), and no cache was
// written. The scan then reads every blob.
var errUnreadPack = errors.New("a pack's objects could not all be read")

// errUnwritable is a cache that could not be written (a read-only git
// directory, a full disk): the scan reads every blob instead, as it would
// without a cache.
var errUnwritable = errors.New("the identity cache cannot be written")

// packIndex is the cache of one pack: sorted lines "c <value>\t<id>" per
// id or customer value of a record blob, "k <fingerprint>\t<id>" per data
// key and "o <id>\t<fields>\t<keys>" per record blob.
type packIndex struct{ *sortedFile }

func openPackCache(gitDir, idxPath, path string, known *knownEntries) (*packIndex, error) {
	sf, err := openSorted(path)
	if err == nil {
		first, ok, ferr := sf.first("!")
		if ferr == nil && ok && strings.HasPrefix("!"+first, packHeader) {
			return &packIndex{sf}, nil
		}
		_ = sf.Close() // read only; the file is made again below
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := writePackCache(gitDir, idxPath, path, known); err != nil {
		return nil, err
	}
	sf, err = openSorted(path)
	if err != nil {
		return nil, err
	}
	return &packIndex{sf}, nil
}

// knownEntries are the record entries already in the cache files (of
// packs that may be gone, and of loose objects), by blob id: a repack
// moves objects into a new pack, whose cache then needs to read only the
// objects that no cache knew. A blob's content never changes, so what a
// cache says of one id holds wherever the blob is now. Read once, when a
// pack's cache is first made.
type knownEntries struct {
	dir     string
	entries map[string]string // blob id -> "<fields>\t<keys>"
}

func (k *knownEntries) load() map[string]string {
	if k.entries != nil {
		return k.entries
	}
	k.entries = map[string]string{}
	files, _ := filepath.Glob(filepath.Join(k.dir, "pack-*")) // the pattern is valid
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(data, []byte(packHeader)) {
			continue // unreadable or not ours: its objects are read afresh
		}
		for _, line := range strings.Split(string(data), "\n") {
			rest, ok := strings.CutPrefix(line, "o ")
			if !ok {
				continue
			}
			if id, entry, ok := strings.Cut(rest, "\t"); ok {
				if _, ok := parseEntry(id, entry); ok {
					k.entries[id] = entry
				}
			}
		}
	}
	for id, rest := range loadCache(filepath.Join(k.dir, looseCache)) {
		if _, ok := parseEntry(id, rest); ok {
			k.entries[id] = rest
		}
	}
	return k.entries
}

// writePackCache reads the blobs of one pack that no cache knows and
// writes the pack's cache.
func writePackCache(gitDir, idxPath, path string, known *knownEntries) error {
	f, err := os.Open(idxPath)
	if err != nil {
		return err
	}
	listing, err := gitAt(gitDir).RunInput(f, "show-index")
	_ = f.Close() // read only
	if err != nil {
		return fmt.Errorf("listing %s: %w", filepath.Base(idxPath), err)
	}
	var lines []string
	entries := known.load()
	// Asked for in the order they lie in the pack (show-index lists them
	// by id): git then finds a delta's base in its cache more often.
	type object struct {
		offset uint64
		id     string
	}
	var unknown []object
	for _, l := range strings.Split(string(listing), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		if rest, ok := entries[f[1]]; ok {
			c, _ := parseEntry(f[1], rest) // parsed when loaded
			lines = appendCacheLines(lines, c.id, c.f, c.keys)
			continue
		}
		off, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return fmt.Errorf("listing %s: unexpected line from git show-index", filepath.Base(idxPath))
		}
		unknown = append(unknown, object{off, f[1]})
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].offset < unknown[j].offset })
	// The pack is read in as many stretches as there are cores, each by a
	// git of its own and parsed as it streams: reading a pack of 50,000
	// records is git inflating 100 MB, one core's work for seconds. A
	// stretch is a run of neighbours in the pack, so a delta's base is
	// mostly in the same stretch. A small pack (a push's) is one stretch.
	parts := max(1, packReaders(len(unknown)))
	type stretch struct {
		ids   []string
		lines []string
	}
	stretches := make([]*stretch, parts)
	for i := range stretches {
		stretches[i] = &stretch{}
		for _, o := range unknown[i*len(unknown)/parts : (i+1)*len(unknown)/parts] {
			stretches[i].ids = append(stretches[i].ids, o.id)
		}
	}
	errs := parallel.Each(parts, stretches, func(st *stretch) error {
		if len(st.ids) == 0 {
			return nil
		}
		read, err := catBatch(gitDir, st.ids, func(id, typ string, data []byte) {
			if typ != "blob" {
				return
			}
			if f := Read(data); len(f) > 0 {
				st.lines = appendCacheLines(st.lines, id, f, dataKeys(data))
			}
		})
		if err == nil && read != len(st.ids) {
			return errUnreadPack // an object went missing while it was read
		}
		return err
	})
	for _, err := range errs {
		if errors.Is(err, errUnreadPack) {
			return errUnreadPack
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("reading %s: %w", filepath.Base(idxPath), errs[0])
	}
	for _, st := range stretches {
		lines = append(lines, st.lines...)
	}
	sort.Strings(lines)
	var b bytes.Buffer
	b.WriteString(packHeader + strconv.Itoa(len(lines)) + "\n")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := safefile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("%w: %v", errUnwritable, err)
	}
	return nil
}

// packReaders is how many gits read a pack of n objects no cache knows:
// one per core from 2,000 objects; below, starting another process costs
// more than it saves. A variable so that a test can read a small pack in
// stretches.
var packReaders = func(n int) int {
	if n < 2000 {
		return 1
	}
	return parallel.Workers(0)
}

// appendCacheLines adds a record blob's lines to a pack cache's: its
// entry, and one line per value it can be found by.
func appendCacheLines(lines []string, id string, f Fields, keys []string) []string {
	lines = append(lines, "o "+id+"\t"+url.Values(f).Encode()+"\t"+strings.Join(keys, ","))
	values := map[string]bool{}
	for _, v := range append(append([]string(nil), f["id"]...), f["customer"]...) {
		if !values[v] {
			values[v] = true
			lines = append(lines, "c "+v+"\t"+id)
		}
	}
	for _, k := range uniq(keys) {
		lines = append(lines, "k "+k+"\t"+id)
	}
	return lines
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (p *packIndex) ids(kind byte, value string) ([]string, error) {
	var out []string
	err := p.prefixed(string(kind)+" "+value+"\t", func(rest []byte) error {
		out = append(out, string(rest))
		return nil
	})
	return out, err
}

func (p *packIndex) entry(id string) (string, bool, error) {
	return p.first("o " + id + "\t")
}

// looseCache is the cache of loose objects in CacheDir: a line per
// object, "<id>" for one that is no record, "<id>\t<fields>\t<keys>" for
// a record. Only objects loose at the last scan are kept in it.
const looseCache = "loose"

// looseIndex is the loose objects' cache, held in memory: there are few.
type looseIndex struct {
	objects []string          // every loose object, once
	entries map[string]string // record id -> "<fields>\t<keys>"
	by      map[string][]string
}

func (l *looseIndex) ids(kind byte, value string) ([]string, error) {
	return l.by[string(kind)+" "+value], nil
}

func (l *looseIndex) entry(id string) (string, bool, error) {
	rest, ok := l.entries[id]
	return rest, ok, nil
}

func (l *looseIndex) Close() error { return nil }

// openLooseCache reads the loose objects' cache, reads the loose objects
// it does not hold yet and writes it back holding exactly ids.
func openLooseCache(gitDir, path string, ids []string) (*looseIndex, error) {
	ids = uniq(ids) // the same object loose here and in a borrowed directory
	cache := loadCache(path)
	var unread []string
	for _, id := range ids {
		if _, ok := cache[id]; !ok {
			unread = append(unread, id)
		}
	}
	if len(unread) > 0 {
		if err := readObjects(gitDir, unread, cache); err != nil {
			return nil, err
		}
	}
	l := &looseIndex{objects: ids, entries: map[string]string{}, by: map[string][]string{}}
	var b bytes.Buffer
	for _, id := range ids {
		rest, ok := cache[id]
		if !ok {
			continue // gone between the listing and the read
		}
		b.WriteString(id)
		if rest != "" {
			b.WriteString("\t" + rest)
		}
		b.WriteByte('\n')
		c, ok := parseEntry(id, rest)
		if rest == "" || !ok {
			continue
		}
		l.entries[id] = rest
		values := map[string]bool{}
		for _, v := range append(append([]string(nil), c.f["id"]...), c.f["customer"]...) {
			if !values[v] {
				values[v] = true
				l.by["c "+v] = append(l.by["c "+v], id)
			}
		}
		for _, k := range uniq(c.keys) {
			l.by["k "+k] = append(l.by["k "+k], id)
		}
	}
	if len(unread) > 0 || len(cache) != len(ids) {
		// The cache is an optimisation: when it cannot be written, the
		// next scan reads these objects again.
		_ = safefile.Write(path, b.Bytes(), 0o600)
	}
	return l, nil
}

// looseIDs lists the loose objects of an object directory.
func looseIDs(objDir string) ([]string, error) {
	var out []string
	for i := 0; i < 256; i++ {
		sub := fmt.Sprintf("%02x", i)
		entries, err := os.ReadDir(filepath.Join(objDir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if id := sub + e.Name(); isHex(id) && (len(id) == 40 || len(id) == 64) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// removeStale removes the cache files of packs that are gone.
func removeStale(cacheDir string, keep map[string]bool) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "pack-") && !keep[n] {
			_ = os.Remove(filepath.Join(cacheDir, n)) // a leftover is removed by the next scan
		}
	}
}

// isCacheFile reports whether rel (slash-separated, relative to the git
// directory) is one of ScanCached's files, which hold ids and hashes only.
func isCacheFile(rel string) bool {
	dir, name := filepath.ToSlash(filepath.Dir(rel)), filepath.Base(rel)
	if dir != CacheDir {
		return false
	}
	if name == looseCache {
		return true
	}
	h, ok := strings.CutPrefix(name, "pack-")
	return ok && len(h) == 40 && isHex(h)
}

// loadCache reads the loose objects' cache. A damaged line (a write cut
// short) is skipped: its object is read again.
func loadCache(path string) map[string]string {
	cache := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return cache
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return cache
	}
	for _, line := range strings.Split(string(data[:end]), "\n") {
		id, rest, _ := strings.Cut(line, "\t")
		if (len(id) == 40 || len(id) == 64) && isHex(id) {
			cache[id] = rest
		}
	}
	return cache
}

// parseEntry reads a cache entry's fields and fingerprints.
func parseEntry(id, rest string) (candidate, bool) {
	fields, keys, _ := strings.Cut(rest, "\t")
	q, err := url.ParseQuery(fields)
	if err != nil || len(q) == 0 {
		return candidate{}, false
	}
	c := candidate{id: id, f: Fields(q)}
	if keys != "" {
		c.keys = strings.Split(keys, ",")
	}
	return c, true
}

// readObjects reads ids through git cat-file and adds them to cache.
func readObjects(gitDir string, ids []string, cache map[string]string) error {
	_, err := catBatch(gitDir, ids, func(id, typ string, data []byte) {
		rest := ""
		if typ == "blob" {
			if f := Read(data); len(f) > 0 {
				rest = url.Values(f).Encode() + "\t" + strings.Join(dataKeys(data), ",")
			}
		}
		cache[id] = rest
	})
	return err
}

// catBatch reads the objects ids through one git cat-file --batch and
// calls fn with each (data only valid during the call). It returns how
// many objects git sent: one missing (removed by a gc meanwhile) is
// skipped, and a caller that must have read them all compares.
func catBatch(gitDir string, ids []string, fn func(id, typ string, data []byte)) (int, error) {
	cmd := gitAt(gitDir).Command("cat-file", "--buffer", "--batch")
	cmd.Stdin = strings.NewReader(strings.Join(ids, "\n") + "\n")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	widenPipe(stdout)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting git cat-file: %w", err)
	}
	n := 0
	readErr := readBatch(bufio.NewReaderSize(stdout, 1<<20), func(id, typ string, data []byte) {
		n++
		fn(id, typ, data)
	})
	if readErr != nil {
		// Abandoned after readErr, which is reported: a failed kill (git
		// already ended) changes nothing.
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	switch {
	case readErr != nil:
		return 0, fmt.Errorf("scanning %s by identity: %w", gitDir, readErr)
	case waitErr != nil:
		return 0, fmt.Errorf("git cat-file --batch in %s: %v: %s", gitDir, waitErr, strings.TrimSpace(errb.String()))
	}
	return n, nil
}
