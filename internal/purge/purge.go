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
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/repo/odb"
	"github.com/vts/dossier/internal/safefile"
)

// ErrRefused marks a purge that was not started because its input is
// wrong; nothing was changed. Every refusal is a *RefusedError, which
// errors.Is matches with ErrRefused.
var ErrRefused = errors.New("purge refused")

// RefusedError is a purge that was not started because its input or the
// state of the repository is wrong; nothing was changed. Reason says what
// is wrong and what to do, in words for a person, so that a caller builds
// its message from it rather than from the error's text.
type RefusedError struct {
	Reason string
}

func (e *RefusedError) Error() string { return ErrRefused.Error() + ": " + e.Reason }

// Is makes errors.Is(err, ErrRefused) hold for every refusal.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Unwrap makes every purge refusal a refusal.Error, the one kind the
// command line exits 1 for.
func (e *RefusedError) Unwrap() error { return &refusal.Error{Msg: e.Reason} }

func refuse(format string, a ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, a...)}
}

// Options select what to purge and how.
type Options struct {
	Requests   []string // request ids
	AllPending bool     // every erasure that is done and not yet purged
	MapFile    string   // where the old->new commit map goes; default under .git/dossier/
	// Forget purges every erasure whose purge the main branch's ledger
	// records, records nothing and never moves the main branch: what a git
	// server runs after it accepted a purge push, so that no other ref (an
	// old tag, a branch nobody pushed) keeps erased objects alive.
	Forget bool
	// CrashAt makes the process stop dead (os.Exit, no cleanup) at a named
	// point ("after-objects", "mid-refs", "after-record", "before-cleanup").
	// TEST ONLY: it exists so the interruption tests can stop a purge at a
	// chosen step.
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
	Resumed   bool     // an interrupted purge was finished
	NoPending bool     // --all-pending found nothing to do
	Branch    string   // where the purge is recorded: the main branch
	Skipped   []string // Forget only: main branches left alone although they still hold erased objects
}

// Rewritten reports whether the purge changed any history, which is when
// clones, the server and backups must follow.
func (r *Result) Rewritten() bool { return r.Commits > 0 || len(r.Refs) > 0 }

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
	// Forget: nothing is recorded (see Options.Forget).
	Forget bool `json:"forget,omitempty"`
	// Found are the blobs that identify a request's subject but were not
	// in its ledger entry (see byIdentity), per request id: purged with
	// the listed ones, and added to the entry.
	Found map[string][]string `json:"found_by_identity,omitempty"`
}

func journalPath(gitDir string) string { return filepath.Join(gitDir, "dossier", "purge-journal.json") }

