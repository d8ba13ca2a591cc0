// Package purge removes erased records from all of a repository's history:
// it rewrites every branch and tag so that no commit holds any object a
// request's ledger entry lists, switches the refs, and makes git forget the
// old objects (reflogs, stash, remote-tracking refs, packs).
//
// The order of work is what makes it safe to interrupt. New objects go to a
// temporary pack that only becomes visible, complete, when renamed into
// place; then a journal of the planned ref changes is written under
// .git/dossier/; only then do refs move. A kill at any point leaves either
// the old history (no journal) or a journal that the next run finishes.
package purge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/safefile"
)

// ErrRefused marks a purge that was not started because its input is
// wrong; nothing was changed.
var ErrRefused = errors.New("purge refused")

func refusal(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, a...))
}

// Options select what to purge and how.
type Options struct {
	Requests   []string // request ids
	AllPending bool     // every erasure that is done and not yet purged
	MapFile    string   // where the old->new commit map goes; default under .git/dossier/
	// CrashAt makes the process kill itself with SIGKILL at a named point
	// ("after-objects", "mid-refs", "before-cleanup"). TEST ONLY: it exists
	// so the interruption tests can stop a purge at a chosen step.
	CrashAt string
	Now     time.Time
	// Progress is where the count of commits read and the phases are shown
	// (a terminal); nil shows nothing.
	Progress io.Writer
}

// Result is what a purge did.
type Result struct {
	Requests  []string
	Commits   int // commits rewritten (their id changed), dropped ones included
	Dropped   int // commits dropped because nothing was left in them
	Refs      []RefUpdate
	MapFile   string
	Resumed   bool // an interrupted purge was finished
	NoPending bool // --all-pending found nothing to do
}

// journal is the plan of an in-progress purge: written once every new
// object is on disk, removed when the purge is complete.
type journal struct {
	Requests []string    `json:"requests"`
	Date     string      `json:"date"`
	Commits  int         `json:"commits_rewritten"`
	Dropped  int         `json:"commits_dropped"`
	Branch   string      `json:"branch"` // where the ledger commit goes
	Refs     []RefUpdate `json:"refs"`
	OldTips  []string    `json:"old_tips"`
	MapFile  string      `json:"map_file"`
	// RefsDone is set once every ref is switched: from then on the branch
	// moves on (the ledger commit) and the planned values no longer apply.
	RefsDone bool `json:"refs_done"`
}

func journalPath(gitDir string) string { return filepath.Join(gitDir, "dossier", "purge-journal.json") }

