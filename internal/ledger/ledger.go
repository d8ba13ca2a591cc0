// Package ledger is the record of data-subject requests kept in the
// repository under ledger/, one YAML file per request. It holds ids, dates
// and git object ids only, never a personal value, so it can be read by
// anyone who can read the repository, and by backup and purge without keys.
//
// For an erasure it lists the object ids of every version of every removed
// file (and of every file a mention of the subject was removed from): the
// list that purge removes from history and that verify-erasure and backup
// check every copy against; and the version each file it rewrote became,
// which a restore puts back.
package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/safefile"
	"github.com/vts/dossier/internal/yamltree"
)

// Dir is the ledger folder relative to the repository root.
const Dir = "ledger"

// Request types (GDPR art. 15, 16, 17; retention is art. 5(1)(e)).
const (
	Access        = "access"
	Rectification = "rectification"
	Erasure       = "erasure"
	Retention     = "retention"
)

// Status values.
const (
	Open = "open"
	Done = "done"
)

// Request is one data-subject request.
type Request struct {
	ID       string `yaml:"id" json:"id"`           // DSR-2026-0042
	Type     string `yaml:"type" json:"type"`       // access, rectification, erasure, retention
	Subject  string `yaml:"subject" json:"subject"` // c-0042 or c-0042/u-0017
	Received string `yaml:"received" json:"received"`
	Due      string `yaml:"due" json:"due"` // received + 1 month (GDPR art. 12(3))
	Status   string `yaml:"status" json:"status"`
	Done     string `yaml:"done,omitempty" json:"done,omitempty"`
	// Commit is the commit that carried out the request, when it is known
	// (a request commit cannot name itself; it carries trailers instead).
	Commit string `yaml:"commit,omitempty" json:"commit,omitempty"`
	// ErasedPaths are the record paths removed or minimised at HEAD.
	ErasedPaths []string `yaml:"erased_paths,omitempty" json:"erased_paths,omitempty"`
	// Kept are records retained under a legal obligation, minimised.
	Kept []Kept `yaml:"kept,omitempty" json:"kept,omitempty"`
	// ErasedObjects are the blob ids of every version of every erased file
	// in history (for a minimised file: every version but the new one).
	ErasedObjects []string `yaml:"erased_objects,omitempty" json:"erased_objects,omitempty"`
	// Purged is set once the objects are gone from this repository's history.
	Purged *Purge `yaml:"purged,omitempty" json:"purged,omitempty"`
	// Rewritten are the files an erasure rewrote rather than removed (kept
	// records, minimised; records whose mentions of the subject it
	// replaced) and the blob each became: what a restore from a backup
	// that predates the erasure puts back in place of an erased version.
	Rewritten []Rewritten `yaml:"rewritten,omitempty" json:"rewritten,omitempty"`
	// Unsearched are records the erasure could not search for mentions of
	// the subject, for want of a key: an erasure with a key must follow.
	Unsearched []string `yaml:"unsearched,omitempty" json:"unsearched,omitempty"`
	// Extended is set when the deadline was extended by two months
	// (GDPR art. 12(3)); Due is then the new deadline.
	Extended *Extension `yaml:"extended,omitempty" json:"extended,omitempty"`
	// History is what was done on the request before it closed: exports
	// (a copy handed out), corrections, the extension, the close.
	History []Event `yaml:"history,omitempty" json:"history,omitempty"`
}

// Rewritten is a file an erasure rewrote and the blob id it became.
type Rewritten struct {
	Path string `yaml:"path" json:"path"`
	Blob string `yaml:"blob" json:"blob"`
}

// Extension records an art. 12(3) extension: the original deadline and
// the reason, which the subject must be told within the first month. The
// reason is the officer's text: a ledger rule is that it names no person.
type Extension struct {
	Date      string `yaml:"date" json:"date"`
	Reason    string `yaml:"reason" json:"reason"`
	ParentDue string `yaml:"original_due" json:"original_due"`
}

// Event is one step taken on a request.
type Event struct {
	Date   string `yaml:"date" json:"date"`
	Action string `yaml:"action" json:"action"`
	Note   string `yaml:"note,omitempty" json:"note,omitempty"` // ids, a language code, field names
}

