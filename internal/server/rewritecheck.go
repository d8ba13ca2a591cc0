package server

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/repo"
)

// A push that rewrites or deletes history is accepted only as a purge the
// server can recompute. The purge is deterministic (purge.Rewrite keeps
// every commit and tag header byte for byte), so the server rewrites its
// OWN history, read from its own object database (never the push's
// quarantine), removing the erased objects of its OWN ledger (the one at
// its current main tip, before the push), and compares object ids ref by
// ref. The push decides nothing but which recorded erasures it purges, and
// those only select among the server's own erasures: whatever it claims,
// the only history it can install is the server's history minus objects
// the server already had to erase.

// maxPurgeRecords bounds the commits a purge may add on top of the
// rewritten main branch: one ledger commit per purged request.
const maxPurgeRecords = 100

// rewriteCheck is the server's recomputation of a purge, made once per
// push, on the first update that needs it.
type rewriteCheck struct {
	ids      []string                        // the purged erasures the push's main branch records
	erased   map[plumbing.Hash]bool          // their objects, from the server's own ledger
	trusted  map[string]*ledger.Request      // the server's ledger before the push
	rewrites map[plumbing.Hash]plumbing.Hash // old ref value -> what the purge makes of it
	found    map[plumbing.Hash]bool          // versions the server's identity scan finds beyond the ledger's lists
	mainOld  plumbing.Hash                   // the server's main tip before the push
	why      string                          // set when the push's own ledger cannot be read
}

// rewriteVerdict is why a rewrite or deletion is refused ("" accepts it).
type rewriteVerdict string

// verifyRewrite decides a non-fast-forward update or a deletion of u.
func (s *server) verifyRewrite(u Update, all []Update, defaultRef plumbing.ReferenceName) (rewriteVerdict, error) {
	rc, err := s.rewriteCheck(all, defaultRef)
	if err != nil {
		return "", err
	}
	if rc.why != "" {
		return rewriteVerdict(rc.why), nil
	}
	if len(rc.erased) == 0 {
		return "no purge of an erasure in the server's own ledger is recorded on " + rewriteVerdict(defaultRef.Short()) + " (erase, push, then purge)", nil
	}
	want, ok := rc.rewrites[u.Old]
	if !ok {
		return "", fmt.Errorf("internal: %s was not recomputed", u.Old)
	}
	if u.New.IsZero() {
		if !want.IsZero() {
			return "the purge of " + rewriteVerdict(strings.Join(rc.ids, ", ")) + " keeps this ref; only a ref whose every commit held erased data goes", nil
		}
		return "", nil
	}
	if u.Ref != defaultRef {
		if want != u.New {
			return "the pushed value is not the server's history with the erased objects of " + rewriteVerdict(strings.Join(rc.ids, ", ")) + " removed", nil
		}
		return "", nil
	}
	if want.IsZero() {
		return "the purge would leave nothing of the main branch", nil
	}
	if v, err := s.purgeRecords(u.New, want, rc); v != "" || err != nil {
		return v, err
	}
	// An erasure removes the data from main's tip first; a purge only
	// cleans history. A "purge" that changes the tip would wipe live
	// records. (want is in the push: its id is the recomputed one, so its
	// content is too.)
	nc, err1 := s.commit(want)
	oc, err2 := s.commit(u.Old)
	if err1 != nil || err2 != nil {
		return "", fmt.Errorf("reading the tips of %s: %w", ShownRef(u.Ref), errors.Join(err1, err2))
	}
	if nc.TreeHash != oc.TreeHash {
		return "the erased objects are still on the tip of " + rewriteVerdict(defaultRef.Short()) + " on the server: erase there first (dossier erase), push, then purge", nil
	}
	return "", nil
}

// rewriteCheck computes (once) what the purge recorded by the push makes of
// every ref the push rewrites or deletes.
func (s *server) rewriteCheck(all []Update, defaultRef plumbing.ReferenceName) (*rewriteCheck, error) {
	if s.rewrite != nil {
		return s.rewrite, nil
	}
	rc := &rewriteCheck{rewrites: map[plumbing.Hash]plumbing.Hash{}}
	// The server's own objects, blind to the quarantine: nothing the
	// push brings is read.
	own := repo.OwnObjects(s.gitDir)
	defer func() { _ = own.Close() }() // read only: nothing to lose on close
	rc.mainOld = s.refs[defaultRef]
	trusted, err := purge.Ledger(own, rc.mainOld)
	if err != nil {
		return nil, fmt.Errorf("reading the server's ledger on %s: %w", defaultRef.Short(), err)
	}
	rc.trusted = trusted
	// Which erasures the push purges: those its main branch records as
	// purged (an earlier purge's are already gone, so including them
	// changes nothing). The objects come from the server's ledger only.
	after, err := purge.Ledger(s.objects, s.refAfter(defaultRef, all))
	if err != nil {
		rc.why = "the ledger on the pushed " + defaultRef.Short() + " cannot be read (" + err.Error() + ")"
		s.rewrite = rc
		return rc, nil
	}
	var reqs []*ledger.Request
	for id, r := range after {
		t := trusted[id]
		if r.Purged == nil || t == nil || t.Type != ledger.Erasure || len(t.ErasedObjects) == 0 {
			continue
		}
		rc.ids = append(rc.ids, id)
		reqs = append(reqs, t)
	}
	sort.Strings(rc.ids)
	if rc.erased, err = purge.ErasedSet(reqs); err != nil {
		return nil, err
	}
	// A purge also removes what identifies the subject beyond the ledger's
	// list (versions written after the erasure), and records those in the
	// ledger: the server finds them with the same keyless scan of its own
	// objects.
	found, err := purge.IdentityFound(s.gitDir, own, rc.mainOld, reqs)
	if err != nil {
		return nil, fmt.Errorf("the identity scan for %s: %w", strings.Join(rc.ids, ", "), err)
	}
	rc.found = map[plumbing.Hash]bool{}
	for _, list := range found {
		for _, o := range list {
			rc.found[plumbing.NewHash(o)] = true
			rc.erased[plumbing.NewHash(o)] = true
		}
	}
	var olds []plumbing.Hash
	for _, u := range all {
		if !u.Old.IsZero() {
			olds = append(olds, u.Old)
		}
	}
	if len(rc.erased) > 0 {
		if rc.rewrites, err = purge.Rewrite(own, rc.erased, olds); err != nil {
			return nil, fmt.Errorf("recomputing the purge of %s: %w", strings.Join(rc.ids, ", "), err)
		}
	}
	s.rewrite = rc
	return rc, nil
}

