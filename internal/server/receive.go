package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/parallel"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/validate"
	"github.com/vts/dossier/internal/yamltree"
)

// Update is one line of pre-receive input: a ref moving from Old to New.
// A zero Old creates the ref, a zero New deletes it.
type Update struct {
	Old, New plumbing.Hash
	Ref      plumbing.ReferenceName
}

// ParseUpdates reads git's pre-receive input, "<old> <new> <ref>" per line.
// Anything else is an error: the input comes from git, and a hook that
// guessed would let a push through unchecked.
func ParseUpdates(r io.Reader) ([]Update, error) {
	var out []Update
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || !isHash(f[0]) || !isHash(f[1]) || !strings.HasPrefix(f[2], "refs/") {
			return nil, fmt.Errorf("pre-receive input line %d is not \"<old-id> <new-id> <ref>\"", n)
		}
		out = append(out, Update{Old: plumbing.NewHash(f[0]), New: plumbing.NewHash(f[1]), Ref: plumbing.ReferenceName(f[2])})
	}
	return out, sc.Err()
}

func isHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// Problem is one reason a ref update is refused.
type Problem struct {
	Ref     plumbing.ReferenceName
	Commit  string // short id of the commit that brings the file, if any
	Finding validate.Finding
}

func (p Problem) String() string {
	s := p.Finding.String()
	if p.Commit != "" {
		s += " [commit " + p.Commit + "]"
	}
	return s
}

// ReceiveResult is what pre-receive checked and what it refuses.
type ReceiveResult struct {
	Checked  int // record versions validated
	Problems []Problem
	// Bootstrap is set for the first push to an empty server, which is
	// checked against its own rules: there are no others yet.
	Bootstrap bool
	// Notices are what an accepted push should still tell the pusher,
	// such as a signed schema change that weakens protection.
	Notices []string
	files   map[string]bool // the record paths validated
}

// server is a bare repository seen from its pre-receive hook: objects the
// push brings sit in git's quarantine directory until the hook accepts.
type server struct {
	repo *repo.Repo // refs, HEAD and git runs on the repository
	// objects reads every object through git cat-file, which sees the
	// push's quarantined objects as well as the repository's own.
	objects *repo.CatFile
	// incoming holds only the pushed objects (nil when git gave no
	// quarantine path); a commit found there is new to the server.
	incoming *repo.Quarantine
	tips     map[plumbing.Hash]bool                   // current ref values: history already accepted
	refs     map[plumbing.ReferenceName]plumbing.Hash // the server's refs before the push
	gitDir   string
	rewrite  *rewriteCheck // the recomputed purge, once a push needs it
	trust    *trust        // what the push is judged by; from the server, not the push
}

// openServer opens the repository at gitDir with the push's quarantine
// layered on top. The caller closes s.objects.
func openServer(gitDir string) (*server, error) {
	r, err := repo.Open(gitDir)
	if err != nil {
		return nil, err
	}
	objects, err := r.Objects()
	if err != nil {
		return nil, err
	}
	s := &server{repo: r, objects: objects, incoming: repo.OpenQuarantine(gitDir), gitDir: gitDir, tips: map[plumbing.Hash]bool{}, refs: map[plumbing.ReferenceName]plumbing.Hash{}}
	refs, err := r.Git.Refs()
	if err != nil {
		_ = objects.Close() // the listing's error is what is reported
		return nil, err
	}
	for _, ref := range refs {
		s.tips[ref.Hash] = true
		s.refs[plumbing.ReferenceName(ref.Name)] = ref.Hash
	}
	return s, nil
}

// ServerDir is the git directory a hook runs in: $GIT_DIR, or dir itself
// for a bare repository, or dir/.git.
func ServerDir(dir string) string {
	if d := os.Getenv("GIT_DIR"); d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		return d
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return filepath.Join(dir, ".git")
	}
	return dir
}

