package backup

import (
	"fmt"
	"io"
	"sort"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
)

// erasedSubjects are the subjects of the purged erasures, and what of
// them the live repository still holds (records kept, minimised, under a
// legal retention). A mirror may hold nothing else of them: by identity,
// not only by the ids the ledger lists, so that a version the ledger never
// knew (unreachable when the erasure ran and gone from the live repository
// since, yet still on an old disk) is found and pruned too.
type erasedSubjects struct {
	subjects []record.Subject
	request  map[string]string // subject -> request id
	live     map[string]bool   // blob ids the live repository holds of them
}

func liveSubjects(root string, reqs []*ledger.Request) (*erasedSubjects, error) {
	e := &erasedSubjects{request: map[string]string{}, live: map[string]bool{}}
	for _, q := range reqs {
		if q.Type != ledger.Erasure || q.Purged == nil {
			continue
		}
		s, err := record.ParseSubject(q.Subject)
		if err != nil {
			return nil, fmt.Errorf("%s: subject: %w", ledger.Path(q.ID), err)
		}
		if _, dup := e.request[s.String()]; !dup {
			e.subjects = append(e.subjects, s)
		}
		e.request[s.String()] = q.ID
	}
	if len(e.subjects) == 0 {
		return e, nil
	}
	// The cached scan is safe here: what it might miss only makes the
	// allowed set smaller, so the mirror is pruned more, never less.
	found, err := identity.ScanCached(root, e.subjects)
	if err != nil {
		return nil, fmt.Errorf("the live repository: %w", err)
	}
	for _, ids := range found.Objects {
		for _, id := range ids {
			e.live[id] = true
		}
	}
	return e, nil
}

// inMirror are the blobs m holds that identify a purged subject and the
// live repository does not hold, mapped to the request that erased them,
// and the files beside m's objects that hold a copy.
func (e *erasedSubjects) inMirror(m mirror) (objects map[string]string, files []string, err error) {
	objects = map[string]string{}
	if len(e.subjects) == 0 {
		return objects, nil, nil
	}
	found, err := m.identity(e.subjects)
	if err != nil {
		return nil, nil, err
	}
	for subj, ids := range found.Objects {
		for _, id := range ids {
			if !e.live[id] {
				objects[id] = e.request[subj]
			}
		}
	}
	for subj, fs := range found.Files {
		for _, f := range fs {
			files = append(files, f+" ("+e.request[subj]+")")
		}
	}
	sort.Strings(files)
	return objects, files, nil
}

// identityProblems words what inMirror found. A scan that failed (git
// cannot read a damaged object) is a problem too: what it could not read
// may be an erased record.
func identityProblems(objects map[string]string, files []string, scanErr error) Findings {
	var p Findings
	if scanErr != nil {
		p = append(p, problem(Damaged, "the mirror could not be scanned for erased subjects (%v): repair it (see git fsck) or make a new backup", scanErr))
	}
	for _, id := range keys(objects) {
		p = append(p, problem(Erased, "object %s identifies the subject of %s (by its kind, id and customer) and is still in the mirror although the live repository purged it: run \"dossier backup\" (if it stays, a ref of the mirror still reaches it: run \"dossier purge --request %s\")", id, objects[id], objects[id]))
	}
	for _, f := range files {
		p = append(p, problem(Erased, "%s in the mirror holds a copy of an erased record: delete it", f))
	}
	return p
}

// progressNote says on a terminal that a mirror is being scanned.
func progressNote(w io.Writer, name string) {
	if w != nil {
		fmt.Fprintf(w, "%s: scanning the mirror's objects for erased subjects\n", name)
	}
}