// purgeRecords accepts the pushed main tip when it is the recomputed
// rewrite with at most maxPurgeRecords commits on top that only record the
// purge: one parent, and the only change a ledger file of the server's
// ledger in which nothing but "purged" differs.
func (s *server) purgeRecords(tip, want plumbing.Hash, rc *rewriteCheck) (rewriteVerdict, error) {
	cur := tip
	for i := 0; cur != want; i++ {
		if i == maxPurgeRecords {
			return "the pushed main branch is not the server's history with the erased objects removed (plus the purge records)", nil
		}
		c, err := s.commit(cur)
		if err != nil {
			return "the pushed main branch is not the server's history with the erased objects removed", nil
		}
		if len(c.ParentHashes) != 1 {
			return rewriteVerdict("commit " + short(cur) + " on top of the recomputed purge is not a purge record (a merge or a root)"), nil
		}
		parent, err := s.commit(c.ParentHashes[0])
		if err != nil {
			return "", fmt.Errorf("reading commit %s: %w", short(c.ParentHashes[0]), err)
		}
		if v, err := s.onlyPurgeRecord(parent, c, rc); v != "" || err != nil {
			return v, err
		}
		cur = parent.Hash
	}
	return "", nil
}

// onlyPurgeRecord checks that c changes nothing but the "purged" entry of
// ledger files the server's ledger already holds.
func (s *server) onlyPurgeRecord(parent, c *object.Commit, rc *rewriteCheck) (rewriteVerdict, error) {
	pt, err := parent.Tree()
	if err != nil {
		return "", err
	}
	ct, err := c.Tree()
	if err != nil {
		return "", err
	}
	var bad string
	var changed []string
	err = diffTrees(pt, ct, "", func(name string, to *object.TreeEntry) {
		if to == nil || !strings.HasPrefix(name, ledger.Dir+"/") || !to.Mode.IsFile() {
			if bad == "" {
				bad = name
			}
			return
		}
		changed = append(changed, name)
	})
	if err != nil {
		return "", err
	}
	if bad != "" {
		return rewriteVerdict("commit " + short(c.Hash) + " on top of the recomputed purge changes " + bad + ": a purge record changes only ledger files"), nil
	}
	for _, name := range changed {
		f, err := ct.File(name)
		if err != nil {
			return "", err
		}
		text, err := f.Contents()
		if err != nil {
			return "", err
		}
		req, err := ledger.Parse([]byte(text))
		if err != nil || ledger.Path(req.ID) != name {
			return rewriteVerdict("commit " + short(c.Hash) + ": " + name + " is not a valid ledger entry"), nil
		}
		t := rc.trusted[req.ID]
		if t == nil || req.Purged == nil {
			return rewriteVerdict("commit " + short(c.Hash) + ": " + name + " is not a purge record of a request in the server's ledger"), nil
		}
		// The purge adds to erased_objects what it found by identity: only
		// what the server's own scan finds too, or what the server does
		// not hold (a version only the purging clone had). Never fewer.
		if len(identity.Minus(t.ErasedObjects, req.ErasedObjects)) > 0 {
			return rewriteVerdict("commit " + short(c.Hash) + ": " + name + " drops erased objects the server's ledger lists"), nil
		}
		for _, o := range identity.Minus(req.ErasedObjects, t.ErasedObjects) {
			h := plumbing.NewHash(o)
			if !isHash(o) || (!rc.found[h] && s.objects.HasEncodedObject(h) == nil) {
				return rewriteVerdict("commit " + short(c.Hash) + ": " + name + " lists an erased object the server holds but does not find by the subject's identity"), nil
			}
		}
		a, b := *t, *req
		a.Purged, b.Purged = nil, nil
		a.ErasedObjects, b.ErasedObjects = nil, nil
		ma, err1 := a.Marshal()
		mb, err2 := b.Marshal()
		if err1 != nil || err2 != nil || string(ma) != string(mb) {
			return rewriteVerdict("commit " + short(c.Hash) + ": " + name + " changes more than the purge record (\"purged\")"), nil
		}
	}
	return "", nil
}

// Rewrote reports whether an accepted push rewrote or deleted history: a
// ref deleted, or moved to a value its old value is not an ancestor of
// (tags peeled). Run from post-receive: pre-receive let such a push through
// only as a verified purge, after which the server must forget. A value
// git cannot place in history (a moved tag of a tree, a missing object)
// is an error, not an answer either way.
func Rewrote(gitDir string, updates []Update) (bool, error) {
	g := repo.AtGitDir(gitDir)
	for _, u := range updates {
		if u.Old.IsZero() {
			continue
		}
		if u.New.IsZero() {
			return true, nil
		}
		ff, err := isAncestor(g, u.Old, u.New)
		if err != nil {
			return false, fmt.Errorf("%s: %w", ShownRef(u.Ref), err)
		}
		if !ff {
			return true, nil
		}
	}
	return false, nil
}
