// Package identity finds a data subject's records by who they are, not by
// where they are: every blob whose readable fields (kind, id, customer;
// SOPS leaves them in clear) name the subject, whatever path it had, on
// any branch or none, loose or in any pack, and every file git keeps
// beside its object database that holds a copy of record content.
//
// An erasure that follows paths misses a record that was renumbered
// with "git mv", edited on a side branch, amended away or left behind by
// a deleted branch; git's own caches (textconv notes, rerere, lost-found)
// keep more copies. The scan needs no key, so erase, purge, backup and
// verify-erasure all ask the same question and get the same answer.
package identity

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
)

// Found is what a scan found for each subject (by Subject.String()).
type Found struct {
	// Objects are the blob ids, sorted, of every record version that
	// identifies the subject.
	Objects map[string][]string
	// Files are files outside the object database (relative to the git
	// directory, slash-separated) that hold a copy of the subject's record
	// content: rerere's pre- and postimages, lost-found, a rebase's patch.
	Files map[string][]string
	// Alternates are object directories this repository borrows objects
	// from (objects/info/alternates): the scan read them, but a purge here
	// cannot delete what they hold.
	Alternates []string
	Blobs      int // blobs read

	candidates []candidate // blobs read that name a subject's customer
	others     []candidate // other SOPS files: linked to a subject by data key only
}

// Identifies reports whether fields read from a record name subject s: for
// a customer, its own record (kind customer, id c-X) and every record with
// customer c-X; for a user, the user record (kind user, id u-X, customer
// c-X). References to a user from other records are not identity: they
// are opaque ids, cleared by the erasure rather than erased.
func Identifies(f Fields, s record.Subject) bool {
	if s.User != "" {
		return f.has("kind", "user") && f.has("id", s.User) && f.has("customer", s.Customer)
	}
	return f.has("customer", s.Customer) || (f.has("kind", "customer") && f.has("id", s.Customer))
}

// Fields are the values of the top-level kind, id and customer keys found
// in a text. A text may hold several records (a patch, a conflicted file),
// so each key keeps every value seen.
type Fields map[string][]string

func (f Fields) has(key, value string) bool {
	for _, v := range f[key] {
		if v == value {
			return true
		}
	}
	return false
}

var keys = [][]byte{[]byte("kind:"), []byte("id:"), []byte("customer:")}

// Read collects the top-level kind, id and customer values of data. A key
// counts at the start of a line, or after one diff marker ('+', '-', ' '),
// so that the same record is recognised in a blob, a patch and a rerere
// image. Values may be quoted and followed by a comment.
func Read(data []byte) Fields {
	var f Fields
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			continue
		}
		switch line[0] {
		case '+', '-', ' ':
			line = line[1:]
		}
		if len(line) == 0 || (line[0] != 'k' && line[0] != 'i' && line[0] != 'c') {
			continue
		}
		for _, k := range keys {
			if !bytes.HasPrefix(line, k) {
				continue
			}
			v := scalar(line[len(k):])
			if !opaque(v) {
				break // not an id or a kind: it cannot name a subject
			}
			if f == nil {
				f = Fields{}
			}
			name := string(k[:len(k)-1])
			f[name] = append(f[name], v)
			break
		}
	}
	return f
}

