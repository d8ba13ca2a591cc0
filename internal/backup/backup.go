// Package backup keeps offline mirrors of a records repository: bare git
// repositories on a mounted disk or on an internal host over ssh, never on
// the internet (see remote.go for the rules).
//
// A backup pushes every ref, then applies the purges in the ledger that the
// mirror has not had (old objects deleted from its object database, not
// just unreferenced), then verifies, then writes a manifest. The manifest
// is written last and only after a clean verification, so it vouches for
// the mirror's state: a later backup trusts what the manifest names and
// checks only what it adds, while a mirror whose refs differ from its
// manifest (changed outside dossier, or a backup killed half-way) is
// checked in full.
//
// Order of writes, so that a kill at any point leaves a consistent mirror:
// objects (a complete pack, indexed last), then all refs in one rename of
// packed-refs, then the manifest.
package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
)

// Refs are a repository's refs (name to object id) and the branch its HEAD
// names.
type Refs struct {
	Head string
	Refs map[string]string
}

// Equal reports whether both name the same refs with the same values.
func (r Refs) Equal(o Refs) bool {
	if len(r.Refs) != len(o.Refs) {
		return false
	}
	for k, v := range r.Refs {
		if o.Refs[k] != v {
			return false
		}
	}
	return true
}

// Kind is what a problem found on a mirror means for the mirror, and so
// what the admin must do about it. Callers decide on the kind, never on
// a problem's words.
type Kind int

const (
	// Stale: the mirror's refs are not the live repository's. The next
	// backup brings them level.
	Stale Kind = iota + 1
	// Damaged: the disk lost or changed what was written to it (a pack
	// or index that does not hash to its checksum, an object missing,
	// corrupt or unreadable). The mirror cannot be trusted for a restore:
	// move it aside and write a new one.
	Damaged
	// Erased: data of a purged erasure is still on the mirror.
	Erased
	// Absent: there is no mirror where dossier.yaml says.
	Absent
)

// Problem is one thing verification found wrong with a mirror: its kind,
// and one line for a person naming the object or ref and what to do.
type Problem struct {
	Kind Kind
	Text string
}

// Findings is the error of a backup or verification that found problems
// with a mirror. The run completed; the mirror is not as it should be.
type Findings []Problem

func (f Findings) Error() string {
	return fmt.Sprintf("%d problem(s); first: %s", len(f), f[0].Text)
}

// Has reports whether any problem is of kind k.
func (f Findings) Has(k Kind) bool {
	for _, p := range f {
		if p.Kind == k {
			return true
		}
	}
	return false
}

// Texts are the problems' lines, in order, for output.
func (f Findings) Texts() Problems {
	if f == nil {
		return nil
	}
	out := make(Problems, len(f))
	for i, p := range f {
		out[i] = p.Text
	}
	return out
}

// Problems are the lines of Findings, as reports print them (the JSON
// report's "problems" list).
type Problems []string

func problem(k Kind, format string, a ...any) Problem {
	return Problem{Kind: k, Text: fmt.Sprintf(format, a...)}
}

// Result is what one backup did.
type Result struct {
	Remote     *Remote
	Created    bool
	Updated    []string // refs created or moved
	Deleted    []string // refs pruned
	Head       string
	HeadCommit string
	Applied    []string // purges applied to the mirror in this run
	Unpurged   []string // erasures the live repository has not purged yet
	FullCheck  bool     // every reachable object was read, not only new ones
	Checked    int      // objects read during a full check (local mirrors)
	// Packs is the re-reading of every pack on the mirror after the
	// backup wrote to it, the new pack among them.
	Packs PackCheck
}

// Options configure a backup or a verification.
type Options struct {
	Root     string            // the live repository
	Ledger   []*ledger.Request // the live repository's ledger
	Progress io.Writer         // progress output; nil when stderr is no terminal
}

// mirror is a backup mirror, local or over ssh.
type mirror interface {
	// state reads the mirror in one round trip; with create it makes an
	// empty bare repository first if there is none.
	state(create bool, ids []string) (*state, error)
	push(root string, src, before Refs, progress io.Writer) error
	prune() error
	checkAll(secondOpinion bool, progress io.Writer) (checked int, p Findings, err error)
	// identity scans the mirror's objects for records of subjects.
	identity(subjects []record.Subject) (*identity.Found, error)
	// checkPacks re-reads what is on the mirror's disk after a backup:
	// each pack that is new, changed or due on the schedule (all with
	// all), hashed against its checksum (local) or by git verify-pack
	// where the packs are (ssh). rec is the record of the last clean run; the result's record is
	// this run's, for the manifest.
	checkPacks(rec PackRecord, all bool, progress io.Writer) (PackCheck, PackRecord, Findings, error)
	writeManifest(data []byte) error
}

// state is what a mirror holds.
type state struct {
	exists, created bool
	refs            Refs
	manifest        *Manifest // nil if missing or unreadable
	present         []string  // of the ids asked about, those it holds
}

func open(r *Remote) mirror {
	if r.SSH() {
		return &sshMirror{r: r}
	}
	return &localMirror{path: r.Path}
}

