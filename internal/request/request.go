// Package request carries out data-subject requests on a records
// repository: opening and listing them (the ledger), access (export),
// rectification (correct), erasure (erase) and the retention sweep.
//
// Every operation that changes the repository makes exactly one commit that
// holds its change and the ledger update (the step recorded in the
// request's history; the request closed when the step ends it: an
// erasure, a retention sweep, or an export or correction made with
// --close), with trailers naming the request, the action and the subject. Messages,
// trailers, ledger entries and everything printed carry ids only, never a
// personal value. An operation either commits or leaves the repository as
// it found it: it refuses a dirty work tree before it starts, computes the
// whole change in memory, and repo.Change restores the work tree and index
// if anything fails after the first file is written.
package request

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/workspace"
)

// refuse is a request dossier will not carry out as asked; nothing was
// changed. Its message says what to do instead.
func refuse(format string, a ...any) error { return refusal.New(format, a...) }

// Env is an opened repository and the date the operation runs on
// (today, or DOSSIER_NOW).
type Env struct {
	WS  *workspace.Workspace
	Now time.Time
	// DryRun: every check runs and the result says what would change, but
	// nothing is written or committed (the result's Commit is empty).
	DryRun bool
}

// Action names for the Dossier-Action trailer.
const (
	actionOpen   = "open"
	actionClose  = "close"
	actionExtend = "extend"
)

// message is a commit message: a subject line, then the trailers in
// git interpret-trailers format. Every part is an id.
func message(summary string, req *ledger.Request, action string, subjects ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dossier: %s\n\nDossier-Request: %s\nDossier-Action: %s\n", summary, req.ID, action)
	for _, s := range subjects {
		fmt.Fprintf(&b, "Dossier-Subject: %s\n", s)
	}
	return b.String()
}

// checkClean refuses a work tree with changes to tracked files, or with
// untracked files under records/ or ledger/: a request commit must hold
// exactly its own change, and a rollback must not lose anyone's work.
// With customers given, only what the operation reads or writes is looked
// at (their folders, the ledger, schema and settings), so a request costs
// what its subject's files cost; commits are built from HEAD plus the
// operation's own files, so a change elsewhere never slips into them.
func (e *Env) checkClean(customers ...string) error {
	var scope []string
	if len(customers) > 0 {
		scope = []string{ledger.Dir, "schema", ".sops.yaml", "dossier.yaml"}
		for _, c := range customers {
			scope = append(scope, record.Dir+"/"+c)
		}
	}
	dirty, err := repo.DirtyIn(e.WS.Root, scope, record.Dir, ledger.Dir)
	if err != nil {
		return err
	}
	if len(dirty) > 0 {
		more := ""
		if len(dirty) > 5 {
			more = fmt.Sprintf(" (and %d more)", len(dirty)-5)
			dirty = dirty[:5]
		}
		return refuse("the work tree has uncommitted changes: %s%s; commit or stash them first (nothing was changed)", strings.Join(dirty, ", "), more)
	}
	why, err := repo.Unsettled(e.WS.Root)
	if err != nil {
		return err
	}
	if why != "" {
		return refuse("%s (nothing was changed)", why)
	}
	return nil
}

// openRequest loads request id and checks that it is open and of type typ.
func (e *Env) openRequest(id, typ string) (*ledger.Request, error) {
	if !ledger.ValidID(id) {
		return nil, refuse("--request %q is not a request id like DSR-2026-0042 (see \"dossier requests\")", id)
	}
	req, err := ledger.Load(e.WS.Root, id)
	if err != nil {
		if _, statErr := os.Stat(filepath.Join(e.WS.Root, filepath.FromSlash(ledger.Path(id)))); statErr != nil {
			return nil, refuse("%v", err)
		}
		return nil, err
	}
	if req.Status != ledger.Open {
		return nil, refuse("request %s is already closed (done %s); open a new request with \"dossier requests open\" (nothing was changed)", id, req.Done)
	}
	if req.Type != typ {
		return nil, refuse("request %s is %s %s request, not %s %s request; use a request of the right type (nothing was changed)", id, article(req.Type), req.Type, article(typ), typ)
	}
	return req, nil
}

