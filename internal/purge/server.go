package purge

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/repo/odb"
)

// Rewrite is what each of tips (a commit, tag, tree or blob id) becomes
// once the erased blobs are removed from its history, exactly as Run
// rewrites it (ZeroHash: nothing is left of it), computed without writing
// any object. The rewrite is deterministic: commit and tag headers are kept
// byte for byte, so the git server can recompute a pushed purge from its own
// history and compare ids instead of believing what the push says.
func Rewrite(objects odb.Store, erased map[plumbing.Hash]bool, tips []plumbing.Hash) (map[plumbing.Hash]plumbing.Hash, error) {
	r := newRewriter(objects, erased, nil)
	out := make(map[plumbing.Hash]plumbing.Hash, len(tips))
	for _, t := range tips {
		nh, err := r.object(t)
		if err != nil {
			return nil, err
		}
		out[t] = nh
	}
	return out, nil
}

// Ledger reads every request of the ledger in the tree of commit at (ids
// that do not parse are an error: a ledger the tool cannot read must stop
// a purge, never shrink it). It reads from git objects, not a work tree,
// so it serves a bare server repository and a side-branch checkout alike.
func Ledger(objects odb.Store, at plumbing.Hash) (map[string]*ledger.Request, error) {
	out := map[string]*ledger.Request{}
	if at.IsZero() {
		return out, nil
	}
	tree, err := odb.TreeOf(objects, at)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", at, err)
	}
	dir, ok, err := odb.Find(objects, tree, ledger.Dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s/ at %s: %w", ledger.Dir, at, err)
	}
	if !ok {
		return out, nil
	}
	if !dir.IsTree() {
		return nil, fmt.Errorf("%s at %s is not a folder", ledger.Dir, at)
	}
	entries, err := odb.Entries(objects, dir.Hash)
	if err != nil {
		return nil, fmt.Errorf("reading %s/ at %s: %w", ledger.Dir, at, err)
	}
	for _, e := range entries {
		name := string(e.Name)
		if !e.IsBlob() || !strings.HasPrefix(name, "DSR-") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		typ, text, err := odb.Read(objects, e.Hash)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", ledger.Dir, name, err)
		}
		if typ != plumbing.BlobObject {
			return nil, fmt.Errorf("%s/%s is a %s, not a file", ledger.Dir, name, typ)
		}
		req, err := ledger.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", ledger.Dir, name, err)
		}
		if ledger.Path(req.ID) != ledger.Dir+"/"+name {
			return nil, fmt.Errorf("%s/%s holds request %s", ledger.Dir, name, req.ID)
		}
		out[req.ID] = req
	}
	return out, nil
}

// ErasedSet is the union of the erased object ids of reqs.
func ErasedSet(reqs []*ledger.Request) (map[plumbing.Hash]bool, error) {
	out := map[plumbing.Hash]bool{}
	for _, r := range reqs {
		for _, o := range r.ErasedObjects {
			h, err := odb.ParseHex([]byte(o))
			if err != nil {
				return nil, fmt.Errorf("%s: erased_objects: %v", ledger.Path(r.ID), err)
			}
			out[h] = true
		}
	}
	return out, nil
}

// References is what DefaultBranch reads refs through: a *repo.Repo, or
// go-git's *git.Repository.
type References interface {
	Reference(name plumbing.ReferenceName, resolved bool) (*plumbing.Reference, error)
}

// DefaultBranch is the branch a purge is recorded on: the repository's
// main branch, whatever is checked out. In a bare repository (the server)
// it is HEAD's branch; in a clone it is the branch origin/HEAD names, else
// main or master, else HEAD's branch.
func DefaultBranch(refs References, bare bool) (plumbing.ReferenceName, error) {
	head, err := refs.Reference(plumbing.HEAD, false)
	if err != nil {
		return "", fmt.Errorf("reading HEAD: %w", err)
	}
	if bare {
		if head.Type() != plumbing.SymbolicReference {
			return "", refuse("HEAD of the bare repository is detached: point it at the main branch (git symbolic-ref HEAD refs/heads/main)")
		}
		return head.Target(), nil
	}
	has := func(n plumbing.ReferenceName) (bool, error) {
		_, err := refs.Reference(n, false)
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading %s: %w", n, err)
		}
		return true, nil
	}
	o, err := refs.Reference("refs/remotes/origin/HEAD", false)
	switch {
	case err == nil && o.Type() == plumbing.SymbolicReference:
		b := plumbing.NewBranchReferenceName(strings.TrimPrefix(o.Target().String(), "refs/remotes/origin/"))
		ok, err := has(b)
		if err != nil {
			return "", err
		}
		if ok {
			return b, nil
		}
	case err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound):
		return "", fmt.Errorf("reading refs/remotes/origin/HEAD: %w", err)
	}
	for _, b := range []string{"main", "master"} {
		n := plumbing.NewBranchReferenceName(b)
		ok, err := has(n)
		if err != nil {
			return "", err
		}
		if ok {
			return n, nil
		}
	}
	if head.Type() == plumbing.SymbolicReference {
		return head.Target(), nil
	}
	return "", refuse("no main branch found and HEAD is detached: check out the default branch (git switch main) before purging")
}

