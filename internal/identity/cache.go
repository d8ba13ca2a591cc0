package identity

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/safefile"
)

// CacheFile is where ScanCached keeps what it read, relative to the git
// directory: per blob id, the blob's kind, id and customer values and its
// data key fingerprints (or nothing, for a blob that is no record). It
// holds opaque ids and hashes only, never a personal value, and a blob's
// content never changes, so an entry stays true.
const CacheFile = "dossier/identity-cache"

// ScanCached is ScanObjects for the repository whose work tree is root,
// reading only the blobs it has not read before: an erasure then costs
// what the new objects cost, not what the whole history costs.
//
// Only erase uses it. Purge and verify-erasure read every blob afresh
// (ScanObjects): what the cache missed or was made to miss, purge finds
// and verify-erasure reports, so the cache can only make an erasure's
// ledger list shorter than the purge's, never an erasure less complete.
func ScanCached(root string, subjects []record.Subject) (*Found, error) {
	gitDir, err := GitDir(root)
	if err != nil {
		return nil, err
	}
	found := &Found{Objects: map[string][]string{}, Files: map[string][]string{}}
	if found.Alternates, err = alternates(gitDir); err != nil {
		return nil, err
	}
	path := filepath.Join(gitDir, filepath.FromSlash(CacheFile))
	cache, raw := loadCache(path)
	// Ids only: asking for the type would make git read every object's
	// header; an object read once is in the cache, whatever its type.
	out, err := gitCmd(gitDir, "cat-file", "--batch-all-objects", "--unordered", "--buffer", "--batch-check=%(objectname)").Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file --batch-all-objects in %s: %w", gitDir, err)
	}
	all := strings.Split(strings.TrimSpace(string(out)), "\n")
	var unread []string
	for _, id := range all {
		if _, ok := cache[id]; !ok && id != "" {
			unread = append(unread, id)
		}
	}
	if len(unread) > 0 {
		added, err := readObjects(gitDir, unread, cache)
		if err != nil {
			return nil, err
		}
		// The cache is an optimisation: when it cannot be written, the
		// next erasure reads these objects again.
		_ = safefile.Write(path, append(raw, added...), 0o600)
	}
	needles := customerNeedles(subjects)
	found.Blobs = len(all)
	for _, id := range all {
		rest := cache[id]
		if rest == "" || !mentions(rest, needles) {
			continue
		}
		if c, ok := parseEntry(id, rest); ok {
			found.candidates = append(found.candidates, c)
		}
	}
	found.others = linkedEntries(all, cache, found.candidates)
	if err := found.resolve(subjects, liveAtHead(gitDir)); err != nil {
		return nil, err
	}
	for k := range found.Objects {
		sort.Strings(found.Objects[k])
	}
	return found, nil
}

// linkedEntries are the cached records, among ids, that share a data key
// with a candidate or with each other, to a fixed point: the earlier
// versions of a record whose customer id changed. Only the key part of
// each entry is looked at; a match is parsed.
func linkedEntries(ids []string, cache map[string]string, candidates []candidate) []candidate {
	keys := map[string]bool{}
	taken := map[string]bool{}
	for _, c := range candidates {
		taken[c.id] = true
		for _, k := range c.keys {
			keys[k] = true
		}
	}
	var out []candidate
	for grew := len(keys) > 0; grew; {
		grew = false
		for _, id := range ids {
			rest := cache[id]
			if rest == "" || taken[id] {
				continue
			}
			i := strings.LastIndexByte(rest, '\t')
			if i < 0 || !anyKey(rest[i+1:], keys) {
				continue
			}
			taken[id] = true
			if c, ok := parseEntry(id, rest); ok {
				out = append(out, c)
				for _, k := range c.keys {
					keys[k] = true
				}
				grew = true
			}
		}
	}
	return out
}

// anyKey reports whether one of the comma-separated fingerprints in list
// is in keys.
func anyKey(list string, keys map[string]bool) bool {
	for list != "" {
		var k string
		k, list, _ = strings.Cut(list, ",")
		if keys[k] {
			return true
		}
	}
	return false
}

func mentions(s string, needles [][]byte) bool {
	for _, n := range needles {
		if strings.Contains(s, string(n)) {
			return true
		}
	}
	return false
}

// loadCache reads the cache file: a line per object, "<id>" for one that
// is no record, "<id>\t<key>=<value>&...\t<fingerprint>,..." for a record.
// A damaged line (a write cut short) is skipped: its object is read again.
// Entries are parsed only when a subject's customer id is in them.
func loadCache(path string) (map[string]string, []byte) {
	cache := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return cache, nil
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return cache, nil
	}
	data = data[:end+1]
	for _, line := range strings.Split(string(data[:end]), "\n") {
		id, rest, _ := strings.Cut(line, "\t")
		if len(id) == 40 || len(id) == 64 {
			cache[id] = rest
		}
	}
	return cache, data
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

// readObjects reads ids through git cat-file, adds them to cache and
// returns their cache lines.
func readObjects(gitDir string, ids []string, cache map[string]string) ([]byte, error) {
	cmd := gitCmd(gitDir, "cat-file", "--buffer", "--batch")
	cmd.Stdin = strings.NewReader(strings.Join(ids, "\n") + "\n")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	var lines bytes.Buffer
	readErr := readBatch(bufio.NewReaderSize(stdout, 256<<10), func(id, typ string, data []byte) {
		rest := ""
		if typ == "blob" {
			if f := Read(data); len(f) > 0 {
				rest = url.Values(f).Encode() + "\t" + strings.Join(dataKeys(data), ",")
			}
		}
		cache[id] = rest
		lines.WriteString(id)
		if rest != "" {
			lines.WriteString("\t" + rest)
		}
		lines.WriteByte('\n')
	})
	if readErr != nil {
		// Abandoned after readErr, which is reported: a failed kill (git
		// already ended) changes nothing.
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	switch {
	case readErr != nil:
		return nil, fmt.Errorf("scanning %s by identity: %w", gitDir, readErr)
	case waitErr != nil:
		return nil, fmt.Errorf("git cat-file --batch in %s: %v: %s", gitDir, waitErr, strings.TrimSpace(errb.String()))
	}
	return lines.Bytes(), nil
}