// Event actions.
const (
	EventExport  = "export"
	EventCorrect = "correct"
	EventExtend  = "extend"
	EventClose   = "close"
)

// Record appends a step to the request's history.
func (r *Request) Record(now time.Time, action, note string) {
	r.History = append(r.History, Event{Date: now.Format(DateFormat), Action: action, Note: note})
}

// Extend moves the deadline two months further (GDPR art. 12(3): "by two
// further months where necessary, taking into account the complexity and
// number of the requests"), once.
func (r *Request) Extend(now time.Time, reason string) error {
	if r.Extended != nil {
		return fmt.Errorf("request %s was already extended on %s: art. 12(3) allows one extension of two months", r.ID, r.Extended.Date)
	}
	received, err := time.Parse(DateFormat, r.Received)
	if err != nil {
		return fmt.Errorf("%s: its received date is not a date (YYYY-MM-DD)", r.ID)
	}
	r.Extended = &Extension{Date: now.Format(DateFormat), Reason: reason, ParentDue: r.Due}
	// Three months from receipt, clamped like the first month: received
	// 31 January, due 30 April (not 28 April by extending 28 February).
	r.Due = addMonths(received, 3).Format(DateFormat)
	r.Record(now, EventExtend, "+2 months")
	return nil
}

// Kept is a record retained during its legal retention period.
type Kept struct {
	Path  string `yaml:"path" json:"path"`
	Basis string `yaml:"basis" json:"basis"`
	Until string `yaml:"until" json:"until"`
}

// Purge records a history rewrite that removed a request's objects.
type Purge struct {
	Date    string `yaml:"date" json:"date"`
	Commits int    `yaml:"commits_rewritten" json:"commits_rewritten"`
	// OldTips are the ref values before the rewrite, for the record: the
	// git server does not trust them, it recomputes a pushed purge.
	OldTips []string `yaml:"old_tips,omitempty" json:"old_tips,omitempty"`
}

var idRe = lazyregexp.New(`^DSR-[0-9]{4}-[0-9]{4,}$`)

// ValidID reports whether id looks like a request id.
func ValidID(id string) bool { return idRe.MatchString(id) }

// Path is the ledger file of a request id, relative to the root.
func Path(id string) string { return Dir + "/" + id + ".yaml" }

// Load reads one request.
func Load(root, id string) (*Request, error) {
	if !ValidID(id) {
		return nil, refusal.New("%q is not a request id like DSR-2026-0042", id)
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(Path(id))))
	if errors.Is(err, os.ErrNotExist) {
		return nil, refusal.New("request %s is not in the ledger (see \"dossier requests\")", id)
	}
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes a ledger file strictly.
func Parse(data []byte) (*Request, error) {
	var r Request
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		// yaml.v3's messages repeat the values and keys it cannot decode,
		// quoted or not: only the line is shown.
		where := ""
		if line := errorLine(data, err); line > 0 {
			where = "line " + strconv.Itoa(line) + ": "
		}
		return nil, fmt.Errorf("ledger entry: %snot valid YAML, or a field that the ledger does not have or of the wrong type (details not shown)", where)
	}
	if !ValidID(r.ID) {
		return nil, fmt.Errorf("ledger entry has no valid id")
	}
	return &r, nil
}

// errorLine is the line of what made a strict decode of data fail, 0 when
// it cannot be told. yaml.v3's decode errors hold their lines only in
// their text, so the line is found on the parsed document instead: a
// syntax error's from yamltree (the one place that reads yaml.v3's
// position), otherwise the first top-level field that does not decode on
// its own.
func errorLine(data []byte, err error) int {
	var doc yaml.Node
	if perr := yaml.Unmarshal(data, &doc); perr != nil {
		return yamltree.Describe(perr).Line
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return doc.Line
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		one, merr := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: m.Content[i : i+2]})
		if merr != nil {
			return m.Content[i].Line
		}
		dec := yaml.NewDecoder(bytes.NewReader(one))
		dec.KnownFields(true)
		var r Request
		if dec.Decode(&r) != nil {
			return m.Content[i].Line
		}
	}
	return 0
}

