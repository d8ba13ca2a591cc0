package request

import (
	"slices"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
)

// Erased is what an erasure did, for the person running it.
type Erased struct {
	Request *ledger.Request
	Removed []string // record paths removed at HEAD
	// Kept are records retained under their kind's x-retention, minimised
	// to the fields the obligation needs; Law says why.
	Kept    []KeptRecord
	Cleared []string // records in which references to the user were cleared
	// Mentions are the records in which the erased user's values were
	// replaced by the marker (or kept under a retention); NotSearched the
	// records no key opened, so they could not be searched for mentions,
	// and NotCleared those of them that still refer to the user.
	Mentions    []Scrubbed
	NotSearched []string
	NotCleared  []string
	Commit      string
}

// KeptRecord is a record retained during its retention period.
type KeptRecord struct {
	ledger.Kept
	Law     string
	Running bool // the period has not started (e.g. a contract still running)
	// DateSet is the date the erasure wrote into DateField (the field the
	// period counts from) of a record that had none, so that it is not
	// kept forever.
	DateSet, DateField string
}

// Erase carries out an erasure request (GDPR art. 17) at HEAD in one commit.
//
// For a user (c-0042/u-0017) it removes the user's record, clears every
// reference to the user in the customer's other records and, with a key,
// replaces the user's personal values found in their personal fields by a
// marker naming the request (see mentions.go). For a customer
// (c-0042) it removes every record of the customer, except records whose
// kind's retention still runs: those are kept, minimised to the kind's
// x-retention keep fields, and the result says why and until when. A kind
// whose keep list is empty keeps nothing, so its records are removed even
// within their period (a legitimate interest yields to the erasure).
//
// The ledger lists the blob ids of every version, in all of history, of
// every removed or minimised file, of every blob anywhere in the object
// database that identifies the subject (see identityVersions), and of
// every file a mention was removed from (each older version may hold it):
// what "dossier purge" removes from history. Files whose only change is a
// cleared user reference are not listed: their older versions hold the
// user only as an opaque id, and purging them would destroy the unrelated
// history of those records.
func (e *Env) Erase(subject, requestID string) (*Erased, error) {
	req, subj, err := e.begin(requestID, ledger.Erasure, subject)
	if err != nil {
		return nil, err
	}
	files, err := e.customerFiles(subj.Customer)
	if err != nil {
		return nil, err
	}
	res := &Erased{Request: req}
	ch := repo.Change{Write: map[string][]byte{}}
	sc := &mentionScan{}
	if subj.User != "" {
		if sc, err = e.scanMentions(subj, files); err != nil {
			return nil, err
		}
	}
	var erased []string // paths whose every version is erased
	for _, p := range files {
		switch {
		case subj.User == "" || (p.Kind == "user" && p.ID == subj.User):
			kept, data, err := e.dispose(p)
			if err != nil {
				return nil, err
			}
			if kept != nil {
				ch.Write[p.Rel] = data
				res.Kept = append(res.Kept, *kept)
			} else {
				ch.Remove = append(ch.Remove, p.Rel)
				res.Removed = append(res.Removed, p.Rel)
			}
			erased = append(erased, p.Rel)
		default:
			data, err := e.eraseOther(p, subj.User, sc, req.ID, res)
			if err != nil {
				return nil, err
			}
			if data != nil {
				ch.Write[p.Rel] = data
			}
		}
	}
	scope := erased
	if subj.User == "" {
		// Every file that was ever in the customer's folder, not only those
		// at HEAD: a record removed earlier still has versions in history.
		scope = []string{record.Dir + "/" + subj.Customer}
	}
	versions, err := repo.Versions(e.WS.Root, scope)
	if err != nil {
		return nil, err
	}
	byIdentity, err := e.identityVersions(subj, ch)
	if err != nil {
		return nil, err
	}
	req.ErasedObjects = identity.Union(flatten(versions), byIdentity)
	if err := e.recordMentions(req, res, ch); err != nil {
		return nil, err
	}
	req.ErasedPaths = append([]string(nil), erased...)
	sort.Strings(req.ErasedPaths)
	for _, k := range res.Kept {
		req.Kept = append(req.Kept, k.Kept)
	}
	req.Close(e.Now)
	msg := message("erasure of "+subj.String()+" ("+req.ID+")", req, ledger.Erasure, subj.String())
	if res.Commit, err = e.commit(ch, req, msg); err != nil {
		return nil, err
	}
	return res, nil
}

// dispose decides a record's fate under erasure: nil to remove it, or the
// minimised record to keep and why.
func (e *Env) dispose(p record.Path) (*KeptRecord, []byte, error) {
	k, err := e.kind(p)
	if err != nil {
		return nil, nil, err
	}
	v, err := e.readable(p)
	if err != nil {
		return nil, nil, err
	}
	h, err := retention(k, v)
	if err != nil {
		return nil, nil, refuse("%s: %v", p.Rel, err)
	}
	if h == nil || !h.retainedOn(e.Now) || len(h.ret.Keep) == 0 {
		return nil, nil, nil
	}
	o, err := e.decrypt(p)
	if err != nil {
		return nil, nil, err
	}
	dateSet := ""
	if h.running && slices.Contains(h.ret.Keep, h.ret.After) {
		// A record still running (a contract without end_date) would be
		// kept forever: the record that could end it is being erased.
		// The erasure ends it, and its period counts from today.
		dateSet = e.Now.Format(ledger.DateFormat)
		setField(o.root, h.ret.After, dateSet)
		h.running = false
		h.end = h.ret.Period.AddTo(e.Now)
		h.until = h.end.Format(ledger.DateFormat)
	}
	minimise(o.root, h.ret.Keep)
	data, err := e.seal(o)
	if err != nil {
		return nil, nil, err
	}
	return &KeptRecord{Kept: ledger.Kept{Path: p.Rel, Basis: h.basis(), Until: h.until}, Law: h.ret.Law, Running: h.running, DateSet: dateSet, DateField: h.ret.After}, data, nil
}

// setField sets a top-level field to a date, adding it when absent; a
// date is written as a quoted string, as "dossier new" writes dates.
func setField(root *yaml.Node, key, date string) {
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: date, Style: yaml.DoubleQuotedStyle}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			root.Content[i+1] = val
			return
		}
	}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
}

// minimise keeps only the keep fields (and the ids that place the record).
func minimise(root *yaml.Node, keep []string) {
	want := map[string]bool{"kind": true, "id": true, "customer": true}
	for _, k := range keep {
		want[k] = true
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if want[root.Content[i].Value] {
			kept = append(kept, root.Content[i], root.Content[i+1])
		}
	}
	root.Content = kept
}

// identityVersions are the blobs, anywhere in the object database, whose
// readable fields identify subj: versions at paths the record no longer
// has (renumbered, moved on a side branch), unreachable ones (an amended
// commit, a deleted branch) and copies in git's caches (textconv notes).
// The minimised versions this erasure writes are not among them.
func (e *Env) identityVersions(subj record.Subject, ch repo.Change) ([]string, error) {
	found, err := identity.ScanCached(e.WS.Root, []record.Subject{subj})
	if err != nil {
		return nil, err
	}
	var written []string
	for _, data := range ch.Write {
		written = append(written, plumbing.ComputeHash(plumbing.BlobObject, data).String())
	}
	return identity.Minus(found.Objects[subj.String()], written), nil
}

// flatten is every blob id of versions, once, sorted.
func flatten(versions map[string][]string) []string {
	lists := make([][]string, 0, len(versions))
	for _, hs := range versions {
		lists = append(lists, hs)
	}
	return identity.Union(lists...)
}
