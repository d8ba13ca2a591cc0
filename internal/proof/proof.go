// Package proof checks that an erasure is real: that none of the objects a
// request's ledger entry lists survives in a repository or in any of its
// mirrors, and that no reachable commit still holds an erased path. It
// reads the object storage directly (packs and loose objects, reachable or
// not) and cross-checks with git itself, so the proof does not rest on one
// implementation.
package proof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/repo"
)

// Store is the finding for one object database.
type Store struct {
	Name      string // "repository" or the mirror's path
	GitDir    string
	Packs     int
	Loose     int
	Refs      int
	Commits   int             // reachable commits whose trees were checked
	Survivors []string        // erased object ids still present
	PathHits  []purge.PathHit // erased paths still in a reachable tree
	// Identified are blobs that identify the subject by their readable
	// fields (package identity) and are neither listed nor a record kept
	// under retention at the live repository's HEAD: a version the ledger
	// missed, anywhere in the object database.
	Identified []string
	Files      []string // files beside the object database holding a copy (relative to GitDir)
	Alternates []string // object directories borrowed from, whose objects were scanned too
	Blobs      int      // blobs scanned by identity
}

// OK reports whether nothing of the request survives in the store.
func (s *Store) OK() bool {
	return len(s.Survivors) == 0 && len(s.PathHits) == 0 && len(s.Identified) == 0 && len(s.Files) == 0
}

// Proof is the result of checking one request.
type Proof struct {
	Request *ledger.Request
	Objects int      // erased object ids checked
	Paths   []string // erased paths checked (kept ones excluded)
	Stores  []*Store
}

// OK reports whether the erasure holds everywhere.
func (p *Proof) OK() bool {
	for _, s := range p.Stores {
		if !s.OK() {
			return false
		}
	}
	return true
}

// Verify checks request id of the repository at root (a work tree's root,
// or a bare repository such as the git server's, whose ledger is read from
// its main branch), and each mirror (a bare repository path).
func Verify(root, id string, mirrors []string) (*Proof, error) {
	gitDir, workTree, err := purge.Locate(root)
	if err != nil {
		return nil, err
	}
	var req *ledger.Request
	if workTree != "" {
		req, err = ledger.Load(root, id)
	} else {
		req, err = bareRequest(gitDir, id)
	}
	if err != nil {
		return nil, err
	}
	if req.Type != ledger.Erasure || len(req.ErasedObjects) == 0 {
		return nil, refusal.New("%s is not an erasure with recorded objects (%s lists none): nothing to verify", id, ledger.Path(id))
	}
	p := &Proof{Request: req, Objects: len(req.ErasedObjects)}
	kept := map[string]bool{}
	for _, k := range req.Kept {
		kept[k.Path] = true
	}
	for _, e := range req.ErasedPaths {
		if !kept[e] {
			p.Paths = append(p.Paths, e)
		}
	}
	dirs := []struct{ name, dir string }{{"repository", gitDir}}
	for _, m := range mirrors {
		dirs = append(dirs, struct{ name, dir string }{m, m})
	}
	subj, err := record.ParseSubject(req.Subject)
	if err != nil {
		return nil, fmt.Errorf("%s: subject: %w", ledger.Path(id), err)
	}
	keptBlobs, err := keptAtHead(root, req)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		s, err := check(d.name, d.dir, req.ErasedObjects, p.Paths)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		if err := checkIdentity(s, subj, req.ErasedObjects, keptBlobs); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		p.Stores = append(p.Stores, s)
	}
	return p, nil
}

// checkIdentity scans the store by identity: listed ids answer for what
// the ledger knew at erasure time, the scan for every version written or
// missed since, in any path or none, and for git's side copies.
func checkIdentity(s *Store, subj record.Subject, listed, kept []string) error {
	found, err := identity.Scan(s.GitDir, []record.Subject{subj})
	if err != nil {
		return err
	}
	s.Blobs = found.Blobs
	s.Alternates = found.Alternates
	s.Identified = identity.Minus(found.Objects[subj.String()], listed, kept)
	s.Files = found.Files[subj.String()]
	return nil
}

// keptAtHead are the blobs at the request's kept paths in the live
// repository's HEAD, and their textconv notes: records retained,
// minimised, under a legal obligation, which identify the subject and
// rightly remain.
func keptAtHead(root string, req *ledger.Request) ([]string, error) {
	if len(req.Kept) == 0 {
		return nil, nil
	}
	args := []string{"ls-tree", "-z", "--full-tree", "HEAD", "--"}
	for _, k := range req.Kept {
		args = append(args, k.Path)
	}
	// A kept record removed since (its retention ran out) is simply absent.
	entries, err := repo.At(root).Lines(args...)
	if err != nil {
		return nil, fmt.Errorf("reading the kept records at HEAD: %w", err)
	}
	var ids []string
	for _, e := range entries {
		f := strings.Fields(e)
		if len(f) < 3 || !plumbing.IsHash(f[2]) {
			return nil, fmt.Errorf("reading the kept records at HEAD: unexpected line from git ls-tree")
		}
		if f[1] == "blob" {
			ids = append(ids, f[2])
		}
	}
	gitDir, err := identity.GitDir(root)
	if err != nil {
		return nil, err
	}
	notes, err := identity.NotesOn(gitDir, ids)
	if err != nil {
		return nil, err
	}
	return append(ids, notes...), nil
}