// All reads every request, sorted by id.
func All(root string) ([]*Request, error) {
	names, err := filepath.Glob(filepath.Join(root, Dir, "DSR-*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []*Request
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		r, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(n), err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Marshal encodes a request as its ledger file.
func (r *Request) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# dossier request ledger entry: ids, dates and object ids only.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// Save writes the request's ledger file atomically.
func (r *Request) Save(root string) error {
	data, err := r.Marshal()
	if err != nil {
		return err
	}
	return safefile.Write(filepath.Join(root, filepath.FromSlash(Path(r.ID))), data, 0o644)
}

// DateFormat is how the ledger writes dates.
const DateFormat = "2006-01-02"

// NowEnv names the environment variable that fixes "today" (YYYY-MM-DD) for
// every date-dependent command: deadlines, retention and ledger dates are
// then reproducible in tests and in a dry run of next month's sweep.
const NowEnv = "DOSSIER_NOW"

// Today is the current date, or the date in DOSSIER_NOW when it is set.
func Today() (time.Time, error) {
	if s := os.Getenv(NowEnv); s != "" {
		t, err := time.Parse(DateFormat, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s=%q: use a date like 2026-03-01", NowEnv, s)
		}
		return t, nil
	}
	y, m, d := time.Now().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// ValidType reports whether t is a request type.
func ValidType(t string) bool {
	switch t {
	case Access, Rectification, Erasure, Retention:
		return true
	}
	return false
}

// New is an open request received on a date, due one month later (GDPR
// art. 12(3)). Its id is the next free number of the year it was received.
// A retention sweep of every customer has an empty subject.
func New(root, typ, subject string, received time.Time) (*Request, error) {
	if !ValidType(typ) {
		return nil, fmt.Errorf("request type %q: use access, rectification, erasure or retention", typ)
	}
	id, err := nextID(root, received.Year())
	if err != nil {
		return nil, err
	}
	return &Request{
		ID:       id,
		Type:     typ,
		Subject:  subject,
		Received: received.Format(DateFormat),
		Due:      AddMonth(received).Format(DateFormat),
		Status:   Open,
	}, nil
}

// AddMonth is the same day of the next month, or that month's last day
// when it is shorter (received 31 January, due 28 February), as EU time
// limits are counted (Regulation 1182/71 art. 3(2)(c)). time.AddDate would
// roll over into March and miss the deadline.
func AddMonth(t time.Time) time.Time { return addMonths(t, 1) }

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	last := time.Date(y, m+time.Month(n)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(y, m+time.Month(n), min(d, last), 0, 0, 0, 0, time.UTC)
}

// nextID is DSR-<year>-<one more than the highest number used that year>.
// Numbers are never reused, so a request id names one request forever.
func nextID(root string, year int) (string, error) {
	prefix := fmt.Sprintf("DSR-%04d-", year)
	names, err := filepath.Glob(filepath.Join(root, Dir, prefix+"*.yaml"))
	if err != nil {
		return "", err
	}
	high := 0
	for _, n := range names {
		id := strings.TrimSuffix(filepath.Base(n), ".yaml")
		if !ValidID(id) {
			continue
		}
		if k, err := strconv.Atoi(strings.TrimPrefix(id, prefix)); err == nil && k > high {
			high = k
		}
	}
	return fmt.Sprintf("%s%04d", prefix, high+1), nil
}

// DaysLeft is the number of days until the request is due on day now;
// negative when it is overdue.
func (r *Request) DaysLeft(now time.Time) (int, error) {
	due, err := time.Parse(DateFormat, r.Due)
	if err != nil {
		return 0, fmt.Errorf("%s: the due date is not a date like 2026-03-01 (value not shown)", r.ID)
	}
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return int(due.Sub(today).Hours() / 24), nil
}

// Close marks the request done on day now.
func (r *Request) Close(now time.Time) {
	r.Status = Done
	r.Done = now.Format(DateFormat)
}
