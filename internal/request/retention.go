package request

import (
	"os"
	"sort"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
)

// Expired is a record whose retention period has run out.
type Expired struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"`
	Basis   string `json:"basis"`
	Law     string `json:"law"`
	Period  string `json:"period"`
	After   string `json:"after"`   // the date field the period counts from
	RanOut  string `json:"ran_out"` // the date the period ended
	Subject string `json:"customer"`
}

// Expired lists the records, of every customer or of one, whose retention
// ran out on or before Env.Now (storage limitation, GDPR art. 5(1)(e)).
// Only ids and dates are read, so no key is needed.
func (e *Env) Expired(customer string) ([]Expired, error) {
	customers := []string{customer}
	if customer != "" {
		subj, err := e.subject(customer)
		if err != nil {
			return nil, err
		}
		if subj.User != "" {
			return nil, refuse("retention is listed per customer (c-0042), not per user")
		}
	} else {
		entries, err := os.ReadDir(e.WS.Abs(record.Dir))
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		customers = customers[:0]
		for _, d := range entries {
			if d.IsDir() && record.ValidID("customer", d.Name()) {
				customers = append(customers, d.Name())
			}
		}
	}
	out := []Expired{}
	for _, c := range customers {
		files, err := e.customerFiles(c)
		if err != nil {
			return nil, err
		}
		// An ended customer's period covers the records that have no rule
		// of their own (users, work environment): they exist only to
		// support the customer, and go when the customer goes.
		var ended *Expired
		if k := e.WS.Schemas.Kinds["customer"]; k != nil && k.Retention != nil {
			p := record.For(c, "customer", c)
			if _, err := os.Stat(e.WS.Abs(p)); err == nil {
				rp, err := record.Parse(p)
				if err != nil {
					return nil, err
				}
				v, err := e.readable(rp)
				if err != nil {
					return nil, err
				}
				h, err := retention(k, v)
				if err != nil {
					return nil, refuse("%s: %v", p, err)
				}
				if !h.retainedOn(e.Now) {
					r := k.Retention
					ended = &Expired{Kind: "customer", Basis: r.Basis, Law: r.Law, Period: r.Period.Text, After: "customer " + r.After, RanOut: h.until, Subject: c}
				}
			}
		}
		for _, p := range files {
			k, err := e.kind(p)
			if err != nil {
				return nil, err
			}
			if k.Retention == nil {
				if ended != nil {
					x := *ended
					x.Path, x.Kind = p.Rel, p.Kind
					out = append(out, x)
				}
				continue
			}
			v, err := e.readable(p)
			if err != nil {
				return nil, err
			}
			h, err := retention(k, v)
			if err != nil {
				return nil, refuse("%s: %v", p.Rel, err)
			}
			if h.retainedOn(e.Now) {
				continue
			}
			r := k.Retention
			out = append(out, Expired{Path: p.Rel, Kind: p.Kind, Basis: r.Basis, Law: r.Law, Period: r.Period.Text, After: r.After, RanOut: h.until, Subject: c})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Swept is what a retention sweep removed.
type Swept struct {
	Request *ledger.Request
	Removed []Expired
	Commit  string
}

// ApplyRetention removes every record whose retention ran out, in one
// commit closing a retention request. The request's subject limits the
// sweep to one customer; a request without one sweeps every customer.
// Like an erasure, the ledger lists every version of the removed files.
func (e *Env) ApplyRetention(requestID string) (*Swept, error) {
	req, err := e.openRequest(requestID, ledger.Retention)
	if err != nil {
		return nil, err
	}
	if req.Subject != "" {
		if _, err := e.subject(req.Subject); err != nil {
			return nil, err
		}
	}
	if err := e.checkClean(customerOf(req.Subject)...); err != nil {
		return nil, err
	}
	expired, err := e.Expired(req.Subject)
	if err != nil {
		return nil, err
	}
	if len(expired) == 0 {
		return nil, refuse("no record's retention has run out on %s; request %s stays open (nothing was changed)", e.Now.Format(ledger.DateFormat), req.ID)
	}
	var ch repo.Change
	var paths []string
	customers := map[string]bool{}
	for _, x := range expired {
		ch.Remove = append(ch.Remove, x.Path)
		paths = append(paths, x.Path)
		customers[x.Subject] = true
	}
	versions, err := repo.Versions(e.WS.Root, paths)
	if err != nil {
		return nil, err
	}
	req.ErasedPaths = paths
	req.ErasedObjects = flatten(versions)
	req.Close(e.Now)
	var subjects []string
	for c := range customers {
		subjects = append(subjects, c)
	}
	sort.Strings(subjects)
	summary := "retention sweep of " + orAll(req.Subject) + " (" + req.ID + ")"
	res := &Swept{Request: req, Removed: expired}
	if res.Commit, err = e.commit(ch, req, message(summary, req, ledger.Retention, subjects...)); err != nil {
		return nil, err
	}
	return res, nil
}
