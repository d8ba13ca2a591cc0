package server

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/githook"
	"github.com/vts/dossier/internal/layout"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/settings"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
)

// policyKey names the rules a commit carries: the ids of its schema/
// tree, .sops.yaml and dossier.yaml. Equal keys are equal rules, so the
// rules are loaded once per push for each distinct key.
type policyKey struct{ schema, sops, settings plumbing.Hash }

func keyOf(t *object.Tree) policyKey {
	var k policyKey
	for _, e := range t.Entries {
		switch e.Name {
		case "schema":
			k.schema = e.Hash
		case sopsfile.ConfigFile:
			k.sops = e.Hash
		case settings.File:
			k.settings = e.Hash
		}
	}
	return k
}

// pending is a new commit of an update, with its tree.
type pending struct {
	c    *object.Commit
	tree *object.Tree
}

// policy is the rules of one commit, loaded.
type policy struct {
	key     policyKey
	tree    *object.Tree
	checker *validate.Checker // nil when the rules cannot be loaded
	setup   []validate.Finding
	kinds   layout.Kinds
}

// trust is what a push is judged by: the rules of the server's own main
// tip, the signers the server's admin allows to change them, and the
// erasures of the server's own ledger. Nothing of it comes from the push,
// except rules that a commit signed by an allowed signer brings.
type trust struct {
	gitDir string
	// base is the rules of the server's main tip; nil at bootstrap.
	base *policy
	// bootstrap: the server holds no ref yet; the first push is checked
	// against its own rules, as nothing else exists to check it against.
	bootstrap bool
	noMain    bool // the server has refs but no main to take rules from
	mainName  string
	signers   string
	// signersErr is set when a configured allowed-signers file cannot be
	// read: every change that needs a signature is refused with it.
	signersErr  string
	signersRead bool
	erased      *erasedSet
	policies    map[policyKey]*policy
	// authorized are rules that a signed commit of this push introduced.
	authorized map[policyKey]bool
	ids        *sopsfile.Identities
	reported   map[*policy]bool // policies whose own defects were reported
	// erasedNamed are erased objects already refused at a path.
	erasedNamed map[plumbing.Hash]bool
	checked     map[plumbing.Hash]bool // commits checked by an earlier update
	versions    map[string]bool        // "<policy> <path> <blob>" already validated
}

// newTrust reads the server's trusted state once per push. creatingMain
// says the push creates the default branch: on a server that has none yet
// (empty, or holding only other refs), that push is the bootstrap.
func newTrust(s *server, gitDir string, defaultRef plumbing.ReferenceName, creatingMain bool) (*trust, error) {
	main, ok := s.refs[defaultRef]
	if !ok {
		t, err := newTrustAt(s, gitDir, nil, nil)
		if err != nil {
			return nil, err
		}
		t.bootstrap = len(s.tips) == 0 || creatingMain
		t.noMain = !t.bootstrap
		t.mainName = defaultRef.Short()
		return t, nil
	}
	c, err := s.commit(main)
	if err != nil {
		return nil, fmt.Errorf("reading the server's %s: %w", defaultRef.Short(), err)
	}
	return newTrustAt(s, gitDir, c, nil)
}