// check looks for the erased objects and paths in the object database at
// gitDir. Every answer must come: an object or ref that cannot be read
// fails the proof rather than shrinking what it covers.
func check(name, gitDir string, objects, paths []string) (*Store, error) {
	if fi, err := os.Stat(filepath.Join(gitDir, "objects")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a git repository (no objects/ directory)", gitDir)
	}
	s := &Store{Name: name, GitDir: gitDir}
	packs, err := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.pack"))
	if err != nil {
		return nil, err
	}
	s.Packs = len(packs)
	loose, err := filepath.Glob(filepath.Join(gitDir, "objects", "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		return nil, err
	}
	s.Loose = len(loose)

	r, err := repo.Open(gitDir)
	if err != nil {
		return nil, err
	}
	survivors := map[string]bool{}
	// go-git reads the packs and loose objects itself ...
	for _, o := range objects {
		switch err := r.Storer.HasEncodedObject(plumbing.NewHash(o)); {
		case err == nil:
			survivors[o] = true
		case !errors.Is(err, plumbing.ErrObjectNotFound):
			return nil, fmt.Errorf("looking up object %s: %w", o, err)
		}
	}
	// ... and git is asked the same: --batch-check answers "<id> missing"
	// for an object it cannot find in packs, loose objects or alternates.
	if len(objects) == 0 {
		return nil, fmt.Errorf("no erased object to look for")
	}
	out, err := r.Git.RunInput(strings.NewReader(strings.Join(objects, "\n")+"\n"), "cat-file", "--batch-check=%(objectname)")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		switch f := strings.Fields(sc.Text()); {
		case len(f) == 1 && plumbing.IsHash(f[0]):
			survivors[f[0]] = true
		case len(f) == 2 && f[1] == "missing":
		default:
			return nil, fmt.Errorf("git cat-file: unexpected answer %q", sc.Text())
		}
	}
	for o := range survivors {
		s.Survivors = append(s.Survivors, o)
	}
	sort.Strings(s.Survivors)

	// Every ref git lists, through repo's one lister: a ref it cannot
	// read fails the check, so erasure is never proved over fewer refs
	// than the repository has. A detached HEAD is a tip too.
	refs, err := r.Git.Refs()
	if err != nil {
		return nil, fmt.Errorf("listing the refs of %s: %w", gitDir, err)
	}
	s.Refs = len(refs)
	tips := make([]plumbing.Hash, 0, len(refs)+1)
	for _, ref := range refs {
		tips = append(tips, ref.Hash)
	}
	if _, err := r.Git.Run("symbolic-ref", "-q", "HEAD"); repo.ExitCode(err) == 1 {
		head, err := r.Git.Run("rev-parse", "--verify", "--quiet", "HEAD")
		if err != nil {
			return nil, fmt.Errorf("reading the detached HEAD of %s: %w", gitDir, err)
		}
		tips = append(tips, plumbing.NewHash(strings.TrimSpace(string(head))))
	} else if err != nil {
		return nil, fmt.Errorf("reading HEAD of %s: %w", gitDir, err)
	}
	if len(paths) > 0 {
		// The walk reads through git cat-file: go-git, opened here without
		// its options, would reopen the pack file for every object.
		objs, err := r.Objects()
		if err != nil {
			return nil, err
		}
		s.Commits, s.PathHits, err = purge.FindPaths(objs, tips, paths)
		if cerr := objs.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("git cat-file: %w", cerr)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// bareRequest reads request id from the ledger on the main branch (the
// branch HEAD names) of the bare repository at gitDir.
func bareRequest(gitDir, id string) (*ledger.Request, error) {
	if !ledger.ValidID(id) {
		return nil, refusal.New("%q is not a request id like DSR-2026-0042", id)
	}
	g := repo.AtGitDir(gitDir)
	out, err := g.Run("symbolic-ref", "-q", "HEAD")
	if repo.ExitCode(err) == 1 {
		return nil, refusal.New("HEAD of %s is detached: point it at the main branch (git symbolic-ref HEAD refs/heads/main)", gitDir)
	}
	if err != nil {
		return nil, fmt.Errorf("reading HEAD of %s: %w", gitDir, err)
	}
	branch := strings.TrimSpace(string(out))
	short := strings.TrimPrefix(branch, "refs/heads/")
	spec := branch + ":" + ledger.Path(id)
	info, err := g.RunInput(strings.NewReader(spec+"\n"), "cat-file", "--batch-check=%(objecttype) %(objectname)")
	if err != nil {
		return nil, fmt.Errorf("reading the ledger on %s: %w", short, err)
	}
	f := strings.Fields(string(info))
	switch {
	case len(f) == 2 && f[1] == "missing":
		return nil, refusal.New("request %s is not in the ledger on %s (or %s has no commits)", id, short, short)
	case len(f) != 2 || f[0] != "blob" || !plumbing.IsHash(f[1]):
		return nil, refusal.New("%s on %s is not a file", ledger.Path(id), short)
	}
	data, err := g.Run("cat-file", "blob", f[1])
	if err != nil {
		return nil, fmt.Errorf("reading %s on %s: %w", ledger.Path(id), short, err)
	}
	req, err := ledger.Parse(data)
	if err != nil {
		return nil, refusal.New("%s on %s: %v", ledger.Path(id), short, err)
	}
	if req.ID != id {
		return nil, refusal.New("%s on %s holds request %s", ledger.Path(id), short, req.ID)
	}
	return req, nil
}