// PreReceive checks every ref update of a push keylessly. It validates
// exactly the record versions the push brings: for each new commit, the
// records changed against its parents. Its cost grows with the push, not
// the repository. A deletion or non-fast-forward is refused unless the
// server recomputes it as a purge of its own history (see rewritecheck.go).
func PreReceive(gitDir string, updates []Update) (*ReceiveResult, error) {
	s, err := openServer(gitDir)
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.objects.Close() }() // a reader: nothing to lose on close
	res := &ReceiveResult{}
	defaultRef := s.defaultBranch()
	creatingMain := false
	for _, u := range updates {
		creatingMain = creatingMain || (u.Ref == defaultRef && !u.New.IsZero())
	}
	if s.trust, err = newTrust(s, gitDir, defaultRef, creatingMain); err != nil {
		return nil, err
	}
	for _, u := range updates {
		if err := s.check(u, updates, defaultRef, res); err != nil {
			return nil, fmt.Errorf("%s: %w", ShownRef(u.Ref), err)
		}
	}
	if len(updates) > 0 {
		if err := s.checkQuarantine(updates[0].Ref, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (s *server) defaultBranch() plumbing.ReferenceName {
	head, err := s.repo.Storer.Reference(plumbing.HEAD) // symbolic: not in the ref listing
	if err != nil || head.Type() != plumbing.SymbolicReference {
		return plumbing.NewBranchReferenceName("main")
	}
	return head.Target()
}

func (s *server) check(u Update, all []Update, defaultRef plumbing.ReferenceName, res *ReceiveResult) error {
	refuse := func(msg, fix string) {
		res.Problems = append(res.Problems, Problem{Ref: u.Ref, Finding: validate.Finding{File: ShownRef(u.Ref), Check: "history", Message: msg, Fix: fix}})
	}
	if u.New.IsZero() {
		if u.Ref == defaultRef {
			refuse("deleting the default branch is refused", "push a commit to it instead")
			return nil
		}
		why, err := s.verifyRewrite(u, all, defaultRef)
		if err != nil {
			return err
		}
		if why != "" {
			refuse("deleting a ref is refused: history on the server is only removed by a purge the server can recompute; "+string(why),
				"push a commit instead; to remove erased data run \"dossier purge --request ID\" in the server's repository (or on an up-to-date clone, then force-push its branches and tags)")
		}
		return nil
	}
	newCommit, err := s.commitOf(u.New)
	if err != nil {
		refuse("only commits (or tags of commits) can be pushed to a records repository", "push a branch or a tag that points to a commit")
		return nil
	}
	rewrite := false
	commits, boundary, err := s.newCommits(u, newCommit)
	if err != nil {
		return err
	}
	if !u.Old.IsZero() && !boundary[u.Old] {
		ff, err := s.isAncestor(u.Old, newCommit)
		if err != nil {
			return err
		}
		if !ff {
			why, err := s.verifyRewrite(u, all, defaultRef)
			if err != nil {
				return err
			}
			if why != "" {
				refuse("a non-fast-forward push (history rewrite) is refused: the server keeps history unless it can recompute the rewrite as a purge; "+string(why),
					"pull and rebase or merge (\"git pull\"), then push without --force; to remove erased data from history run \"dossier purge --request ID\" in the server's repository (or on an up-to-date clone, then force-push its branches and tags)")
			}
			// A verified purge brings no record blob the server does not
			// hold (its rewritten commits reuse the server's own blobs,
			// checked when they arrived, keys changes included; its
			// purge records change only the ledger): nothing to validate.
			return nil
		}
	}
	return s.checkUpdate(u, commits, rewrite, res)
}

// commitOf is the commit h names, peeling annotated tags.
func (s *server) commitOf(h plumbing.Hash) (*object.Commit, error) {
	if t, err := object.GetTag(s.objects, h); err == nil {
		return t.Commit()
	}
	return s.commit(h)
}

// commit reads the commit h, pushed or held.
func (s *server) commit(h plumbing.Hash) (*object.Commit, error) {
	return object.GetCommit(s.objects, h)
}

// readRecord reads the blob h of a record or ledger file, pushed or held;
// one above validate.MaxRecordSize is an error, never read whole.
func (s *server) readRecord(h plumbing.Hash) ([]byte, error) {
	var data []byte
	var readErr error
	err := s.objects.ReadEachMax([]plumbing.Hash{h}, validate.MaxRecordSize, func(_ int, d []byte, err error) {
		data, readErr = d, err
	})
	if err != nil {
		return nil, err
	}
	if errors.Is(readErr, repo.ErrTooLarge) {
		return nil, validate.ErrTooLarge
	}
	return data, readErr
}

// refAfter is the value ref will have once the push is accepted.
func (s *server) refAfter(ref plumbing.ReferenceName, all []Update) plumbing.Hash {
	for _, u := range all {
		if u.Ref == ref {
			return u.New
		}
	}
	return s.refs[ref]
}

// newCommits walks back from the pushed commit to the history the server
// has accepted: the old value, any current ref tip, and any commit a ref
// reaches. It returns the new commits and the known commits where the walk
// stopped.
func (s *server) newCommits(u Update, c *object.Commit) ([]*object.Commit, map[plumbing.Hash]bool, error) {
	// New means reachable from no ref: a commit the server still holds
	// unreferenced (an old main a purge replaced) is not history it
	// accepted, and an old clone pushing it under a new name brings it
	// back; it is checked like any other.
	fresh, err := repo.NewCommits(s.gitDir, c.Hash.String())
	if err != nil {
		return nil, nil, err
	}
	known := func(h plumbing.Hash) bool {
		return h == u.Old || s.tips[h] || !fresh[h.String()]
	}
	boundary := map[plumbing.Hash]bool{}
	seen := map[plumbing.Hash]bool{c.Hash: true}
	if known(c.Hash) {
		boundary[c.Hash] = true
		return nil, boundary, nil
	}
	var out []*object.Commit
	queue := []*object.Commit{c}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		out = append(out, cur)
		for _, p := range cur.ParentHashes {
			if seen[p] {
				continue
			}
			seen[p] = true
			if known(p) {
				boundary[p] = true
				continue
			}
			pc, err := s.commit(p)
			if err != nil {
				return nil, nil, fmt.Errorf("reading commit %s: %w", short(p), err)
			}
			queue = append(queue, pc)
		}
	}
	return out, boundary, nil
}

// isAncestor reports whether old is in the history of c. It is only asked
// when the walk over new commits did not end at old, which is rare for an
// ordinary push (a merge of a branch that was already on the server).
// An old value that is not a commit (a moved annotated tag) is not: the
// update replaces what the ref named, and is judged as a rewrite.
func (s *server) isAncestor(old plumbing.Hash, c *object.Commit) (bool, error) {
	if _, err := s.commit(old); errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading commit %s: %w", short(old), err)
	}
	return isAncestor(s.repo.Git, old, c.Hash)
}