// opaque reports whether v can be a kind or an id (c-0042, u-0017): lower
// case letters, optionally a dash and digits. Only such values are kept,
// so that what a scan remembers (its cache) never holds a personal value.
func opaque(v string) bool {
	if v == "" || len(v) > 32 {
		return false
	}
	i := 0
	for i < len(v) && v[i] >= 'a' && v[i] <= 'z' {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(v) {
		return true
	}
	if v[i] != '-' || i+1 == len(v) {
		return false
	}
	for _, c := range v[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// scalar is a plain or quoted YAML scalar after a key's colon, without a
// trailing comment; "" for anything else (a block, a flow collection).
func scalar(b []byte) string {
	s := strings.TrimRight(string(b), " \t\r")
	if s == "" || (s[0] != ' ' && s[0] != '\t') {
		return ""
	}
	s = strings.TrimLeft(s, " \t")
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimRight(s[:i], " \t")
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	return s
}

// Scan reads the object database of the repository at gitDir (a .git
// directory or a bare repository) and the files beside it, and returns
// what identifies each subject.
func Scan(gitDir string, subjects []record.Subject) (*Found, error) {
	found, err := ScanObjects(gitDir, subjects)
	if err != nil {
		return nil, err
	}
	if err := scanFiles(gitDir, subjects, found); err != nil {
		return nil, err
	}
	return found, nil
}

// ScanObjects is Scan without the files beside the object database.
//
// It is one streaming pass: "git cat-file --batch-all-objects" lists every
// object git can read (loose, every pack whatever .keep or .promisor marks
// it, and alternates; reachable or not), and the blobs among them go
// straight into a second cat-file that sends their content. Most blobs
// are skipped after one substring search for the subjects' customer ids,
// which every identifying record must contain.
func ScanObjects(gitDir string, subjects []record.Subject) (*Found, error) {
	found := &Found{Objects: map[string][]string{}, Files: map[string][]string{}}
	alt, err := alternates(gitDir)
	if err != nil {
		return nil, err
	}
	found.Alternates = alt
	if len(subjects) == 0 {
		return found, nil
	}
	_, err = readBlobs(gitDir, nil, []string{"--batch-all-objects", "--unordered"}, func(r *bufio.Reader) error {
		return parseBatch(r, subjects, found)
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s by identity: %w", gitDir, err)
	}
	if err := found.resolve(subjects, liveAtHead(gitDir)); err != nil {
		return nil, err
	}
	for k := range found.Objects {
		sort.Strings(found.Objects[k])
	}
	return found, nil
}

// gitAt runs git on gitDir. repo.Git ignores replace refs, which would
// make git answer for one object with another's content; the environment
// says so too, for any git that git itself starts.
func gitAt(gitDir string) repo.Git {
	return repo.AtGitDir(gitDir).WithEnv("GIT_NO_REPLACE_OBJECTS=1")
}

// readBlobs streams the blobs among a list of objects through git and
// hands their "git cat-file --batch" output to parse. The list is what
// "git cat-file --batch-check" answers for listArgs with ids on stdin
// (nil: none, as with --batch-all-objects); the blobs among it go
// straight into a second cat-file that sends their content, so trees and
// commits are never read.
//
// It returns how many blobs it asked for: a caller that must have read
// every one of them compares.
func readBlobs(gitDir string, ids io.Reader, listArgs []string, parse func(*bufio.Reader) error) (int, error) {
	g := gitAt(gitDir)
	list := g.Command(append(append([]string{"cat-file"}, listArgs...), "--buffer", "--batch-check=%(objectname) %(objecttype)")...)
	read := g.Command("cat-file", "--buffer", "--batch")
	var listErr, readErr bytes.Buffer
	list.Stdin = ids
	list.Stderr, read.Stderr = &listErr, &readErr
	listOut, err := list.StdoutPipe()
	if err != nil {
		return 0, err
	}
	readIn, err := read.StdinPipe()
	if err != nil {
		return 0, err
	}
	readOut, err := read.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := list.Start(); err != nil {
		return 0, fmt.Errorf("starting git cat-file: %w", err)
	}
	if err := read.Start(); err != nil {
		// list is abandoned after err, which is reported: how it ends
		// (killed, or failed already) adds nothing.
		_ = list.Process.Kill()
		_ = list.Wait()
		return 0, fmt.Errorf("starting git cat-file: %w", err)
	}
	fed := make(chan error, 1)
	blobs := 0
	go func() {
		fed <- feedBlobs(listOut, readIn, &blobs)
	}()
	parseErr := parse(bufio.NewReaderSize(readOut, 256<<10))
	if parseErr != nil {
		// Abandoned after parseErr, which is reported: a failed kill (git
		// already ended) changes nothing.
		_ = read.Process.Kill()
		_ = list.Process.Kill()
	}
	feedErr := <-fed
	listWait, readWait := list.Wait(), read.Wait()
	switch {
	case parseErr != nil:
		return 0, parseErr
	case feedErr != nil:
		return 0, feedErr
	case listWait != nil:
		return 0, fmt.Errorf("git cat-file --batch-check: %v: %s", listWait, strings.TrimSpace(listErr.String()))
	case readWait != nil:
		return 0, fmt.Errorf("git cat-file --batch: %v: %s", readWait, strings.TrimSpace(readErr.String()))
	}
	return blobs, nil
}

// errMissingObject is an object git was asked about by id and does not
// hold (any more): what was read is not all that was listed.
var errMissingObject = errors.New("an object listed in the repository is missing")

// feedBlobs passes the ids of the blobs in list (lines "<id> <type>") on to
// w, counting them in n, and closes w. A "<id> missing" line makes it
// return errMissingObject once the list is read to its end.
func feedBlobs(list io.Reader, w io.WriteCloser, n *int) error {
	sc := bufio.NewScanner(list)
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	missing := false
	for sc.Scan() {
		id, typ, ok := strings.Cut(sc.Text(), " ")
		if ok && typ == "missing" {
			missing = true // read on: git must not block on a full pipe
		}
		if ok && typ == "blob" {
			if _, err = bw.WriteString(id + "\n"); err != nil {
				break
			}
			*n++
		}
	}
	if err == nil {
		err = sc.Err()
	}
	if err == nil && missing {
		err = errMissingObject
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// ParseBatch reads "git cat-file --batch" output (of blobs) from r and
// returns what identifies a subject; headHas answers for the same
// repository. It is for a mirror on another host, whose cat-file output
// arrives over ssh.
func ParseBatch(r io.Reader, subjects []record.Subject, headHas HeadHas) (*Found, error) {
	found := &Found{Objects: map[string][]string{}, Files: map[string][]string{}}
	if err := parseBatch(bufio.NewReaderSize(r, 256<<10), subjects, found); err != nil {
		return nil, err
	}
	if err := found.resolve(subjects, headHas); err != nil {
		return nil, err
	}
	for k := range found.Objects {
		sort.Strings(found.Objects[k])
	}
	return found, nil
}

func parseBatch(r *bufio.Reader, subjects []record.Subject, found *Found) error {
	needles := customerNeedles(subjects)
	sops := []byte("sops:")
	return readBatch(r, func(id, typ string, data []byte) {
		found.Blobs++
		if typ != "blob" {
			return
		}
		if containsAny(data, needles) {
			if f := Read(data); len(f) > 0 {
				found.candidates = append(found.candidates, candidate{id: id, f: f, keys: dataKeys(data)})
			}
			return
		}
		// Another record may be an earlier version of a subject's record,
		// under another customer id (a customer renumbered): its data key
		// tells, in resolve.
		if bytes.Contains(data, sops) {
			if keys := dataKeys(data); len(keys) > 0 {
				found.others = append(found.others, candidate{id: id, f: Read(data), keys: keys})
			}
		}
	})
}

// readBatch calls fn with each object of "git cat-file --batch" output;
// data is only valid during the call.
func readBatch(r *bufio.Reader, fn func(id, typ string, data []byte)) error {
	var buf []byte
	for {
		header, err := r.ReadSlice('\n')
		if err == io.EOF && len(header) == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading git cat-file: %w", err)
		}
		fields := strings.Fields(string(header))
		if len(fields) == 2 && fields[1] == "missing" {
			continue // removed between the listing and the read
		}
		if len(fields) != 3 {
			return fmt.Errorf("git cat-file: unexpected answer %q", strings.TrimSpace(string(header)))
		}
		size, err := strconv.Atoi(fields[2])
		if err != nil || size < 0 {
			return fmt.Errorf("git cat-file: unexpected size in %q", strings.TrimSpace(string(header)))
		}
		if cap(buf) < size+1 {
			buf = make([]byte, size+1)
		}
		data := buf[:size+1]
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("reading git cat-file: %w", err)
		}
		fn(fields[0], fields[1], data[:size])
	}
}

// candidate is a blob that may belong to a subject: its readable fields
// and the fingerprints of its SOPS data key.
type candidate struct {
	id   string
	f    Fields
	keys []string
}

// dataKeys are the encrypted data keys in a SOPS file's metadata (an age
// or PGP armored block, or a one-line enc: value such as Vault's). sops
// keeps them as they are when it edits a file, and a new file gets a new
// data key, so they tie every version of one record together, whatever
// its id or path became: a record renumbered with "git mv" and a changed
// id is still the same person's record.
func dataKeys(data []byte) []string {
	var out []string
	var block []byte
	in := false
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && (t[0] == '+' || t[0] == '-') && !bytes.HasPrefix(t, []byte("-----")) {
			t = bytes.TrimSpace(t[1:]) // a diff marker or a list item
		}
		if bytes.HasPrefix(t, []byte("- ")) {
			t = bytes.TrimSpace(t[2:])
		}
		switch {
		case bytes.HasPrefix(t, []byte("-----BEGIN ")):
			in = true
			block = block[:0]
		case bytes.HasPrefix(t, []byte("-----END ")):
			if in && len(block) > 0 {
				out = append(out, fingerprint(string(block)))
			}
			in = false
		case in:
			block = append(block, t...)
		case bytes.HasPrefix(t, []byte("enc: ")) && string(t) != "enc: |" && len(t) > 20:
			out = append(out, fingerprint(string(t[len("enc: "):])))
		}
	}
	return out
}

// resolve assigns the candidates to subjects: those that identify a
// subject, then, to a fixed point, those that share a data key with one
// already assigned (an earlier id of the same record). A record that
// shares a data key but is another record at HEAD (made by copying the
// subject's file) is not the subject's: live says which are.
func (found *Found) resolve(subjects []record.Subject, headHas HeadHas) error {
	for _, s := range subjects {
		mine := map[string]bool{}
		keys := map[string]bool{}
		var linked []candidate
		for _, c := range found.candidates {
			if Identifies(c.f, s) {
				mine[c.id] = true
				for _, k := range c.keys {
					keys[k] = true
				}
			}
		}
		pool := append(append([]candidate(nil), found.candidates...), found.others...)
		for changed := true; changed; {
			changed = false
			for _, c := range pool {
				if mine[c.id] || !shares(c.keys, keys) {
					continue
				}
				mine[c.id] = true
				linked = append(linked, c)
				for _, k := range c.keys {
					keys[k] = true
				}
				changed = true
			}
		}
		if len(linked) > 0 {
			isLive, err := livePaths(linked, headHas)
			if err != nil {
				return err
			}
			for _, c := range linked {
				if isLive[c.id] {
					delete(mine, c.id)
				}
			}
		}
		for id := range mine {
			found.Objects[s.String()] = append(found.Objects[s.String()], id)
		}
	}
	found.candidates, found.others = nil, nil
	return nil
}

// fingerprint is a short hash of an encrypted data key: enough to tell
// keys apart, small enough to cache.
func fingerprint(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:12])
}

func shares(keys []string, set map[string]bool) bool {
	for _, k := range keys {
		if set[k] {
			return true
		}
	}
	return false
}

// HeadHas says, for each path, whether a repository's HEAD holds a blob
// there.
type HeadHas func(paths []string) ([]bool, error)

// liveAtHead asks git which paths gitDir's HEAD holds.
func liveAtHead(gitDir string) HeadHas {
	return func(paths []string) ([]bool, error) {
		cmd := gitAt(gitDir).Command("cat-file", "--batch-check=%(objecttype)")
		return HeadHasFrom(cmd, paths)
	}
}

// HeadHasFrom runs cmd, a "git cat-file --batch-check=%(objecttype)" of
// some repository (here or on another host), for paths at HEAD.
func HeadHasFrom(cmd *exec.Cmd, paths []string) ([]bool, error) {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString("HEAD:" + p + "\n")
	}
	cmd.Stdin = strings.NewReader(b.String())
	res, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file --batch-check: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(res), "\n"), "\n")
	out := make([]bool, len(paths))
	for i := range paths {
		out[i] = i < len(lines) && lines[i] == "blob"
	}
	return out, nil
}