// Run purges the requests of opts from the repository at root (or
// finishes an interrupted purge first).
func Run(root string, opts Options) (*Result, error) {
	gitDir := filepath.Join(root, ".git")
	if fi, err := os.Stat(gitDir); err != nil || !fi.IsDir() {
		return nil, refusal("%s has no .git directory (purge works in the main work tree of a repository)", root)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	// A purge killed while writing leaves its temporary pack behind.
	stale, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "tmp_*_dossier_*"))
	for _, f := range stale {
		os.Remove(f)
	}
	if j, err := readJournal(gitDir); err != nil {
		return nil, err
	} else if j != nil {
		if err := finish(root, gitDir, j, opts); err != nil {
			return nil, fmt.Errorf("finishing the interrupted purge of %s: %w", strings.Join(j.Requests, ", "), err)
		}
		return &Result{Requests: j.Requests, Commits: j.Commits, Dropped: j.Dropped, Refs: j.Refs, MapFile: j.MapFile, Resumed: true}, nil
	}
	reqs, err := selectRequests(root, opts)
	if err != nil || len(reqs) == 0 {
		return &Result{NoPending: true}, err
	}
	gr, err := git.PlainOpen(root)
	if err != nil {
		return nil, err
	}
	branch, err := preflight(root, gitDir, gr, reqs)
	if err != nil {
		return nil, err
	}
	erased := map[plumbing.Hash]bool{}
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
		for _, o := range r.ErasedObjects {
			erased[plumbing.NewHash(o)] = true
		}
	}

	// Rewrite into a temporary pack; nothing is visible yet.
	st := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(),
		filesystem.Options{ExclusiveAccess: true, KeepDescriptors: true})
	defer st.Close()
	pack, err := newPackWriter(gitDir)
	if err != nil {
		return nil, err
	}
	rw := newRewriter(st, erased, pack)
	rw.done = progress.New(opts.Progress, "purge: reading history, commits", 0)
	refs, err := allRefs(gr)
	if err != nil {
		return nil, pack.abort(err)
	}
	updates, err := rw.planRefs(refs)
	if err != nil {
		return nil, pack.abort(err)
	}
	head, err := gr.Reference(branch, true)
	if err != nil {
		return nil, pack.abort(err)
	}
	for _, u := range updates {
		if u.Name != branch.String() {
			continue
		}
		oldTree, err1 := rw.commitTree(head.Hash())
		newTree, err2 := rw.rootTree(oldTree)
		if err := errors.Join(err1, err2); err != nil {
			return nil, pack.abort(err)
		}
		if u.Delete() || newTree != oldTree {
			return nil, pack.abort(refusal("%s still holds erased objects at its tip: run \"dossier erase\" for %s first, then commit", branch.Short(), strings.Join(ids, ", ")))
		}
	}
	rw.done.Done()
	if _, err := pack.Close(); err != nil {
		return nil, errPack(err)
	}
	crash(opts, "after-objects")

	j := &journal{
		Requests: ids,
		Date:     opts.Now.UTC().Format("2006-01-02"),
		Commits:  rw.rewritten,
		Dropped:  rw.dropped,
		Branch:   branch.String(),
		Refs:     updates,
		MapFile:  opts.MapFile,
	}
	if j.MapFile == "" {
		j.MapFile = filepath.Join(gitDir, "dossier", "purge-"+strings.Join(ids, "+")+"-map.txt")
	}
	tips := map[string]bool{}
	for _, u := range updates {
		if u.Name != "refs/stash" {
			tips[u.Old] = true
		}
	}
	for t := range tips {
		j.OldTips = append(j.OldTips, t)
	}
	sort.Strings(j.OldTips)
	if err := writeMap(j.MapFile, rw.commits); err != nil {
		return nil, err
	}
	if err := writeJournal(gitDir, j); err != nil {
		return nil, err
	}
	if err := finish(root, gitDir, j, opts); err != nil {
		return nil, err
	}
	return &Result{Requests: ids, Commits: j.Commits, Dropped: j.Dropped, Refs: updates, MapFile: j.MapFile}, nil
}

// crash is the test-only interruption point (see Options.CrashAt).
func crash(opts Options, point string) {
	if opts.CrashAt == point {
		killSelf()
		select {}
	}
}