// isAncestor asks git whether old is in the history of h: exit 0 is yes,
// 1 is no, and anything else is a failure to answer, never taken as
// either.
func isAncestor(g repo.Git, old, h plumbing.Hash) (bool, error) {
	_, err := g.Run("merge-base", "--is-ancestor", old.String(), h.String())
	switch {
	case err == nil:
		return true, nil
	case repo.ExitCode(err) == 1:
		return false, nil
	}
	return false, fmt.Errorf("is %s an ancestor of %s: %w", short(old), short(h), err)
}

// version is one record file as a commit brings it.
type version struct {
	rel    string
	blob   plumbing.Hash
	commit plumbing.Hash
}

// diffTrees calls fn for every file path that differs between trees a and
// b (either may be nil), with b's entry (nil when b deletes the path).
// Subtrees with equal ids are skipped without being read, so the cost is
// the size of the change times the depth, not the size of the tree. (go-git's
// DiffTree reads every subtree of a changed folder to count its children.)
func diffTrees(a, b *object.Tree, prefix string, fn func(name string, to *object.TreeEntry)) error {
	return diffEntries(a, b, prefix, func(name string, _, to *object.TreeEntry) { fn(name, to) })
}

// diffEntries is diffTrees that also gives a's entry (nil when b adds the
// path or a has a folder there).
func diffEntries(a, b *object.Tree, prefix string, fn func(name string, from, to *object.TreeEntry)) error {
	from := map[string]*object.TreeEntry{}
	if a != nil {
		for i := range a.Entries {
			from[a.Entries[i].Name] = &a.Entries[i]
		}
	}
	sub := func(t *object.Tree, e *object.TreeEntry) (*object.Tree, error) {
		if t == nil || e == nil || e.Mode != filemode.Dir {
			return nil, nil
		}
		return t.Tree(e.Name)
	}
	visit := func(name string, ea, eb *object.TreeEntry) error {
		if ea != nil && eb != nil && ea.Hash == eb.Hash && ea.Mode == eb.Mode {
			return nil
		}
		aDir, bDir := ea != nil && ea.Mode == filemode.Dir, eb != nil && eb.Mode == filemode.Dir
		if aDir || bDir {
			ta, err := sub(a, ea)
			if err != nil {
				return err
			}
			tb, err := sub(b, eb)
			if err != nil {
				return err
			}
			if err := diffEntries(ta, tb, prefix+name+"/", fn); err != nil {
				return err
			}
		}
		var from *object.TreeEntry
		if ea != nil && !aDir {
			from = ea
		}
		switch {
		case eb != nil && !bDir:
			fn(prefix+name, from, eb)
		case from != nil:
			fn(prefix+name, from, nil)
		}
		return nil
	}
	if b != nil {
		for i := range b.Entries {
			eb := &b.Entries[i]
			ea := from[eb.Name]
			delete(from, eb.Name)
			if err := visit(eb.Name, ea, eb); err != nil {
				return err
			}
		}
	}
	for name, ea := range from {
		if err := visit(name, ea, nil); err != nil {
			return err
		}
	}
	return nil
}