// SourceRefs reads the live repository's refs and HEAD's branch.
func SourceRefs(root string) (Refs, error) {
	refs, err := gitRefs(repo.At(root))
	if err != nil {
		return Refs{}, fmt.Errorf("the live repository %s: %w", root, err)
	}
	return refs, nil
}

// gitRefs reads every ref as git lists them (repo's one lister: loose and
// packed alike, a symbolic ref under refs/ as the object it names, as a
// push sends it) and the branch HEAD names ("" when HEAD is detached).
func gitRefs(g repo.Git) (Refs, error) {
	list, err := g.Refs()
	if err != nil {
		return Refs{}, err
	}
	out := Refs{Refs: make(map[string]string, len(list))}
	for _, r := range list {
		out.Refs[r.Name] = r.Hash.String()
	}
	head, err := g.Run("symbolic-ref", "-q", "HEAD")
	switch {
	case repo.ExitCode(err) == 1: // detached: HEAD names no branch
	case err != nil:
		return Refs{}, fmt.Errorf("reading HEAD: %w", err)
	default:
		out.Head = strings.TrimSpace(string(head))
	}
	return out, nil
}

// purged are the ledger's requests whose objects are gone from the live
// repository's history, and the ids that must therefore be gone from every
// mirror: the erased objects and the tips from before the rewrite.
func purged(reqs []*ledger.Request) (ids []string, objects map[string]string, unpurged []string) {
	objects = map[string]string{}
	for _, q := range reqs {
		if len(q.ErasedObjects) == 0 {
			continue
		}
		if q.Purged == nil {
			unpurged = append(unpurged, q.ID)
			continue
		}
		ids = append(ids, q.ID)
		for _, o := range q.ErasedObjects {
			objects[o] = q.ID
		}
		for _, o := range q.Purged.OldTips {
			objects[o] = q.ID
		}
	}
	return ids, objects, unpurged
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Run backs the live repository up to one mirror.
func Run(o Options, r *Remote) (*Result, error) {
	m := open(r)
	res := &Result{Remote: r}
	ids, objects, unpurged := purged(o.Ledger)
	res.Unpurged = unpurged
	st, err := m.state(true, keys(objects))
	var damaged Findings
	if errors.As(err, &damaged) {
		// Refs git cannot list: say which packs are damaged too, so the
		// admin knows what the disk lost.
		_, _, ps, perr := m.checkPacks(PackRecord{}, true, o.Progress)
		if perr != nil {
			return nil, fmt.Errorf("%s: re-reading the mirror: %w", r.Name, perr)
		}
		return nil, append(damaged, ps...)
	}
	if err != nil {
		return nil, err
	}
	res.Created = st.created
	before, man := st.refs, st.manifest
	// A mirror whose refs are not the ones its manifest vouches for was
	// changed outside dossier or by an interrupted run: check all of it.
	full := len(before.Refs) > 0 && (man == nil || !before.Equal(Refs{Refs: man.Refs}))
	src, err := SourceRefs(o.Root)
	if err != nil {
		return nil, err
	}
	for name, v := range src.Refs {
		if before.Refs[name] != v {
			res.Updated = append(res.Updated, name)
		}
	}
	for name := range before.Refs {
		if _, ok := src.Refs[name]; !ok {
			res.Deleted = append(res.Deleted, name)
		}
	}
	sort.Strings(res.Updated)
	sort.Strings(res.Deleted)
	if len(res.Updated)+len(res.Deleted) > 0 || before.Head != src.Head {
		if err := m.push(o.Root, src, before, o.Progress); err != nil {
			return nil, fmt.Errorf("%s: push: %w", r.Name, err)
		}
		crashPoint("after-refs")
		if st, err = m.state(false, keys(objects)); err != nil {
			return nil, err
		}
	}
	// Purges the mirror has not had leave old objects in it; deleting them
	// needs a prune. Presence is checked by id, so a disk unplugged during
	// any number of purges is caught, with or without a manifest.
	if len(st.present) > 0 {
		if err := m.prune(); err != nil {
			return nil, fmt.Errorf("%s: removing purged objects: %w", r.Name, err)
		}
		full = true
		applied := map[string]bool{}
		for _, id := range st.present {
			applied[objects[id]] = true
		}
		res.Applied = keys(boolKeysOf(applied))
		if st, err = m.state(false, keys(objects)); err != nil {
			return nil, err
		}
	}
	erased, err := liveSubjects(o.Root, o.Ledger)
	if err != nil {
		return nil, err
	}
	progressNote(o.Progress, r.Name)
	byID, files, scanErr := erased.inMirror(m)
	if len(byID) > 0 {
		if err := m.prune(); err != nil {
			return nil, fmt.Errorf("%s: removing purged objects: %w", r.Name, err)
		}
		full = true
		applied := map[string]bool{}
		for _, id := range res.Applied {
			applied[id] = true
		}
		for _, id := range byID {
			applied[id] = true
		}
		res.Applied = keys(boolKeysOf(applied))
		byID, files, scanErr = erased.inMirror(m)
	}
	problems := compare(st, src, objects)
	problems = append(problems, identityProblems(byID, files, scanErr)...)
	// The packs on the disk are read back and hashed: every pack this run
	// wrote, every pack that changed since its last check, and the old
	// packs the schedule says are due (see PackRecord), all of them when
	// the run checks in full. A corrupt pack (bit rot on the disk, a
	// write that did not land) fails a backup within a bounded number of
	// runs, not a restore years later.
	var rec PackRecord
	if st.manifest != nil {
		rec = st.manifest.PackRecord
	}
	pc, rec, ps, err := m.checkPacks(rec, full, o.Progress)
	if err != nil {
		return nil, fmt.Errorf("%s: re-reading the mirror: %w", r.Name, err)
	}
	res.Packs = pc
	problems = append(problems, ps...)
	if full && !pc.Fsck { // git fsck --full already walked every object
		n, ps, err := m.checkAll(false, o.Progress)
		if err != nil {
			return nil, err
		}
		res.Checked = n
		problems = append(problems, ps...)
	}
	res.FullCheck = full
	if len(problems) > 0 {
		return res, problems
	}
	res.Head = st.refs.Head
	res.HeadCommit = st.refs.Refs[st.refs.Head]
	data, err := (&Manifest{
		Time:       time.Now().UTC().Format(time.RFC3339),
		Head:       res.Head,
		HeadCommit: res.HeadCommit,
		Refs:       st.refs.Refs,
		Applied:    ids,
		Check:      map[bool]string{true: "full", false: "new objects"}[full],
		PackRecord: rec,
	}).Marshal()
	if err != nil {
		return nil, err
	}
	if err := m.writeManifest(data); err != nil {
		return nil, fmt.Errorf("%s: writing the manifest: %w", r.Name, err)
	}
	return res, nil
}

// compare finds refs that differ from the live repository's and purged
// objects the mirror still holds.
func compare(st *state, src Refs, objects map[string]string) Findings {
	var p Findings
	got := st.refs
	for _, name := range keys(src.Refs) {
		if g, ok := got.Refs[name]; !ok {
			p = append(p, problem(Stale, "ref %s is missing from the mirror (live: %.12s): run \"dossier backup\"", name, src.Refs[name]))
		} else if g != src.Refs[name] {
			p = append(p, problem(Stale, "ref %s is %.12s in the mirror, %.12s in the live repository: run \"dossier backup\"", name, g, src.Refs[name]))
		}
	}
	for _, name := range keys(got.Refs) {
		if _, ok := src.Refs[name]; !ok {
			p = append(p, problem(Stale, "ref %s is in the mirror but not in the live repository: run \"dossier backup\"", name))
		}
	}
	for _, id := range st.present {
		p = append(p, problem(Erased, "object %s of %s is still in the mirror although the live repository purged it: run \"dossier backup\" (if it stays, a ref of the live repository still reaches it: run \"dossier purge --request %s\")", id, objects[id], objects[id]))
	}
	return p
}

// Report is what a verification found.
type Report struct {
	Remote   *Remote
	Manifest *Manifest
	Checked  int
	Unpurged []string
}

// Verify checks a mirror without changing it: refs equal to the live
// repository's, no purged object present, every reachable object present
// and intact (read and hashed; for a local mirror git fsck is a second
// opinion that also reads unreachable pack data).
func Verify(o Options, r *Remote) (*Report, error) {
	m := open(r)
	_, objects, unpurged := purged(o.Ledger)
	st, err := m.state(false, keys(objects))
	if err != nil {
		return nil, err
	}
	if !st.exists {
		where := r.Path
		if r.SSH() {
			where = r.Host + ":" + r.Path
		}
		return nil, Findings{problem(Absent, "no mirror at %s: is the disk mounted? (\"dossier backup %s\" creates it)", where, r.Name)}
	}
	src, err := SourceRefs(o.Root)
	if err != nil {
		return nil, err
	}
	rep := &Report{Remote: r, Unpurged: unpurged, Manifest: st.manifest}
	problems := compare(st, src, objects)
	erased, err := liveSubjects(o.Root, o.Ledger)
	if err != nil {
		return nil, err
	}
	byID, files, scanErr := erased.inMirror(m)
	problems = append(problems, identityProblems(byID, files, scanErr)...)
	n, ps, err := m.checkAll(true, o.Progress)
	if err != nil {
		return nil, err
	}
	rep.Checked = n
	problems = append(problems, ps...)
	if len(problems) > 0 {
		return rep, problems
	}
	return rep, nil
}

// crashPoint stops the process dead (os.Exit: no deferred cleanup, which
// for the files on disk is a kill -9, on every platform) at a named point
// when DOSSIER_TEST_CRASH names it. Test-only: the interruption tests use
// it to stop a backup at an exact step; nothing else sets it.
func crashPoint(name string) {
	if os.Getenv("DOSSIER_TEST_CRASH") == name {
		os.Exit(99)
	}
}
