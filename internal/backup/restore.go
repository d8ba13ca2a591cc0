package backup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/safefile"
)

// Ledger is a set of ledger files as given to restore: each request and
// the exact bytes of its file.
type Ledger struct {
	Requests []*ledger.Request
	Files    map[string][]byte // request id to file contents
}

// LoadLedger reads a ledger from a file, a ledger folder, or a repository
// root that holds ledger/.
func LoadLedger(p string) (*Ledger, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("--ledger %s: %w", p, err)
	}
	names := []string{p}
	if info.IsDir() {
		if sub := filepath.Join(p, ledger.Dir); isDir(sub) {
			p = sub
		}
		if names, err = filepath.Glob(filepath.Join(p, "DSR-*.yaml")); err != nil {
			return nil, err
		}
	}
	l := &Ledger{Files: map[string][]byte{}}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		q, err := ledger.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		l.Requests = append(l.Requests, q)
		l.Files[q.ID] = data
	}
	sort.Slice(l.Requests, func(i, j int) bool { return l.Requests[i].ID < l.Requests[j].ID })
	return l, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// Restored is what a restore did.
type Restored struct {
	Dir        string
	Head       string
	HeadCommit string
	Refs       int
	Reapplied  []string // erasure requests the backup predated
	Removed    []string // paths removed at HEAD by the erasure commit
	Commit     string   // that commit, if one was needed
	Ledger     []string // ledger files brought up to date
	Rewritten  int      // commits rewritten to drop erased objects
	Objects    int      // erased objects deleted from history
}

// Restore makes a working repository at dir from the mirror at from, then
// re-applies every erasure in newest (the live repository's ledger; nil:
// the backup's own) that the backup predates: erased files still at HEAD
// are removed in one erasure commit that also brings the ledger up to
// date, and erased objects are removed from all history.
func Restore(from, dir string, newest *Ledger) (*Restored, error) {
	from = strings.TrimPrefix(from, "file://")
	src, err := git.PlainOpen(from)
	if err != nil {
		return nil, fmt.Errorf("--from %s: not a backup mirror: %w", from, err)
	}
	srcRefs, err := repoRefs(src)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty: restore into a new directory", dir)
	}
	r, err := repo.Init(dir)
	if err != nil {
		return nil, err
	}
	res := &Restored{Dir: dir}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "backup", URLs: []string{from}}); err != nil {
		return nil, err
	}
	err = r.Fetch(&git.FetchOptions{
		RemoteName: "backup",
		RefSpecs:   []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		Tags:       git.NoTags,
	})
	if err != nil {
		return nil, fmt.Errorf("fetching from %s: %w", from, err)
	}
	// The restored repository must not push back to the disk by accident.
	if err := r.DeleteRemote("backup"); err != nil {
		return nil, err
	}
	head := srcRefs.Head
	if _, ok := srcRefs.Refs[head]; !ok {
		return nil, fmt.Errorf("the mirror's HEAD (%s) names no branch: is %s a dossier backup?", head, from)
	}
	if err := r.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.ReferenceName(head))); err != nil {
		return nil, err
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: plumbing.NewHash(srcRefs.Refs[head]), Mode: git.HardReset}); err != nil {
		return nil, fmt.Errorf("checking out %s: %w", head, err)
	}
	res.Head, res.Refs = head, len(srcRefs.Refs)

	if newest == nil {
		if newest, err = LoadLedger(filepath.Join(dir, ledger.Dir)); err != nil {
			newest = &Ledger{Files: map[string][]byte{}}
		}
	}
	if err := reapply(r, dir, newest, res); err != nil {
		return res, err
	}
	ref, err := r.Head()
	if err != nil {
		return res, err
	}
	res.HeadCommit = ref.Hash().String()
	return res, nil
}

func reapply(r *git.Repository, dir string, newest *Ledger, res *Restored) error {
	headRef, err := r.Head()
	if err != nil {
		return err
	}
	commit, err := r.CommitObject(headRef.Hash())
	if err != nil {
		return err
	}
	tree, err := commit.Tree()
	if err != nil {
		return err
	}
	atHead := map[string]plumbing.Hash{}
	tree.Files().ForEach(func(f *object.File) error {
		atHead[f.Name] = f.Hash
		return nil
	})
	erased := map[plumbing.Hash]bool{}
	removed := map[string]bool{}
	for _, q := range newest.Requests {
		objs := map[plumbing.Hash]bool{}
		for _, o := range q.ErasedObjects {
			objs[plumbing.NewHash(o)] = true
		}
		kept := map[string]bool{}
		for _, k := range q.Kept {
			kept[k.Path] = true
		}
		hit := false
		for p, h := range atHead {
			if objs[h] {
				removed[p], hit = true, true
			}
		}
		for _, p := range q.ErasedPaths {
			if _, ok := atHead[p]; ok && !kept[p] {
				removed[p], hit = true, true
			}
		}
		for o := range objs {
			if r.Storer.HasEncodedObject(o) == nil {
				erased[o], hit = true, true
			}
		}
		if hit {
			res.Reapplied = append(res.Reapplied, q.ID)
		}
	}
	var paths []string
	for p := range removed {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	res.Removed = paths
	for _, id := range sortedIDs(newest.Files) {
		p := filepath.Join(dir, filepath.FromSlash(ledger.Path(id)))
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, newest.Files[id]) {
			continue
		}
		if err := safefile.Write(p, newest.Files[id], 0o644); err != nil {
			return err
		}
		res.Ledger = append(res.Ledger, ledger.Path(id))
	}
	if len(paths)+len(res.Ledger) > 0 {
		msg := "Re-apply erasures after a restore from backup\n\nThe backup predates these requests; their data is removed again.\n\n"
		for _, id := range res.Reapplied {
			msg += "Dossier-Request: " + id + "\n"
		}
		msg += "Dossier-Action: erasure\n"
		h, err := repo.CommitPaths(r, append(append([]string{}, paths...), res.Ledger...), msg)
		if err != nil {
			return fmt.Errorf("committing the re-applied erasures: %w", err)
		}
		res.Commit = h.String()
	}
	if len(erased) == 0 {
		return nil
	}
	pr, err := purge.Run(dir, purge.Options{Requests: res.Reapplied})
	if err != nil {
		return fmt.Errorf("removing erased objects from history: %w", err)
	}
	res.Rewritten, res.Objects = pr.Commits, len(erased)
	r, err = git.PlainOpen(dir)
	if err != nil {
		return err
	}
	for o := range erased {
		if r.Storer.HasEncodedObject(o) == nil {
			return fmt.Errorf("object %s is still in the restored repository after the rewrite", o)
		}
	}
	return nil
}

func sortedIDs(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