// allRecords adds every record of tree that is not already listed.
func allRecords(tree *object.Tree, have []version) ([]version, error) {
	listed := map[string]bool{}
	for _, v := range have {
		listed[v.rel+" "+v.blob.String()] = true
	}
	sub, err := repo.Subtree(tree, record.Dir)
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return have, nil
	}
	w := object.NewTreeWalker(sub, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !e.Mode.IsFile() {
			continue
		}
		rel := record.Dir + "/" + name
		if !listed[rel+" "+e.Hash.String()] {
			have = append(have, version{rel: rel, blob: e.Hash})
		}
	}
	return have, nil
}

// validate checks versions in parallel. Blobs are read by the feeding
// goroutine alone, in one pipelined exchange with git cat-file, while the
// workers check the ones already read.
func (s *server) validate(c *validate.Checker, versions []version) []Problem {
	type job struct {
		v    version
		data []byte
		err  error
	}
	var mu sync.Mutex
	var out []Problem
	blobs := make([]plumbing.Hash, len(versions))
	for i, v := range versions {
		blobs[i] = v.blob
	}
	var readErr error
	parallel.Feed(0, func(send func(job)) {
		readErr = s.objects.ReadEachMax(blobs, validate.MaxRecordSize, func(i int, data []byte, err error) {
			send(job{v: versions[i], data: data, err: err})
		})
	}, func() func(job) {
		var parser yamltree.Parser // one per worker: a parser keeps state
		return func(j job) {
			var fs []validate.Finding
			switch {
			case errors.Is(j.err, repo.ErrTooLarge) || errors.Is(j.err, validate.ErrTooLarge):
				fs = []validate.Finding{{File: j.v.rel, Check: "read", Message: validate.ErrTooLarge.Error(), Fix: "a record holds a few kB: remove the file from the commits that bring it"}}
			case j.err != nil:
				fs = []validate.Finding{{File: j.v.rel, Check: "read", Message: "cannot be read on the server: " + j.err.Error(), Fix: "push again; if it persists, run \"git fsck\" on the server"}}
			default:
				fs = c.CheckWith(&parser, j.v.rel, j.data)
			}
			if len(fs) == 0 {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, f := range fs {
				out = append(out, Problem{Commit: short(j.v.commit), Finding: f})
			}
		}
	})
	if readErr != nil {
		out = append(out, Problem{Finding: validate.Finding{File: "(objects)", Check: "read", Message: "reading the pushed records failed: " + readErr.Error(), Fix: "push again; if it persists, run \"git fsck\" on the server"}})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Finding, out[j].Finding
		if a.File != b.File {
			return a.File < b.File
		}
		if out[i].Commit != out[j].Commit {
			return out[i].Commit < out[j].Commit
		}
		return a.Line < b.Line
	})
	return out
}

func short(h plumbing.Hash) string {
	if h.IsZero() {
		return ""
	}
	return h.String()[:10]
}