func article(word string) string {
	if strings.ContainsAny(word[:1], "aeiou") {
		return "an"
	}
	return "a"
}

// subject parses a subject and checks that it exists at HEAD's work tree.
func (e *Env) subject(s string) (record.Subject, error) {
	subj, err := record.ParseSubject(s)
	if err != nil {
		return subj, refuse("%v", err)
	}
	p := record.For(subj.Customer, "customer", subj.Customer)
	what := "customer " + subj.Customer
	if subj.User != "" {
		p = record.For(subj.Customer, "user", subj.User)
		what = "user " + subj.String()
	}
	if _, err := os.Stat(e.WS.Abs(p)); err != nil {
		if _, dirErr := os.Stat(e.WS.Abs(record.Dir + "/" + subj.Customer)); subj.User != "" || dirErr != nil {
			return subj, refuse("unknown subject: no %s in this repository (%s does not exist; nothing was changed)", what, p)
		}
	}
	return subj, nil
}

// erasable is subject for an erasure: a subject whose records are gone
// from HEAD (deleted by an ordinary commit) still has versions in history,
// found by identity, and those must be erasable and purgeable too.
func (e *Env) erasable(s string) (record.Subject, error) {
	subj, err := e.subject(s)
	if err == nil || !refusal.Is(err) || subj.Customer == "" {
		return subj, err
	}
	found, scanErr := identity.ScanCached(e.WS.Root, []record.Subject{subj})
	if scanErr != nil {
		return subj, scanErr
	}
	if len(found.Objects[subj.String()]) == 0 {
		return subj, err // not in history either
	}
	return subj, nil
}

// sameSubject refuses when the request was opened for another subject.
func sameSubject(req *ledger.Request, subj record.Subject) error {
	if req.Subject != subj.String() {
		return refuse("request %s is about %s, not %s; use the request opened for this subject (nothing was changed)", req.ID, orAll(req.Subject), subj)
	}
	return nil
}

func orAll(s string) string {
	if s == "" {
		return "every customer"
	}
	return s
}

// customerFiles lists the record files of a customer in the work tree.
func (e *Env) customerFiles(customer string) ([]record.Path, error) {
	dir := e.WS.Abs(record.Dir + "/" + customer)
	var out []record.Path
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, nil // a customer erased from HEAD earlier, or only in history
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(e.WS.Root, p)
		if err != nil {
			return err
		}
		rp, err := record.Parse(filepath.ToSlash(rel))
		if err != nil {
			return refuse("%v (run \"dossier validate\")", err)
		}
		out = append(out, rp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, nil
}

// commit writes the change and the closed request in one commit.
func (e *Env) commit(ch repo.Change, req *ledger.Request, msg string) (string, error) {
	data, err := req.Marshal()
	if err != nil {
		return "", err
	}
	if ch.Write == nil {
		ch.Write = map[string][]byte{}
	}
	ch.Write[ledger.Path(req.ID)] = data
	if e.DryRun {
		return "", nil
	}
	h, err := ch.Commit(e.WS.Root, msg)
	if err != nil {
		return "", fmt.Errorf("committing (the work tree was restored): %w", err)
	}
	return h.String(), nil
}

// begin checks what every request on a subject checks before it touches
// anything: the request is open and of type typ, it is about subject,
// the subject exists, and the subject's part of the work tree is clean.
func (e *Env) begin(requestID, typ, subject string) (*ledger.Request, record.Subject, error) {
	req, err := e.openRequest(requestID, typ)
	if err != nil {
		return nil, record.Subject{}, err
	}
	check := e.subject
	if typ == ledger.Erasure {
		check = e.erasable
	}
	subj, err := check(subject)
	if err != nil {
		return nil, record.Subject{}, err
	}
	if err := sameSubject(req, subj); err != nil {
		return nil, record.Subject{}, err
	}
	if err := e.checkClean(subj.Customer); err != nil {
		return nil, record.Subject{}, err
	}
	return req, subj, nil
}