// newTrustAt is the trusted state of a repository whose main is at base
// (nil: none). ids open records in keyed mode (validate --range); the
// server has none.
func newTrustAt(s *server, gitDir string, base *object.Commit, ids *sopsfile.Identities) (*trust, error) {
	t := &trust{gitDir: gitDir, ids: ids, reported: map[*policy]bool{}, erasedNamed: map[plumbing.Hash]bool{}, policies: map[policyKey]*policy{}, authorized: map[policyKey]bool{}, checked: map[plumbing.Hash]bool{}, versions: map[string]bool{}, erased: &erasedSet{}}
	if base != nil {
		tree, err := base.Tree()
		if err != nil {
			return nil, err
		}
		t.base = t.load(tree)
		if t.erased, err = loadErased(s, tree); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// loadSigners reads the allowed-signers configuration the first time a
// commit needs it: most pushes change no rule and never ask.
func (t *trust) loadSigners() {
	if t.signersRead {
		return
	}
	t.signersRead = true
	var err error
	if t.signers, err = repo.AllowedSigners(t.gitDir); err != nil {
		t.signersErr = err.Error()
	}
}

func (t *trust) load(tree *object.Tree) *policy {
	k := keyOf(tree)
	if p := t.policies[k]; p != nil {
		return p
	}
	p := &policy{key: k, tree: tree}
	p.checker, p.setup = validate.Setup(repo.TreeFS{Tree: tree})
	if p.checker != nil {
		p.checker.Identities = t.ids
		p.kinds = layout.Kinds{}
		for name := range p.checker.Schemas.Kinds {
			p.kinds[name] = true
		}
	}
	t.policies[k] = p
	return p
}

// policyFor is the rules the records of a commit with tree are checked
// against: the server's main unless the commit carries rules that a signed
// commit of this push brought (or the push is the bootstrap).
func (t *trust) policyFor(tree *object.Tree) *policy {
	k := keyOf(tree)
	if t.base != nil && k == t.base.key {
		return t.base
	}
	if t.bootstrap || t.authorized[k] {
		return t.load(tree)
	}
	return t.base
}

// fixSigners is how an admin sets up the allowed-signers list; it is
// printed whenever a change needs a signature the server cannot check.
const fixSigners = "an admin lists the privacy officers' SSH keys in a file on the server (\"officer@example.invalid ssh-ed25519 AAAA...\", one per line) and runs \"git config dossier.allowedSignersFile /etc/dossier/allowed_signers\" in the server repository; officers sign with \"git commit -S\" (git config gpg.format ssh, user.signingkey ~/.ssh/id_ed25519.pub); see the README, \"The git server\""

// checkUpdate checks the new commits of one ref update: their messages,
// paths, erased objects and subjects, signatures on rule changes, and
// their record versions against the trusted rules. rewrite is set when
// the update replaces history as a verified purge: its commits are the
// server's own history minus erased objects, so the rule changes in them
// were authorised when they first arrived.
func (s *server) checkUpdate(u Update, commits []*object.Commit, rewrite bool, res *ReceiveResult) error {
	t := s.trust
	refuse := func(commit plumbing.Hash, f validate.Finding) {
		res.Problems = append(res.Problems, Problem{Ref: u.Ref, Commit: short(commit), Finding: f})
	}
	if t.noMain {
		refuse(plumbing.ZeroHash, validate.Finding{File: "HEAD", Check: "policy", Message: "the server has no " + t.mainName + " branch (its HEAD) to take the rules from", Fix: "push " + t.mainName + " first; or an admin points HEAD at the protected branch (\"git symbolic-ref HEAD refs/heads/<branch>\" in the server repository)"})
		return nil
	}
	if t.bootstrap {
		res.Bootstrap = true
	}
	for _, p := range githook.CheckRefName(u.Ref) {
		refuse(plumbing.ZeroHash, p)
	}
	if err := s.checkTags(u, refuse); err != nil {
		return err
	}
	var todo []pending
	for _, c := range commits {
		if t.checked[c.Hash] {
			continue
		}
		t.checked[c.Hash] = true
		tree, err := c.Tree()
		if err != nil {
			return fmt.Errorf("reading commit %s: %w", short(c.Hash), err)
		}
		todo = append(todo, pending{c, tree})
	}
	// Signatures first, parents before children: rules a signed commit
	// brings apply to the records of every commit that carries them, and
	// its descendants need no signature of their own to keep them.
	byPolicy := map[*policy][]version{}
	for _, p := range parentsFirst(todo) {
		ruled, err := s.checkAuthority(p.c, p.tree, rewrite, refuse, res)
		if err != nil {
			return err
		}
		if ruled {
			// New rules apply to every record the commit holds, not only
			// to those it changes: records a recipient change left behind
			// are refused here.
			pol := t.load(p.tree)
			if byPolicy[pol], err = allRecords(p.tree, byPolicy[pol]); err != nil {
				return err
			}
		}
	}
	for _, p := range todo {
		for _, f := range githook.CheckStored(p.c.Message, p.c.Author.Email, p.c.Committer.Email) {
			refuse(p.c.Hash, f)
		}
		pol := t.policyFor(p.tree)
		if pol == nil {
			continue
		}
		vs, err := s.commitChanges(p.c, p.tree, pol, rewrite, refuse)
		if err != nil {
			return err
		}
		byPolicy[pol] = append(byPolicy[pol], vs...)
	}
	for pol, vs := range byPolicy {
		// Defects of rules the push brings are the push's; those of the
		// server's own rules predate it, unless they stop every check.
		if (pol != t.base || pol.checker == nil) && !t.reported[pol] {
			t.reported[pol] = true
			for _, f := range pol.setup {
				refuse(plumbing.ZeroHash, f)
			}
		}
		if pol.checker == nil {
			continue
		}
		var fresh []version
		for _, v := range vs {
			k := fmt.Sprintf("%p %s %s", pol, v.rel, v.blob)
			if !t.versions[k] {
				t.versions[k] = true
				fresh = append(fresh, v)
			}
		}
		res.Checked += len(fresh)
		if res.files == nil {
			res.files = map[string]bool{}
		}
		for _, v := range fresh {
			res.files[v.rel] = true
		}
		for _, p := range s.validate(pol.checker, fresh) {
			p.Ref = u.Ref
			res.Problems = append(res.Problems, p)
		}
	}
	return nil
}

// parentsFirst orders commits so that each comes after its parents among
// them (a depth-first post-order; the walk that found them is breadth
// first, which is not topological across merges).
func parentsFirst(todo []pending) []pending {
	index := make(map[plumbing.Hash]int, len(todo))
	for i, p := range todo {
		index[p.c.Hash] = i
	}
	done := make([]bool, len(todo))
	out := make([]pending, 0, len(todo))
	type frame struct{ i, next int }
	for start := range todo {
		if done[start] {
			continue
		}
		done[start] = true
		stack := []frame{{start, 0}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			parents := todo[f.i].c.ParentHashes
			if f.next < len(parents) {
				j, ok := index[parents[f.next]]
				f.next++
				if ok && !done[j] {
					done[j] = true
					stack = append(stack, frame{j, 0})
				}
				continue
			}
			out = append(out, todo[f.i])
			stack = stack[:len(stack)-1]
		}
	}
	return out
}

// checkAuthority refuses a commit that changes the rules (schema/,
// .sops.yaml, dossier.yaml) or records a purge in the ledger unless an
// allowed signer signed it, and names a schema change that weakens
// protection.
func (s *server) checkAuthority(c *object.Commit, tree *object.Tree, rewrite bool, refuse func(plumbing.Hash, validate.Finding), res *ReceiveResult) (bool, error) {
	t := s.trust
	if t.bootstrap {
		return false, nil
	}
	k := keyOf(tree)
	var parents []*object.Tree
	// A commit changes the rules when it carries rules that are neither
	// the server's main's nor already signed in this push, and that
	// differ from a parent's: a merge that takes an old branch's weaker
	// rules is a change, a merge into main's current rules is not.
	settled := k == t.base.key || t.authorized[k]
	changed := len(c.ParentHashes) == 0 && !settled
	for _, ph := range c.ParentHashes {
		pc, err := s.commit(ph)
		if err != nil {
			return false, fmt.Errorf("reading commit %s: %w", short(ph), err)
		}
		pt, err := pc.Tree()
		if err != nil {
			return false, err
		}
		parents = append(parents, pt)
		if keyOf(pt) != k && !settled {
			changed = true
		}
	}
	if len(parents) == 0 {
		parents = []*object.Tree{t.base.tree}
	}
	purge, err := s.purgeRecorded(tree, parents)
	if err != nil {
		return false, err
	}
	if rewrite {
		changed = false
	}
	if !changed && !purge {
		return false, nil
	}
	var what []string
	if changed {
		what = append(what, "changes the rules (schema/, .sops.yaml or dossier.yaml)")
	}
	if purge {
		what = append(what, "records a purge in the ledger")
	}
	var weak []string
	if changed {
		weak = weakenings(parents[0], tree)
	}
	subject := "this commit " + strings.Join(what, " and ")
	if len(weak) > 0 {
		subject += "; the schema change WEAKENS protection: " + strings.Join(weak, "; ")
	}
	t.loadSigners()
	fail := func(why, fix string) {
		refuse(c.Hash, validate.Finding{File: "(commit)", Check: "authority", Message: subject + ": " + why, Fix: fix})
	}
	switch {
	case t.signersErr != "":
		fail("the server cannot check who signed it: "+t.signersErr, "an admin fixes the server's git config "+repo.SignersKey)
		return false, nil
	case t.signers == "":
		fail("such a change must be signed by a privacy officer or admin, and this server has no allowed-signers list configured (safe default: refused)", fixSigners)
		return false, nil
	case !strings.HasPrefix(strings.TrimSpace(c.PGPSignature), "-----BEGIN SSH SIGNATURE-----"):
		fail("it is not signed; such a change must be signed (SSH) by someone in the server's allowed-signers list", "have a privacy officer or admin sign it: \"git commit --amend -S\" with git config gpg.format ssh and user.signingkey set")
		return false, nil
	}
	if err := repo.VerifyCommit(t.gitDir, t.signers, c.Hash.String()); err != nil {
		fail(err.Error()+"; such a change must be signed by someone in the server's allowed-signers list", "have a privacy officer or admin whose key is in the list sign it (\"git commit --amend -S\"), or ask an admin to add their key")
		return false, nil
	}
	if changed {
		t.authorized[k] = true
	}
	if len(weak) > 0 {
		res.Notices = append(res.Notices, fmt.Sprintf("commit %s is signed by an allowed signer and WEAKENS protection: %s", short(c.Hash), strings.Join(weak, "; ")))
	}
	return changed, nil
}

// purgeRecorded reports whether tree's ledger adds or changes the purged
// record of a request, compared with each parent.
func (s *server) purgeRecorded(tree *object.Tree, parents []*object.Tree) (bool, error) {
	dir, err := repo.Subtree(tree, ledger.Dir)
	if err != nil {
		return false, fmt.Errorf("reading %s/: %w", ledger.Dir, err)
	}
	if dir == nil {
		return false, nil
	}
	for _, pt := range parents {
		// A parent ledger that cannot be read counts as changed
		// everywhere: the signature is then asked for (fails closed).
		pdir, _ := repo.Subtree(pt, ledger.Dir)
		if pdir != nil && pdir.Hash == dir.Hash {
			continue
		}
		for _, e := range dir.Entries {
			if !e.Mode.IsFile() {
				continue
			}
			var old *object.TreeEntry
			if pdir != nil {
				old, _ = pdir.FindEntry(e.Name)
			}
			if old != nil && old.Hash == e.Hash {
				continue
			}
			now := s.purgeOf(e.Hash)
			if now == "" {
				continue
			}
			if old == nil || s.purgeOf(old.Hash) != now {
				return true, nil
			}
		}
	}
	return false, nil
}

// purgeOf is the purged record of a ledger blob as text, "" when it has
// none or cannot be read (its own check reports that).
func (s *server) purgeOf(h plumbing.Hash) string {
	data, err := s.readRecord(h)
	if err != nil {
		return ""
	}
	r, err := ledger.Parse(data)
	if err != nil || r.Purged == nil {
		return ""
	}
	return fmt.Sprintf("%v", *r.Purged)
}

// commitChanges checks every path c adds or changes against each parent
// (the layout whitelist, erased objects and subjects, the ledger's rules)
// and returns the record versions to validate. In a purge's rewrite those
// are only the blobs the server does not already hold: the others were
// checked when they arrived, at the same paths, under the rules of their
// time (a rewrite across a keys change brings old recipients back into
// rewritten commits, rightly). Elsewhere a held blob at a changed path is
// validated too: a record reverted to a version encrypted to a removed
// key, or copied to another customer's folder, is new at that path.
func (s *server) commitChanges(c *object.Commit, tree *object.Tree, pol *policy, rewrite bool, refuse func(plumbing.Hash, validate.Finding)) ([]version, error) {
	t := s.trust
	parents := c.ParentHashes
	if len(parents) == 0 {
		parents = []plumbing.Hash{plumbing.ZeroHash}
	}
	seen := map[string]bool{}
	var out []version
	for _, ph := range parents {
		var ptree *object.Tree
		if !ph.IsZero() {
			pc, err := s.commit(ph)
			if err != nil {
				return nil, fmt.Errorf("reading commit %s: %w", short(ph), err)
			}
			if ptree, err = pc.Tree(); err != nil {
				return nil, err
			}
		}
		var ferr error
		err := diffEntries(ptree, tree, "", func(name string, from, to *object.TreeEntry) {
			if to == nil || ferr != nil {
				return
			}
			key := name + " " + to.Hash.String() + " " + to.Mode.String()
			if seen[key] {
				return
			}
			seen[key] = true
			if p := layout.Check(name, githook.EntryKind(to.Mode), pol.kinds); p != nil {
				refuse(c.Hash, validate.Finding{File: p.Path, Check: "layout", Message: p.Rule, Fix: p.Fix})
				return
			}
			if id := t.erased.object(to.Hash); id != "" {
				t.erasedNamed[to.Hash] = true
				refuse(c.Hash, validate.Finding{File: name, Check: "erased", Message: "brings back an object erased by request " + id, Fix: "drop the commit that brings it (\"git rebase -i\"), or clone the repository again from the server: erased data stays erased"})
				return
			}
			if strings.HasPrefix(name, record.Dir+"/") {
				if id := t.erased.record(name); id != "" {
					refuse(c.Hash, validate.Finding{File: name, Check: "erased", Message: "is a record of a subject erased by request " + id + " (its ids may not be used again)", Fix: "drop the commit that brings it (\"git rebase -i\"), or clone the repository again from the server; a new subject gets a new id"})
					return
				}
				if rewrite && s.holds(to.Hash) {
					return // checked when it first arrived
				}
				out = append(out, version{rel: name, blob: to.Hash, commit: c.Hash})
				return
			}
			if strings.HasPrefix(name, ledger.Dir+"/") && !s.holds(to.Hash) {
				ferr = s.checkLedger(c.Hash, name, to.Hash, pol, refuse)
			}
		})
		if err != nil {
			return nil, err
		}
		if ferr != nil {
			return nil, ferr
		}
	}
	return out, nil
}

// holds reports whether the server already held the object before this
// push: it is not among the quarantined objects the push brought. Without
// a quarantine nothing can be told apart, and everything is checked.
func (s *server) holds(h plumbing.Hash) bool {
	return s.incoming != nil && !s.incoming.Has(h)
}

// checkQuarantine refuses a push that carries an erased object no pushed
// tree names: git would keep it in the server's object database all the
// same, and "erased" would no longer be true there. The cost is one look
// at the ids of what the push brought (the pack indexes and loose objects
// in git's quarantine), not at the objects themselves.
func (s *server) checkQuarantine(ref plumbing.ReferenceName, res *ReceiveResult) error {
	t := s.trust
	if s.incoming == nil || t == nil || len(t.erased.ids) == 0 {
		return nil
	}
	found := map[string]bool{}
	check := func(h plumbing.Hash) {
		if id := t.erased.object(h); id != "" && !t.erasedNamed[h] && !found[id] {
			found[id] = true
			res.Problems = append(res.Problems, Problem{Ref: ref, Finding: validate.Finding{File: "(objects)", Check: "erased", Message: "the push carries an object erased by request " + id + " (object " + short(h) + ")", Fix: "clone the repository again from the server and push from the fresh clone: erased data stays erased"}})
		}
	}
	return s.incoming.Each(check)
}

func (s *server) checkLedger(commit plumbing.Hash, name string, blob plumbing.Hash, pol *policy, refuse func(plumbing.Hash, validate.Finding)) error {
	data, err := s.readRecord(blob)
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	for _, f := range pol.checker.CheckLedger(name, data) {
		refuse(commit, f)
	}
	return nil
}

// checkTags checks the message and name of an annotated tag the update
// brings (and of tags it points to).
func (s *server) checkTags(u Update, refuse func(plumbing.Hash, validate.Finding)) error {
	h := u.New
	for range 16 {
		if h.IsZero() || s.holds(h) && s.incoming != nil {
			return nil
		}
		tag, err := object.GetTag(s.objects, h)
		if err != nil {
			return nil // not a tag
		}
		for _, f := range githook.CheckStored(tag.Message, tag.Tagger.Email) {
			f.File = "(tag message)"
			refuse(h, f)
		}
		if tag.TargetType != plumbing.TagObject {
			return nil
		}
		h = tag.Target
	}
	return nil
}

// ShownRef is the ref name as the hook may print it: a name that looks
// like an e-mail address or phone number is not repeated.
func ShownRef(ref plumbing.ReferenceName) string {
	if len(githook.CheckRefName(ref)) > 0 {
		return "(a ref whose name is not shown)"
	}
	return ref.String()
}