// Run purges the requests of opts from the repository at root (or
// finishes an interrupted purge first). root is a work tree's root or a
// bare repository (a git server: the purge is recorded on its HEAD branch
// and clients only need to clone again).
func Run(root string, opts Options) (*Result, error) {
	gitDir, workTree, err := Locate(root)
	if err != nil {
		return nil, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	// A purge killed while writing leaves its temporary pack behind.
	// It may hold objects a later erasure removed, so one that cannot be
	// removed stops the purge.
	if err := odb.RemoveStale(gitDir); err != nil {
		return nil, err
	}
	if j, err := readJournal(gitDir); err != nil {
		return nil, err
	} else if j != nil {
		if err := finish(gitDir, workTree, j, opts); err != nil {
			return nil, fmt.Errorf("finishing the interrupted purge of %s: %w", strings.Join(j.Requests, ", "), err)
		}
		return &Result{Requests: j.Requests, Commits: j.Commits, Dropped: j.Dropped, Refs: j.Refs, MapFile: j.MapFile, Resumed: true, Branch: j.Branch}, nil
	}
	r, err := repo.Open(root)
	if repo.UnsupportedExtension(err) {
		return nil, refuse("the repository's git configuration uses an extension dossier cannot open (%v); a sparse checkout made by \"git sparse-checkout\" sets extensions.worktreeConfig: run \"git sparse-checkout disable\" and \"git config --unset extensions.worktreeConfig\", purge, then set the sparse checkout up again", err)
	}
	if err != nil {
		return nil, err
	}
	branch, err := DefaultBranch(r, workTree == "")
	if err != nil {
		return nil, err
	}
	mainRef, err := r.Reference(branch, false)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, refuse("the repository has no commits on %s, its main branch", branch.Short())
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", branch, err)
	}
	all, err := Ledger(r.Storer, mainRef.Hash())
	if err != nil {
		return nil, refuse("reading the ledger on %s: %v", branch.Short(), err)
	}
	var reqs []*ledger.Request
	if opts.Forget {
		reqs = purgedRequests(all)
	} else {
		reqs, err = selectRequests(all, branch, opts)
	}
	if err != nil || len(reqs) == 0 {
		return &Result{NoPending: true}, err
	}
	headBranch, err := preflight(gitDir, workTree, r, mainRef, reqs)
	if err != nil {
		return nil, err
	}
	found, err := byIdentity(gitDir, r, branch, reqs)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, req := range reqs {
		ids = append(ids, req.ID)
	}
	erased, err := ErasedSet(reqs)
	if err != nil {
		return nil, refuse("%v", err)
	}
	for _, id := range ids {
		for _, o := range found[id] {
			erased[plumbing.NewHash(o)] = true
		}
	}

	// The refs are listed before the temporary pack exists: a failure
	// here leaves nothing to clean up.
	refs, err := allRefs(r.Git)
	if err != nil {
		return nil, err
	}
	// Rewrite into a temporary pack; nothing is visible yet.
	st := odb.OpenStore(gitDir)
	// Only read through (the new pack is written by odb.PackWriter):
	// closing its pack files loses nothing.
	defer func() { _ = st.Close() }()
	pack, err := odb.NewPackWriter(gitDir)
	if err != nil {
		return nil, errPack(err)
	}
	rw := newRewriter(st, erased, pack)
	rw.done = progress.New(opts.Progress, "purge: reading history, commits", 0)
	updates, err := rw.planRefs(refs)
	if err != nil {
		return nil, pack.Abort(err)
	}
	var skipped []string
	kept := updates[:0]
	for _, u := range updates {
		if u.Name != branch.String() && u.Name != headBranch.String() {
			kept = append(kept, u)
			continue
		}
		tip := plumbing.NewHash(u.Old)
		oldTree, err1 := rw.commitTree(tip)
		newTree, err2 := rw.rootTree(oldTree)
		if err := errors.Join(err1, err2); err != nil {
			return nil, pack.Abort(err)
		}
		if !u.Delete() && newTree == oldTree {
			kept = append(kept, u)
			continue
		}
		name := plumbing.ReferenceName(u.Name).Short()
		if opts.Forget {
			// The server's main branch is the clients' history: it is
			// only ever rewritten by a verified purge push.
			skipped = append(skipped, name)
			continue
		}
		return nil, pack.Abort(refuse("%s still holds erased objects at its tip: run \"dossier erase\" for %s on it first, then commit", name, strings.Join(ids, ", ")))
	}
	updates = kept
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
		Forget:   opts.Forget,
		Found:    found,
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
	if err := finish(gitDir, workTree, j, opts); err != nil {
		return nil, err
	}
	return &Result{Requests: ids, Commits: j.Commits, Dropped: j.Dropped, Refs: updates, MapFile: j.MapFile, Branch: j.Branch, Skipped: skipped}, nil
}

// crashExit is the exit status of the test-only interruption (see
// Options.CrashAt). os.Exit runs no deferred function and flushes nothing
// dossier buffers, so for the files on disk it is the same as a kill, and
// it builds on every platform.
const crashExit = 99

// crash is the test-only interruption point (see Options.CrashAt).
func crash(opts Options, point string) {
	if opts.CrashAt == point {
		os.Exit(crashExit)
	}
}