// livePaths maps candidates to the path their fields place them at.
func livePaths(cs []candidate, headHas HeadHas) (map[string]bool, error) {
	var paths, asked []string
	for _, c := range cs {
		kind, id, cust := first(c.f["kind"]), first(c.f["id"]), first(c.f["customer"])
		if kind == "customer" {
			cust = id
		}
		p := record.For(cust, kind, id)
		if p == "" || strings.ContainsAny(p, "\n") {
			continue
		}
		paths = append(paths, p)
		asked = append(asked, c.id)
	}
	out := map[string]bool{}
	if len(paths) == 0 {
		return out, nil
	}
	has, err := headHas(paths)
	if err != nil {
		return nil, err
	}
	for i, id := range asked {
		if has[i] {
			out[id] = true
		}
	}
	return out, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func customerNeedles(subjects []record.Subject) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, s := range subjects {
		if !seen[s.Customer] {
			seen[s.Customer] = true
			out = append(out, []byte(s.Customer))
		}
	}
	return out
}

func containsAny(data []byte, needles [][]byte) bool {
	if len(needles) > 16 {
		return bytes.Contains(data, []byte("c-"))
	}
	for _, n := range needles {
		if bytes.Contains(data, n) {
			return true
		}
	}
	return false
}

// alternates lists the object directories gitDir borrows from.
func alternates(gitDir string) ([]string, error) {
	var out []string
	for _, f := range []string{"alternates", "http-alternates"} {
		data, err := os.ReadFile(filepath.Join(gitDir, "objects", "info", f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
	}
	if env := os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES"); env != "" {
		out = append(out, filepath.SplitList(env)...)
	}
	return out, nil
}

// scanFiles looks at every regular file of gitDir outside objects/ (and
// of each linked work tree's folder, which lives under it): rerere keeps
// conflicted files in clear (rr-cache/*/preimage, postimage, thisimage),
// "git fsck --lost-found" writes blobs out (lost-found/other), a stopped
// rebase or am keeps patches (rebase-merge, rebase-apply), and git may
// gain more. Reading all of them, rather than a list of known places,
// finds a copy in a place this code has never heard of.
func scanFiles(gitDir string, subjects []record.Subject, found *Found) error {
	needles := customerNeedles(subjects)
	objects := filepath.Join(gitDir, "objects")
	return filepath.WalkDir(gitDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // removed while we walked (a lock file)
			}
			return err
		}
		if d.IsDir() {
			if p == objects {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(gitDir, p)
		if err != nil {
			return err
		}
		if isCacheFile(rel) {
			return nil // ids and hashes only
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scanning %s: %w", p, err)
		}
		if !containsAny(data, needles) {
			return nil
		}
		f := Read(data)
		for _, s := range subjects {
			if Identifies(f, s) {
				found.Files[s.String()] = append(found.Files[s.String()], filepath.ToSlash(rel))
			}
		}
		return nil
	})
}