// Locate is the git directory and work tree of a repository given its
// work tree root or, for a server, its bare git directory ("" work tree).
// A linked work tree (.git is a file) is not a place to purge from: its
// HEAD and index belong to one of several checkouts.
func Locate(dir string) (gitDir, workTree string, err error) {
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		if fi.IsDir() {
			return filepath.Join(dir, ".git"), dir, nil
		}
		return "", "", refuse("%s is a linked work tree (.git is a file): run the purge in the main work tree of the repository", dir)
	}
	if IsBare(dir) {
		return dir, "", nil
	}
	return "", "", refuse("%s is neither the work tree of a repository nor a bare git repository", dir)
}

// IsBare reports whether dir is itself a bare git repository, as git sees
// it (a folder with objects/, refs/ and HEAD that git accepts as a git dir).
func IsBare(dir string) bool {
	for _, f := range []string{"objects", "refs", "HEAD"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	out, err := repo.AtGitDir(dir).Run("rev-parse", "--is-bare-repository")
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// purgedRequests are the erasures of reqs whose purge is recorded: what a
// server makes itself forget after an accepted purge push.
func purgedRequests(reqs map[string]*ledger.Request) []*ledger.Request {
	var out []*ledger.Request
	for _, r := range reqs {
		if r.Type == ledger.Erasure && r.Purged != nil && len(r.ErasedObjects) > 0 {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IdentityFound is what the identity scan (package identity) of the
// repository at gitDir finds for reqs' subjects beyond their listed
// objects and the versions a retention keeps at tip (main's tip), per
// request id: what a purge removes on top of the ledger's list. Unlike
// the purge's own scan it changes and refuses nothing: the git server uses
// it to recompute a pushed purge, whose client found the same versions.
func IdentityFound(gitDir string, objects odb.Store, tip plumbing.Hash, reqs []*ledger.Request) (map[string][]string, error) {
	out := map[string][]string{}
	if len(reqs) == 0 {
		return out, nil
	}
	var subjects []record.Subject
	for _, r := range reqs {
		s, err := record.ParseSubject(r.Subject)
		if err != nil {
			return nil, fmt.Errorf("%s: subject: %v", ledger.Path(r.ID), err)
		}
		subjects = append(subjects, s)
	}
	found, err := identity.ScanObjects(gitDir, subjects)
	if err != nil {
		return nil, err
	}
	for i, r := range reqs {
		kept, err := keptBlobs(objects, tip, r)
		if err != nil {
			return nil, err
		}
		notes, err := identity.NotesOn(gitDir, kept)
		if err != nil {
			return nil, err
		}
		if add := identity.Minus(found.Objects[subjects[i].String()], r.ErasedObjects, kept, notes); len(add) > 0 {
			out[r.ID] = add
		}
	}
	return out, nil
}

// keptBlobs are the blobs at r's kept paths in commit tip (ZeroHash: no
// commit, nothing kept): the minimised records a legal obligation
// retains. A tree that cannot be read is an error, never "nothing kept",
// which would make the purge remove what the law says to keep.
func keptBlobs(objects odb.Store, tip plumbing.Hash, r *ledger.Request) ([]string, error) {
	if len(r.Kept) == 0 || tip.IsZero() {
		return nil, nil
	}
	tree, err := odb.TreeOf(objects, tip)
	if err != nil {
		return nil, fmt.Errorf("reading what %s keeps: %w", r.ID, err)
	}
	var out []string
	for _, k := range r.Kept {
		e, ok, err := odb.Find(objects, tree, k.Path)
		if err != nil {
			return nil, fmt.Errorf("reading %s, which %s keeps: %w", k.Path, r.ID, err)
		}
		if ok {
			out = append(out, e.Hash.String())
		}
	}
	return out, nil
}
