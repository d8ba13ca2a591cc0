package request

import (
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

// Close marks an open request done without carrying it out (withdrawn,
// or answered outside dossier), in its own commit.
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
	req.Close(e.Now)
	var subjects []string
	if req.Subject != "" {
		subjects = []string{req.Subject}
	}
	if _, err := e.commit(repo.Change{}, req, message("close "+req.ID+" without action", req, actionClose, subjects...)); err != nil {
		return nil, err
	}
	return req, nil
}

// Pending is an open request and its deadline as of Env.Now.
type Pending struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Subject  string `json:"subject"`
	Received string `json:"received"`
	Due      string `json:"due"`
	DaysLeft int    `json:"days_left"`
	Overdue  bool   `json:"overdue"`
}

// List returns the open requests, overdue first, then by due date.
func (e *Env) List() ([]Pending, error) {
	all, err := ledger.All(e.WS.Root)
	if err != nil {
		return nil, err
	}
	out := []Pending{}
	for _, r := range all {
		if r.Status != ledger.Open {
			continue
		}
		left, err := r.DaysLeft(e.Now)
		if err != nil {
			return nil, err
		}
		out = append(out, Pending{ID: r.ID, Type: r.Type, Subject: r.Subject, Received: r.Received, Due: r.Due, DaysLeft: left, Overdue: left < 0})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DaysLeft != out[j].DaysLeft {
			return out[i].DaysLeft < out[j].DaysLeft
		}
		return out[i].ID < out[j].ID
	})
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