// Union is the sorted union of id lists.
func Union(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Minus is a without the ids in b, in a's order.
func Minus(a []string, b ...[]string) []string {
	drop := map[string]bool{}
	for _, l := range b {
		for _, s := range l {
			drop[s] = true
		}
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}

// GitDir is the directory that holds the objects of the repository whose
// work tree is root (for a linked work tree, the main repository's).
func GitDir(root string) (string, error) {
	out, err := repo.At(root).Run("rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("finding the git directory of %s: %w", root, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// NotesOn are the note blobs that any refs/notes/* ref of gitDir attaches
// to one of objects. git's textconv cache (refs/notes/textconv/<driver>)
// keeps a record's decrypted text as a note on its blob; for a record kept
// under retention that text is the kept record itself, and is allowed
// where the record is.
func NotesOn(gitDir string, objects []string) ([]string, error) {
	if len(objects) == 0 {
		return nil, nil
	}
	want := map[string]bool{}
	for _, o := range objects {
		want[o] = true
	}
	g := gitAt(gitDir)
	refs, err := g.Refs("refs/notes/")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gitDir, err)
	}
	var out []string
	for _, ref := range refs {
		list, err := g.Run("notes", "--ref="+ref.Name, "list")
		if err != nil {
			return nil, fmt.Errorf("git notes --ref=%s list in %s: %w", ref.Name, gitDir, err)
		}
		for _, line := range strings.Split(string(list), "\n") {
			if f := strings.Fields(line); len(f) == 2 && want[f[1]] {
				out = append(out, f[0])
			}
		}
	}
	return out, nil
}