// selectRequests picks the requests to purge from the ledger of the main
// branch (all) and checks them.
func selectRequests(all map[string]*ledger.Request, branch plumbing.ReferenceName, opts Options) ([]*ledger.Request, error) {
	var reqs []*ledger.Request
	if opts.AllPending {
		for _, r := range all {
			if r.Type == ledger.Erasure && r.Status == ledger.Done && r.Purged == nil && len(r.ErasedObjects) > 0 {
				reqs = append(reqs, r)
			}
		}
		sort.Slice(reqs, func(i, j int) bool { return reqs[i].ID < reqs[j].ID })
		return reqs, nil
	}
	for _, id := range opts.Requests {
		if !ledger.ValidID(id) {
			return nil, refuse("%q is not a request id like DSR-2026-0042", id)
		}
		r := all[id]
		switch {
		case r == nil:
			return nil, refuse("request %s is not in the ledger on %s (commit the erasure there first; see \"dossier requests\")", id, branch.Short())
		case r.Type != ledger.Erasure:
			return nil, refuse("%s is a %s request, not an erasure: only erased data is purged from history", id, r.Type)
		case r.Status != ledger.Done:
			return nil, refuse("%s is not done yet (status %s): run \"dossier erase %s --request %s\" first", id, r.Status, r.Subject, id)
		case len(r.ErasedObjects) == 0:
			return nil, refuse("%s lists no erased objects in %s: nothing to purge", id, ledger.Path(id))
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

// preflight refuses a purge that would lose work or cannot be finished,
// before anything is written, and returns the branch HEAD is on ("" in a
// bare repository).
func preflight(gitDir, workTree string, r *repo.Repo, mainRef *plumbing.Reference, reqs []*ledger.Request) (plumbing.ReferenceName, error) {
	var headBranch plumbing.ReferenceName
	if workTree != "" {
		head, err := r.Reference(plumbing.HEAD, false)
		if err != nil {
			return "", fmt.Errorf("reading HEAD: %w", err)
		}
		if head.Type() != plumbing.SymbolicReference {
			return "", refuse("HEAD is detached: check out a branch (git switch main) before purging")
		}
		headBranch = head.Target()
		if _, err := r.Reference(headBranch, false); err != nil {
			return "", refuse("the branch HEAD is on (%s) has no commits", headBranch.Short())
		}
		why, err := repo.Unsettled(workTree)
		if err != nil {
			return "", err
		}
		if why != "" {
			return "", refuse("%s, then purge again", why)
		}
		dirty, err := repo.DirtyIn(workTree, nil)
		if err != nil {
			return "", err
		}
		if len(dirty) > 0 {
			return "", refuse("the work tree has uncommitted changes (%s): commit or stash them first (a stash is dropped by the purge)", dirty[0])
		}
	}
	ents, err := os.ReadDir(filepath.Join(gitDir, "worktrees"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("looking for linked work trees: %w", err)
	}
	if len(ents) > 0 {
		return "", refuse("the repository has linked work trees (%s): remove them with \"git worktree remove\" before purging; their index and HEAD would keep old objects alive", filepath.Join(gitDir, "worktrees"))
	}
	tree, err := odb.TreeOf(r.Storer, mainRef.Hash())
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", mainRef.Name().Short(), err)
	}
	for _, req := range reqs {
		kept := map[string]bool{}
		for _, k := range req.Kept {
			kept[k.Path] = true
		}
		for _, p := range req.ErasedPaths {
			if kept[p] {
				continue
			}
			_, present, err := odb.Find(r.Storer, tree, p)
			if err != nil {
				return "", fmt.Errorf("looking for %s on %s: %w", p, mainRef.Name().Short(), err)
			}
			if present {
				return "", refuse("%s is still present on %s although %s erased it: run \"dossier erase %s --request %s\" and commit there first", p, mainRef.Name().Short(), req.ID, req.Subject, req.ID)
			}
		}
	}
	return headBranch, nil
}

// allRefs is every ref that points at an object, as git lists them:
// symbolic refs (refs/remotes/origin/HEAD) are left out, since they move
// with their targets. HEAD is always a branch's by then: a detached HEAD
// refuses the purge.
func allRefs(g repo.Git) ([]repo.Ref, error) {
	refs, err := g.Refs()
	if err != nil {
		return nil, err
	}
	sym, err := g.Symrefs()
	if err != nil {
		return nil, err
	}
	out := refs[:0]
	for _, ref := range refs {
		if !sym[ref.Name] {
			out = append(out, ref)
		}
	}
	return out, nil
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
// ledger commit, the index and work tree, repack and prune. Every step can
// be repeated, so a rerun after a kill at any point finishes the purge.
func finish(gitDir, workTree string, j *journal, opts Options) error {
	r, err := repo.Open(orElse(workTree, gitDir))
	if err != nil {
		return err
	}
	if !j.RefsDone {
		if err := switchRefs(r.Git, j.Refs); err != nil {
			return err
		}
		crash(opts, "mid-refs")
		j.RefsDone = true
		if err := writeJournal(gitDir, j); err != nil {
			return err
		}
	}
	// The stash's reflog holds every older stash; transient heads name
	// commits of the old history.
	for _, f := range []string{"logs/refs/stash", "ORIG_HEAD", "FETCH_HEAD"} {
		if err := os.Remove(filepath.Join(gitDir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing .git/%s, which names the old history: %w", f, err)
		}
	}
	if !j.Forget {
		if err := recordPurge(r, j); err != nil {
			return fmt.Errorf("recording the purge in the ledger: %w", err)
		}
	}
	crash(opts, "after-record")
	if workTree != "" {
		if err := syncCheckout(r, gitDir, workTree, j); err != nil {
			return err
		}
	}
	crash(opts, "before-cleanup")
	if opts.Progress != nil {
		fmt.Fprintln(opts.Progress, "purge: repacking, so that the old objects leave the disk (git repack, prune)")
	}
	if err := forgetOldObjects(gitDir, workTree); err != nil {
		return err
	}
	if err := os.Remove(journalPath(gitDir)); err != nil {
		return fmt.Errorf("removing the finished purge's journal: %w", err)
	}
	return nil
}

// orElse is a, or b when a is empty.
func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// syncCheckout brings the index and work tree up to the new tip when the
// ledger commit went onto the checked-out branch. Git itself does it
// ("git read-tree -m -u HEAD"): it writes the index through index.lock and
// a rename, honours core.splitIndex and sparse checkout, and touches only
// the paths that differ (the ledger files), so a kill leaves the old or the
// new index, never a truncated one, and the next run does it again.
func syncCheckout(r *repo.Repo, gitDir, workTree string, j *journal) error {
	head, err := r.Reference(plumbing.HEAD, false)
	if err != nil {
		return fmt.Errorf("reading HEAD: %w", err)
	}
	if head.Type() != plumbing.SymbolicReference || head.Target().String() != j.Branch {
		return nil // another branch is checked out: its tip did not move
	}
	if _, err := os.Stat(filepath.Join(gitDir, "index.lock")); err == nil {
		return fmt.Errorf("the index is locked (.git/index.lock): if no git command is running, remove that file and run the purge again; it finishes where it stopped")
	}
	g := repo.At(workTree)
	// read-tree -m takes the index's stat data as they are: refreshed
	// first, a file that only looks changed (its stat data are stale, as
	// after a tool rewrote it with the same content) does not stop it,
	// while one really changed still does.
	if _, err := g.Run("update-index", "-q", "--refresh"); err != nil {
		return fmt.Errorf("refreshing the index before updating the work tree: %w", err)
	}
	if _, err := g.Run("read-tree", "-m", "-u", "HEAD"); err != nil {
		return fmt.Errorf("updating the index and work tree to the purge record (git read-tree -m -u HEAD): %w", err)
	}
	return nil
}

// switchRefs applies the planned updates that are not done yet, all in
// one "git update-ref --stdin" transaction: git locks every ref, writes
// each through its lock file and a rename, and moves all or none. (go-git
// truncates a ref file and writes it in place: a kill between the two
// leaves an empty ref.) A ref already at its new value is skipped, so a
// rerun finishes; one that someone else moved meanwhile stops the purge.
func switchRefs(g repo.Git, updates []RefUpdate) error {
	refs, err := g.Refs()
	if err != nil {
		return err
	}
	now := make(map[string]string, len(refs))
	for _, ref := range refs {
		now[ref.Name] = ref.Hash.String()
	}
	var b strings.Builder
	for _, u := range updates {
		old := u.Old
		cur, exists := now[u.Name]
		switch {
		case !exists:
			if u.Delete() {
				continue
			}
			old = plumbing.ZeroHash.String() // must still not exist
		case cur == u.New:
			continue
		case cur != u.Old:
			return fmt.Errorf("%s moved to %s during the purge (expected %s): the journal in .git/dossier is kept; reset the ref and run purge again", u.Name, cur, u.Old)
		}
		if u.Delete() {
			fmt.Fprintf(&b, "delete %s %s\n", u.Name, old)
		} else {
			fmt.Fprintf(&b, "update %s %s %s\n", u.Name, u.New, old)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return updateRefs(g, b.String())
}

// updateRefs runs one "git update-ref --stdin" transaction.
func updateRefs(g repo.Git, lines string) error {
	if _, err := g.RunInput(strings.NewReader(lines), "update-ref", "--stdin"); err != nil {
		return fmt.Errorf("moving the refs: %w", err)
	}
	return nil
}

// recordPurge sets Purged on each request's ledger entry and commits it on
// the journal's branch with the request trailers, unless that commit is
// already there (see commitFile). The journal's branch is the main branch,
// whatever is checked out, so a purge run on a side branch can be pushed.
func recordPurge(r *repo.Repo, j *journal) error {
	branch := plumbing.ReferenceName(j.Branch)
	for _, id := range j.Requests {
		ref, err := r.Reference(branch, false)
		if err != nil {
			return fmt.Errorf("reading %s: %w", branch, err)
		}
		head := ref.Hash()
		tree, err := odb.TreeOf(r.Storer, head)
		if err != nil {
			return fmt.Errorf("reading %s: %w", branch.Short(), err)
		}
		path := ledger.Path(id)
		e, ok, err := odb.Find(r.Storer, tree, path)
		if err != nil {
			return fmt.Errorf("reading %s on %s: %w", path, branch.Short(), err)
		}
		if !ok || !e.IsBlob() {
			return fmt.Errorf("%s is not a file on %s", path, branch.Short())
		}
		typ, text, err := odb.Read(r.Storer, e.Hash)
		if err != nil {
			return fmt.Errorf("reading %s on %s: %w", path, branch.Short(), err)
		}
		if typ != plumbing.BlobObject {
			return fmt.Errorf("%s on %s is a %s, not a file", path, branch.Short(), typ)
		}
		req, err := ledger.Parse(text)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		want := mergePurge(req.Purged, j)
		objects := identity.Union(req.ErasedObjects, j.Found[id])
		if req.Purged != nil && req.Purged.Date == want.Date && req.Purged.Commits == want.Commits &&
			strings.Join(req.Purged.OldTips, " ") == strings.Join(want.OldTips, " ") &&
			len(objects) == len(req.ErasedObjects) {
			continue // nothing new, or committed before an interruption
		}
		req.Purged = want
		req.ErasedObjects = objects
		data, err := req.Marshal()
		if err != nil {
			return err
		}
		if err := commitFile(r, branch, head, tree, path, data,
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

// commitFile commits data at path (an existing file) on branch, whose tip
// is head with tree, without touching an index or work tree (see
// syncCheckout): the same in a bare server repository as in a clone, and
// the same cost in a repository of 50,000 records as in one of five. The
// blob and the trees along path are written as loose objects; the commit
// by "git commit-tree", so that it is signed when git is configured to
// sign (commit.gpgSign, gpg.format=ssh): the git server accepts purge
// records from allowed signers only. Every write is checked before the
// branch moves, and the branch moves last, only from head: a failure
// leaves it where it was.
func commitFile(r *repo.Repo, branch plumbing.ReferenceName, head, tree plumbing.Hash, path string, data []byte, msg string) error {
	blob, err := odb.Write(r.Storer, plumbing.BlobObject, data)
	if err != nil {
		return fmt.Errorf("storing %s: %w", path, err)
	}
	newTree, err := odb.ReplaceBlob(r.Storer, tree, path, blob)
	if err != nil {
		return fmt.Errorf("writing the tree with %s: %w", path, err)
	}
	sign, err := r.SignsCommits()
	if err != nil {
		return err
	}
	id, err := r.CommitTree(newTree, []plumbing.Hash{head}, msg, repo.Signature(r.Repository), sign)
	if err != nil {
		return fmt.Errorf("committing %s: %w", path, err)
	}
	return updateRefs(r.Git, fmt.Sprintf("update %s %s %s\n", branch, id, head))
}

// forgetOldObjects makes git drop every object the rewrite left behind.
// This is real git, not go-git: go-git neither keeps nor expires reflogs,
// and its pruning and repacking handle loose objects only; it cannot
// rewrite the existing packs that still hold the old history.
func forgetOldObjects(gitDir, workTree string) error {
	// Stale commit-graph and multi-pack-index files describe the old
	// history; git rewrites what it needs on the next gc.
	for _, f := range []string{"objects/info/commit-graph", "objects/info/commit-graphs", "objects/pack/multi-pack-index"} {
		if err := os.RemoveAll(filepath.Join(gitDir, f)); err != nil {
			return fmt.Errorf("removing .git/%s, which describes the old history: %w", f, err)
		}
	}
	g := repo.AtGitDir(gitDir)
	if workTree != "" {
		g = repo.At(workTree) // prune keeps what the index names
	}
	for _, args := range [][]string{
		{"reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all"},
		// -a without -A/-k: unreachable objects in the old packs are
		// dropped, not loosened; -d removes the old packs.
		{"repack", "-a", "-d", "-q"},
		{"prune", "--expire=now"},
	} {
		if _, err := g.Run(args...); err != nil {
			return fmt.Errorf("making git forget the old objects: %w", err)
		}
	}
	return nil
}
