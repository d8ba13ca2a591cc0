package request

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/repo"
)

// Open records a new request received on a date, in its own commit, and
// returns it. The subject must exist; a retention request may have none
// (a sweep of every customer) or a customer.
func (e *Env) Open(typ, subject string, received time.Time) (*ledger.Request, error) {
	if !ledger.ValidType(typ) {
		return nil, refuse("--type %q: use access, rectification, erasure or retention", typ)
	}
	if received.After(e.Now) {
		return nil, refuse("--received %s is in the future (today is %s)", received.Format(ledger.DateFormat), e.Now.Format(ledger.DateFormat))
	}
	if subject == "" && typ != ledger.Retention {
		return nil, refuse("--subject is required: a customer (c-0042) or one of its users (c-0042/u-0017)")
	}
	if subject != "" {
		check := e.subject
		if typ == ledger.Erasure {
			check = e.erasable
		}
		subj, err := check(subject)
		if err != nil {
			return nil, err
		}
		if typ == ledger.Retention && subj.User != "" {
			return nil, refuse("a retention request covers a customer (c-0042) or, without --subject, every customer; not one user")
		}
		subject = subj.String()
	}
	if err := e.checkClean(customerOf(subject)...); err != nil {
		return nil, err
	}
	req, err := ledger.New(e.WS.Root, typ, subject, received)
	if err != nil {
		return nil, err
	}
	data, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	ch := repo.Change{Write: map[string][]byte{ledger.Path(req.ID): data}}
	summary := "open " + req.ID + " (" + typ + ", " + orAll(subject) + ")"
	var subjects []string
	if subject != "" {
		subjects = []string{subject}
	}
	if _, err := ch.Commit(e.WS.Root, message(summary, req, actionOpen, subjects...)); err != nil {
		return nil, err
	}
	return req, nil
}

// Close marks an open request done, in its own commit: after its exports
// or corrections (they leave it open, so that a corrected or translated
// re-export needs no new request), or without action (withdrawn, or
// answered outside dossier). The ledger's history says which.
func (e *Env) Close(id string) (*ledger.Request, error) {
	req, err := ledger.Load(e.WS.Root, id)
	if err != nil {
		return nil, refuse("%v", err)
	}
	if req.Status != ledger.Open {
		return nil, refuse("request %s is already closed (done %s)", id, req.Done)
	}
	if err := e.checkClean(customerOf(req.Subject)...); err != nil {
		return nil, err
	}
	summary := "close " + req.ID + " without action"
	if len(req.History) > 0 {
		summary = "close " + req.ID + " (done)"
	}
	req.Close(e.Now)
	req.Record(e.Now, ledger.EventClose, "")
	var subjects []string
	if req.Subject != "" {
		subjects = []string{req.Subject}
	}
	if _, err := e.commit(repo.Change{}, req, message(summary, req, actionClose, subjects...)); err != nil {
		return nil, err
	}
	return req, nil
}

// Pending is a request and its deadline as of Env.Now.
type Pending struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Subject  string `json:"subject"`
	Received string `json:"received"`
	Due      string `json:"due"`
	DaysLeft int    `json:"days_left"`
	Overdue  bool   `json:"overdue"`
	Status   string `json:"status"`
	Done     string `json:"done,omitempty"`
	Extended bool   `json:"extended"`
}