// selectRequests loads and checks the requests to purge.
func selectRequests(root string, opts Options) ([]*ledger.Request, error) {
	var reqs []*ledger.Request
	if opts.AllPending {
		all, err := ledger.All(root)
		if err != nil {
			return nil, err
		}
		for _, r := range all {
			if r.Type == ledger.Erasure && r.Status == ledger.Done && r.Purged == nil && len(r.ErasedObjects) > 0 {
				reqs = append(reqs, r)
			}
		}
		return reqs, nil
	}
	for _, id := range opts.Requests {
		r, err := ledger.Load(root, id)
		if err != nil {
			return nil, refusal("%v", err)
		}
		switch {
		case r.Type != ledger.Erasure:
			return nil, refusal("%s is a %s request, not an erasure: only erased data is purged from history", id, r.Type)
		case r.Status != ledger.Done:
			return nil, refusal("%s is not done yet (status %s): run \"dossier erase %s --request %s\" first", id, r.Status, r.Subject, id)
		case len(r.ErasedObjects) == 0:
			return nil, refusal("%s lists no erased objects in %s: nothing to purge", id, ledger.Path(id))
		}
		for _, o := range r.ErasedObjects {
			if _, err := parseHex([]byte(o)); err != nil {
				return nil, refusal("%s: erased_objects: %v", ledger.Path(id), err)
			}
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

// preflight refuses a purge that would lose work or cannot be finished,
// and returns the branch HEAD is on.
func preflight(root, gitDir string, gr *git.Repository, reqs []*ledger.Request) (plumbing.ReferenceName, error) {
	head, err := gr.Reference(plumbing.HEAD, false)
	if err != nil {
		return "", fmt.Errorf("reading HEAD: %w", err)
	}
	if head.Type() != plumbing.SymbolicReference {
		return "", refusal("HEAD is detached: check out the default branch (git switch main) before purging")
	}
	for _, f := range []string{"MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply", "BISECT_LOG"} {
		if _, err := os.Stat(filepath.Join(gitDir, f)); err == nil {
			return "", refusal("a git operation is in progress (.git/%s): finish or abort it before purging", f)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(gitDir, "worktrees")); len(ents) > 0 {
		return "", refusal("the repository has linked work trees (.git/worktrees): remove them with \"git worktree remove\" before purging; their index and HEAD would keep old objects alive")
	}
	// go-git's Status hashes every file of the work tree; real git uses the
	// index's stat data and is orders of magnitude faster on 50,000 records.
	out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return "", fmt.Errorf("git status: %w", err)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return "", refusal("the work tree has uncommitted changes (%s): commit or stash them first (a stash is dropped by the purge)", strings.TrimSpace(first))
	}
	headRef, err := gr.Head()
	if err != nil {
		return "", refusal("the repository has no commits")
	}
	c, err := gr.CommitObject(headRef.Hash())
	if err != nil {
		return "", err
	}
	tree, err := c.Tree()
	if err != nil {
		return "", err
	}
	for _, r := range reqs {
		kept := map[string]bool{}
		for _, k := range r.Kept {
			kept[k.Path] = true
		}
		for _, p := range r.ErasedPaths {
			if kept[p] {
				continue
			}
			if _, err := tree.FindEntry(p); err == nil {
				return "", refusal("%s is still present at HEAD although %s erased it: run \"dossier erase %s --request %s\" and commit first", p, r.ID, r.Subject, r.ID)
			}
		}
	}
	return head.Target(), nil
}

// allRefs is every ref that points at an object (HEAD's branch included,
// HEAD itself when detached).
func allRefs(gr *git.Repository) ([]*plumbing.Reference, error) {
	it, err := gr.Storer.IterReferences()
	if err != nil {
		return nil, err
	}
	var out []*plumbing.Reference
	err = it.ForEach(func(r *plumbing.Reference) error {
		if r.Type() == plumbing.HashReference {
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func writeMap(path string, commits map[plumbing.Hash]commitResult) error {
	var lines []string
	for old, res := range commits {
		if res.id != old {
			lines = append(lines, old.String()+" "+res.id.String()+"\n")
		}
	}
	sort.Strings(lines)
	var b bytes.Buffer
	b.WriteString("# dossier purge: old commit -> new commit (0000000000000000000000000000000000000000: dropped)\n")
	for _, l := range lines {
		b.WriteString(l)
	}
	if err := safefile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing the commit map: %w", err)
	}
	return nil
}

func writeJournal(gitDir string, j *journal) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return safefile.Write(journalPath(gitDir), data, 0o600)
}

func readJournal(gitDir string) (*journal, error) {
	data, err := os.ReadFile(journalPath(gitDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v): it records an interrupted purge; restore the repository from a backup", journalPath(gitDir), err)
	}
	return &j, nil
}

// finish carries out a journal: ref switch, stash and reflog removal, the
// ledger commit, repack and prune. Every step can be repeated.
func finish(root, gitDir string, j *journal, opts Options) error {
	gr, err := git.PlainOpen(root)
	if err != nil {
		return err
	}
	if !j.RefsDone {
		for i, u := range j.Refs {
			if err := switchRef(gr, u); err != nil {
				return err
			}
			if i == 0 {
				crash(opts, "mid-refs")
			}
		}
		j.RefsDone = true
		if err := writeJournal(gitDir, j); err != nil {
			return err
		}
	}
	// The stash's reflog holds every older stash; transient heads name
	// commits of the old history.
	for _, f := range []string{"logs/refs/stash", "ORIG_HEAD", "FETCH_HEAD"} {
		if err := os.Remove(filepath.Join(gitDir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := recordPurge(root, gr, j); err != nil {
		return fmt.Errorf("recording the purge in the ledger: %w", err)
	}
	crash(opts, "before-cleanup")
	if opts.Progress != nil {
		fmt.Fprintln(opts.Progress, "purge: repacking, so that the old objects leave the disk (git repack, prune)")
	}
	if err := forgetOldObjects(root, gitDir); err != nil {
		return err
	}
	return os.Remove(journalPath(gitDir))
}

// switchRef applies one planned update; it is a no-op when already done
// and refuses to move a ref that someone else changed meanwhile.
func switchRef(gr *git.Repository, u RefUpdate) error {
	name := plumbing.ReferenceName(u.Name)
	cur, err := gr.Storer.Reference(name)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		if u.Delete() {
			return nil
		}
	case err != nil:
		return err
	case cur.Hash().String() == u.New:
		return nil
	case cur.Hash().String() != u.Old:
		return fmt.Errorf("%s moved to %s during the purge (expected %s): the journal in .git/dossier is kept; reset the ref and run purge again", u.Name, cur.Hash(), u.Old)
	}
	if u.Delete() {
		return gr.Storer.RemoveReference(name)
	}
	return gr.Storer.SetReference(plumbing.NewHashReference(name, plumbing.NewHash(u.New)))
}

// recordPurge sets Purged on each request's ledger entry and commits it on
// the journal's branch with the request trailers, unless that commit is
// already there. It writes the tree and commit with go-git and updates the
// ledger file and its index entry in place, so it costs the same in a
// repository of 50,000 records as in one of five.
func recordPurge(root string, gr *git.Repository, j *journal) error {
	branch := plumbing.ReferenceName(j.Branch)
	for _, id := range j.Requests {
		ref, err := gr.Storer.Reference(branch)
		if err != nil {
			return err
		}
		head, err := gr.CommitObject(ref.Hash())
		if err != nil {
			return err
		}
		path := ledger.Path(id)
		f, err := head.File(path)
		if err != nil {
			return fmt.Errorf("%s is not in %s: %w", path, branch.Short(), err)
		}
		text, err := f.Contents()
		if err != nil {
			return err
		}
		req, err := ledger.Parse([]byte(text))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		want := mergePurge(req.Purged, j)
		if req.Purged != nil && req.Purged.Date == want.Date && req.Purged.Commits == want.Commits &&
			strings.Join(req.Purged.OldTips, " ") == strings.Join(want.OldTips, " ") {
			continue // nothing new, or committed before an interruption
		}
		req.Purged = want
		data, err := req.Marshal()
		if err != nil {
			return err
		}
		if err := commitFile(root, gr, branch, head, path, data,
			fmt.Sprintf("Purge %s from history\n\n%d commits rewritten; the old history is gone from this repository.\n\nDossier-Request: %s\nDossier-Action: purge\n", id, j.Commits, id)); err != nil {
			return err
		}
	}
	return nil
}

// mergePurge is the Purged record after this purge. A repeated purge
// keeps every old tip ever replaced (the server may still have any of
// them) and, when it rewrote nothing, the earlier date and count. Merging
// twice gives the same record, so an interrupted ledger commit can be
// redone.
func mergePurge(prev *ledger.Purge, j *journal) *ledger.Purge {
	want := &ledger.Purge{Date: j.Date, Commits: j.Commits, OldTips: j.OldTips}
	if prev == nil {
		return want
	}
	if j.Commits == 0 {
		want.Date, want.Commits = prev.Date, prev.Commits
	}
	tips := map[string]bool{}
	for _, t := range append(append([]string{}, prev.OldTips...), j.OldTips...) {
		tips[t] = true
	}
	want.OldTips = nil
	for t := range tips {
		want.OldTips = append(want.OldTips, t)
	}
	sort.Strings(want.OldTips)
	return want
}

// commitFile commits data at path (an existing file) on branch.
func commitFile(root string, gr *git.Repository, branch plumbing.ReferenceName, head *object.Commit, path string, data []byte, msg string) error {
	if err := safefile.Write(filepath.Join(root, filepath.FromSlash(path)), data, 0o644); err != nil {
		return err
	}
	blob := gr.Storer.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, err := blob.Writer()
	if err != nil {
		return err
	}
	w.Write(data)
	w.Close()
	blobID, err := gr.Storer.SetEncodedObject(blob)
	if err != nil {
		return err
	}
	tree, err := replaceInTree(gr, head.TreeHash, strings.Split(path, "/"), blobID)
	if err != nil {
		return err
	}
	sig := repo.Signature(gr)
	c := &object.Commit{Author: *sig, Committer: *sig, Message: msg, TreeHash: tree, ParentHashes: []plumbing.Hash{head.Hash}}
	obj := gr.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return err
	}
	id, err := gr.Storer.SetEncodedObject(obj)
	if err != nil {
		return err
	}
	idx, err := gr.Storer.Index()
	if err != nil {
		return err
	}
	e, err := idx.Entry(path)
	if err != nil {
		return fmt.Errorf("%s is not in the index: %w", path, err)
	}
	fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(path)))
	if err != nil {
		return err
	}
	e.Hash, e.Size, e.ModifiedAt = blobID, uint32(fi.Size()), fi.ModTime()
	statEntry(e, fi)
	idx.Cache = nil // the cached tree of ledger/ is stale now
	if err := gr.Storer.SetIndex(idx); err != nil {
		return err
	}
	return gr.Storer.CheckAndSetReference(plumbing.NewHashReference(branch, id), plumbing.NewHashReference(branch, head.Hash))
}

// replaceInTree is tree with the blob at path replaced by blob; the path
// must exist, so no entry moves and the order stays git's.
func replaceInTree(gr *git.Repository, tree plumbing.Hash, path []string, blob plumbing.Hash) (plumbing.Hash, error) {
	t, err := object.GetTree(gr.Storer, tree)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	found := false
	for i := range t.Entries {
		e := &t.Entries[i]
		if e.Name != path[0] {
			continue
		}
		found = true
		if len(path) == 1 {
			e.Hash = blob
		} else if e.Hash, err = replaceInTree(gr, e.Hash, path[1:], blob); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if !found {
		return plumbing.ZeroHash, fmt.Errorf("%s not found", strings.Join(path, "/"))
	}
	obj := gr.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return gr.Storer.SetEncodedObject(obj)
}

// forgetOldObjects makes git drop every object the rewrite left behind.
// This is real git, not go-git: go-git neither keeps nor expires reflogs,
// and its pruning and repacking handle loose objects only; it cannot
// rewrite the existing packs that still hold the old history.
func forgetOldObjects(root, gitDir string) error {
	// Stale commit-graph and multi-pack-index files describe the old
	// history; git rewrites what it needs on the next gc.
	for _, f := range []string{"objects/info/commit-graph", "objects/info/commit-graphs", "objects/pack/multi-pack-index"} {
		if err := os.RemoveAll(filepath.Join(gitDir, f)); err != nil {
			return err
		}
	}
	for _, args := range [][]string{
		{"reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all"},
		// -a without -A/-k: unreachable objects in the old packs are
		// dropped, not loosened; -d removes the old packs.
		{"repack", "-a", "-d", "-q"},
		{"prune", "--expire=now"},
	} {
		cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
	}
	return nil
}