// List returns the open requests, overdue first, then by due date; with
// all, the closed ones follow, newest first. A request received after
// Env.Now is not listed: on DOSSIER_NOW=2026-01-10 a request received in
// March had not arrived yet.
func (e *Env) List(all bool) ([]Pending, error) {
	reqs, err := ledger.All(e.WS.Root)
	if err != nil {
		return nil, err
	}
	out := []Pending{}
	today := e.Now.Format(ledger.DateFormat)
	for _, r := range reqs {
		if r.Received > today || (r.Status != ledger.Open && !all) {
			continue
		}
		p := Pending{ID: r.ID, Type: r.Type, Subject: r.Subject, Received: r.Received, Due: r.Due, Status: r.Status, Done: r.Done, Extended: r.Extended != nil}
		if r.Status == ledger.Open {
			left, err := r.DaysLeft(e.Now)
			if err != nil {
				return nil, err
			}
			p.DaysLeft, p.Overdue = left, left < 0
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Status == ledger.Open) != (b.Status == ledger.Open) {
			return a.Status == ledger.Open
		}
		if a.Status != ledger.Open {
			if a.Done != b.Done {
				return a.Done > b.Done
			}
			return a.ID > b.ID
		}
		if a.DaysLeft != b.DaysLeft {
			return a.DaysLeft < b.DaysLeft
		}
		return a.ID < b.ID
	})
	return out, nil
}

// Show is one request as the ledger holds it.
func (e *Env) Show(id string) (*ledger.Request, error) {
	if !ledger.ValidID(id) {
		return nil, refuse("%q is not a request id like DSR-2026-0042 (see \"dossier requests --all\")", id)
	}
	req, err := ledger.Load(e.WS.Root, id)
	if err != nil {
		return nil, refuse("%v", err)
	}
	return req, nil
}

// Extension grounds: GDPR art. 12(3) allows an extension "taking into
// account the complexity and number of the requests", and nothing else.
// A whitelist also keeps free text, which could name someone, out of the
// ledger.
var extensionGrounds = []string{"complexity", "number"}

// Extend extends an open request's deadline by two months (GDPR art.
// 12(3)) on the given grounds, in its own commit. The subject must be
// told within the first month, with the reasons: a request already
// overdue cannot be extended.
func (e *Env) Extend(id string, grounds []string) (*ledger.Request, error) {
	if len(grounds) == 0 {
		return nil, refuse("--reason is required: complexity, number, or both (complexity,number): GDPR art. 12(3) allows no other ground")
	}
	for _, g := range grounds {
		if !slices.Contains(extensionGrounds, g) {
			return nil, refuse("--reason %q: use complexity, number, or both (complexity,number): GDPR art. 12(3) allows no other ground", g)
		}
	}
	req, err := ledger.Load(e.WS.Root, id)
	if err != nil {
		return nil, refuse("%v", err)
	}
	if req.Status != ledger.Open {
		return nil, refuse("request %s is already closed (done %s); nothing to extend", id, req.Done)
	}
	left, err := req.DaysLeft(e.Now)
	if err != nil {
		return nil, err
	}
	if left < 0 {
		return nil, refuse("request %s was due %s: an extension must be told to the subject within the first month (art. 12(3)); answer the request now", id, req.Due)
	}
	if err := e.checkClean(customerOf(req.Subject)...); err != nil {
		return nil, err
	}
	if err := req.Extend(e.Now, strings.Join(grounds, ", ")); err != nil {
		return nil, refuse("%v", err)
	}
	var subjects []string
	if req.Subject != "" {
		subjects = []string{req.Subject}
	}
	if _, err := e.commit(repo.Change{}, req, message("extend "+req.ID+" to "+req.Due+" (art. 12(3))", req, actionExtend, subjects...)); err != nil {
		return nil, err
	}
	return req, nil
}

// OpenAbout lists the open requests about subject other than id: a
// second request from the same person is often the first one again (a
// reminder), and answering both separately wastes a deadline.
func (e *Env) OpenAbout(subject, id string) ([]*ledger.Request, error) {
	if subject == "" {
		return nil, nil
	}
	reqs, err := ledger.All(e.WS.Root)
	if err != nil {
		return nil, err
	}
	var out []*ledger.Request
	for _, r := range reqs {
		if r.ID != id && r.Subject == subject && r.Status == ledger.Open {
			out = append(out, r)
		}
	}
	return out, nil
}

// customerOf is the customer a subject belongs to, as a checkClean scope;
// none for a subject-less request (a sweep over every customer).
func customerOf(subject string) []string {
	if subject == "" {
		return nil
	}
	c, _, _ := strings.Cut(subject, "/")
	return []string{c}
}
