package request

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/safefile"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/settings"
)

// Export files, written 0600 in the out directory.
const (
	JSONFile = "subject.json"
	HTMLFile = "report.html"
)

// SubjectSchema is the JSON Schema (2020-12) of subject.json: the
// documentation of the portable format, for whoever receives a copy.
//
//go:embed subject.schema.json
var SubjectSchema []byte

// FormatVersion is the version of subject.json's format, described by
// schema/subject.schema.json. It changes when a field changes meaning or
// goes away; new optional fields do not change it.
const FormatVersion = 1

// Copy is everything held about a subject (GDPR art. 15): subject.json.
// Its keys are English whatever the report's language; only the texts
// meant for a person (titles, purposes, retention) follow the language.
type Copy struct {
	FormatVersion   int         `json:"format_version"`
	Subject         SubjectInfo `json:"subject"`
	Controller      Controller  `json:"controller"`
	Request         string      `json:"request"`
	Date            string      `json:"date"`
	Language        Language    `json:"language"`
	SecretsIncluded bool        `json:"secrets_included"`
	// Withheld lists every value left out of the copy; each stands as
	// {"withheld": true, "reason": ...} in its record's data.
	Withheld   []Ref      `json:"withheld"`
	Source     string     `json:"source"`
	Categories []Category `json:"categories"`
	Records    []Held     `json:"records"`
	// Mentions are the fields of the customer's other records that hold
	// one of the user's personal values (her name as the customer's
	// contact, on a contract, in a maintenance note), beyond the records
	// and parts above: a user's copy only.
	Mentions []Mention `json:"mentions,omitempty"`
}

// SubjectInfo is who the copy is about: the ids the records use for
// them, and their name as their own record gives it.
type SubjectInfo struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	User     string `json:"user,omitempty"`
	Name     string `json:"name,omitempty"`
	// CustomerName is the customer's name: a user's employer or principal,
	// the source of the user's data.
	CustomerName string `json:"customer_name,omitempty"`
}

// Controller is the company that answers for the data (dossier.yaml).
type Controller struct {
	Name           string   `json:"name"`
	Address        string   `json:"address"`
	PrivacyContact string   `json:"privacy_contact"`
	Email          string   `json:"email"`
	Phone          string   `json:"phone,omitempty"`
	Recipients     []string `json:"recipients"`
}

// Ref names one field of one record: its path in the repository and the
// dotted field path in the record (accounts.0.password).
type Ref struct {
	Path   string `json:"path"`
	Field  string `json:"field"`
	Reason string `json:"reason"` // secret, others (art. 15(4))
}

// Withheld reasons.
const (
	ReasonSecret = "secret"
	ReasonOthers = "others"
)

// Category is a kind of record held, why, and for how long.
type Category struct {
	Kind        string `json:"kind"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Purpose     string `json:"purpose"`
	Retention   string `json:"retention"`
}

// Held is one record, or the part of one that concerns the subject.
type Held struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Part is the field holding the subject's data when the record is
	// about others too (a device assigned to the user: devices.2).
	Part string `json:"part,omitempty"`
	Data any    `json:"data"`
}

// Review is a field of the copy that may hold other people's data, for
// the privacy officer to look at before handing it over (GDPR art. 15(4):
// the right of access must not adversely affect the rights of others).
type Review struct {
	Path  string `json:"path"`
	Field string `json:"field"` // "" for a whole record
	Why   string `json:"why"`
}

// ExportOptions say how an access copy is made.
type ExportOptions struct {
	// IncludeSecrets puts passwords and other x-secret values in the copy
	// instead of {"withheld": true}.
	IncludeSecrets bool
	// RedactOthers leaves out what the review would list: other users'
	// records in a customer's copy, and free-text notes.
	RedactOthers bool
	// Close closes the request with this export; by default it stays open
	// (a corrected re-export, another language) until "requests close".
	Close bool
	// Language of the report and of the texts in subject.json.
	Language Language
	// Controller is who the report names as its sender; required.
	Controller *settings.Controller
}

// Exported is what an export wrote.
type Exported struct {
	Request  *ledger.Request
	Dir      string
	Files    []string
	Records  int
	Withheld int // secret values withheld
	Redacted int // values or records left out for others' sake
	Review   []Review
	Commit   string
	Closed   bool
}

// Export answers an access request: it writes subject.json and a
// self-contained report.html to outDir (0600 files, a new or empty
// directory outside the repository) and records the export in the ledger
// in one commit; the request stays open unless opt.Close. A user's copy
// holds the user's record and the parts of the customer's other records
// that refer to the user (x-ref: user), with the ids of other users left
// out. Secrets are withheld unless asked for. What may be other people's
// data is listed in the result for review, or left out (RedactOthers).
func (e *Env) Export(subject, requestID, outDir string, opt ExportOptions) (*Exported, error) {
	if opt.Language == "" {
		opt.Language = Dutch
	}
	if opt.Controller == nil {
		return nil, refuse("no controller given: %s", settings.ControllerFix)
	}
	req, subj, err := e.begin(requestID, ledger.Access, subject)
	if err != nil {
		return nil, err
	}
	created, err := e.outDir(outDir)
	if err != nil {
		return nil, err
	}
	cp, res, err := e.collect(subj, req.ID, opt)
	if err != nil {
		return nil, errors.Join(err, cleanOut(outDir, nil, created))
	}
	res.Request, res.Dir, res.Records = req, outDir, len(cp.Records)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "&" and "<" in a name are text, not \u0026
	enc.SetIndent("", "  ")
	err = enc.Encode(cp)
	if err == nil {
		err = safefile.Write(filepath.Join(outDir, JSONFile), buf.Bytes(), 0o600)
	}
	if err == nil {
		res.Files = append(res.Files, JSONFile)
		var page []byte
		if page, err = renderHTML(cp, e.WS.Schemas, opt.Language, res); err == nil {
			err = safefile.Write(filepath.Join(outDir, HTMLFile), page, 0o600)
		}
	}
	if err == nil {
		res.Files = append(res.Files, HTMLFile)
		req.Record(e.Now, ledger.EventExport, string(opt.Language))
		summary := "access request " + req.ID + ": copy exported (" + subj.String() + ")"
		if opt.Close {
			req.Close(e.Now)
			res.Closed = true
			summary = "access request " + req.ID + " answered (" + subj.String() + ")"
		}
		res.Commit, err = e.commit(repo.Change{}, req, message(summary, req, ledger.Access, subj.String()))
	}
	if err != nil {
		// No ledger entry, no copy: the subject's data is not left lying
		// around without the ledger saying it was handed out.
		return nil, errors.Join(err, cleanOut(outDir, []string{JSONFile, HTMLFile}, created))
	}
	return res, nil
}

// outDir checks the export directory: outside the repository's work tree,
// and new or empty. It reports whether it created the directory.
func (e *Env) outDir(dir string) (bool, error) {
	if dir == "" {
		return false, refuse("--out DIR is required: a new or empty directory outside the repository")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	root, err := filepath.EvalSymlinks(e.WS.Root)
	if err != nil {
		return false, err
	}
	if rel, err := filepath.Rel(root, resolveExisting(abs)); err == nil && !strings.HasPrefix(rel, "..") {
		return false, refuse("--out %s is inside the repository's work tree: the decrypted copy could be committed; choose a directory outside %s", dir, e.WS.Root)
	}
	entries, err := os.ReadDir(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, refuse("--out %s: %v", dir, err)
	case len(entries) > 0:
		return false, refuse("--out %s is not empty; give a new or empty directory", dir)
	}
	return false, nil
}

// resolveExisting resolves symbolic links in the longest existing prefix
// of an absolute path, so a link into the work tree is seen for what it is.
func resolveExisting(p string) string {
	var rest []string
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{r}, rest...)...)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return p
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

// cleanOut removes what a failed export wrote to dir (files, and dir
// itself if the export made it). A file it cannot remove may hold the
// subject's decrypted data, so the error names the folder to clean.
func cleanOut(dir string, files []string, created bool) error {
	var errs []error
	for _, f := range files {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if created {
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("the export folder %s may still hold decrypted data: remove it: %w", dir, errors.Join(errs...))
	}
	return nil
}

// collect decrypts what is held about the subject. The subject's own
// record comes first, then the others in path order.
func (e *Env) collect(subj record.Subject, id string, opt ExportOptions) (*Copy, *Exported, error) {
	c := opt.Controller
	cp := &Copy{
		FormatVersion: FormatVersion,
		Subject:       SubjectInfo{ID: subj.String(), Customer: subj.Customer, User: subj.User},
		Controller:    Controller{Name: c.Name, Address: c.Address, PrivacyContact: c.PrivacyContact, Email: c.Email, Phone: c.Phone, Recipients: append([]string{}, c.Recipients...)},
		Request:       id, Date: e.Now.Format(ledger.DateFormat), Language: opt.Language,
		SecretsIncluded: opt.IncludeSecrets, Withheld: []Ref{},
	}
	res := &Exported{}
	files, err := e.customerFiles(subj.Customer)
	if err != nil {
		return nil, nil, err
	}
	own := record.For(subj.Customer, "customer", subj.Customer)
	if subj.User != "" {
		own = record.For(subj.Customer, "user", subj.User)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Rel == own && files[j].Rel != own })
	pr := &presenter{user: subj.User, secrets: opt.IncludeSecrets, redact: opt.RedactOthers}
	// The customer's name is the source of a user's data, and the
	// subject's name is the report's first line: both are read from
	// their records, which a user's copy decrypts only for that.
	customerRec := record.For(subj.Customer, "customer", subj.Customer)
	decrypted := map[string]map[string]any{}
	for _, p := range files {
		if p.Rel != customerRec && p.Rel != own {
			continue
		}
		o, err := e.decrypt(p)
		if err != nil {
			return nil, nil, err
		}
		v, err := o.value()
		if err != nil {
			return nil, nil, err
		}
		decrypted[p.Rel] = v
		switch p.Kind {
		case "customer":
			cp.Subject.CustomerName, _ = v["company_name"].(string)
			if subj.User == "" {
				cp.Subject.Name = cp.Subject.CustomerName
			}
		case "user":
			cp.Subject.Name, _ = v["full_name"].(string)
		}
	}
	kinds := map[string]bool{}
	for _, p := range files {
		whole := subj.User == "" || p.Rel == own
		if subj.User == "" && p.Kind == "user" {
			// A user's own record in a customer's copy is someone
			// else's data: their logins and passwords (art. 15(4)).
			if opt.RedactOthers {
				res.Redacted++
				continue
			}
			res.Review = append(res.Review, Review{Path: p.Rel, Why: "another person's record (user " + p.ID + "): their name, contact details and logins; hand it over only if the customer may see it, or export with --redact-others"})
		}
		var parts [][]string
		if !whole {
			k, err := e.kind(p)
			if err != nil {
				return nil, nil, err
			}
			v, err := e.readable(p)
			if err != nil {
				return nil, nil, err
			}
			if parts = enclosing(v, refPaths(k.Root, v, subj.User)); len(parts) == 0 {
				continue
			}
		}
		k, err := e.kind(p)
		if err != nil {
			return nil, nil, err
		}
		v := decrypted[p.Rel]
		if v == nil {
			o, err := e.decrypt(p)
			if err != nil {
				return nil, nil, err
			}
			if v, err = o.value(); err != nil {
				return nil, nil, err
			}
		}
		kinds[p.Kind] = true
		pr.path = p.Rel
		if whole || len(parts[0]) == 0 {
			cp.Records = append(cp.Records, Held{Path: p.Rel, Kind: p.Kind, ID: p.ID, Data: pr.present(k.Root, v, nil)})
			continue
		}
		for _, part := range parts {
			n, pv := at(k.Root, v, part)
			cp.Records = append(cp.Records, Held{Path: p.Rel, Kind: p.Kind, ID: p.ID, Part: strings.Join(part, "."), Data: pr.present(n, pv, part)})
		}
	}
	if cp.Mentions, err = e.exportMentions(subj, files, cp.Records); err != nil {
		return nil, nil, err
	}
	for _, m := range cp.Mentions {
		kinds[m.Kind] = true
	}
	names := e.WS.Schemas.Names()
	first := "customer"
	if subj.User != "" {
		first = "user"
	}
	sort.SliceStable(names, func(i, j int) bool { return names[i] == first && names[j] != first })
	for _, name := range names {
		if kinds[name] {
			cp.Categories = append(cp.Categories, opt.Language.category(name, e.WS.Schemas))
		}
	}
	cp.Withheld = append(cp.Withheld, pr.refs...)
	cp.Source = opt.Language.source(cp.Subject)
	res.Withheld = pr.withheld
	res.Redacted += pr.redacted
	res.Review = append(res.Review, pr.review...)
	return cp, res, nil
}

// enclosing maps the paths of references to the parts that hold them: the
// nearest enclosing mapping (the record itself for a top-level field or a
// list of ids, a list item for devices.2.assigned_to). The record itself
// wins over its parts; parts are unique and sorted.
func enclosing(v any, refs [][]string) [][]string {
	seen := map[string]bool{}
	var out [][]string
	for _, r := range refs {
		p := r[:len(r)-1]
		for len(p) > 0 {
			if _, isMap := valueAt(v, p).(map[string]any); isMap {
				break
			}
			p = p[:len(p)-1]
		}
		if len(p) == 0 {
			return [][]string{{}}
		}
		if key := strings.Join(p, "."); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], ".") < strings.Join(out[j], ".") })
	return out
}

func valueAt(v any, p []string) any {
	for _, seg := range p {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// at returns the subschema and value at path.
func at(n *schema.Node, v any, p []string) (*schema.Node, any) {
	for _, seg := range p {
		switch {
		case n == nil:
		case n.Props != nil:
			n = n.Props[seg]
		default:
			n = n.Items
		}
	}
	return n, valueAt(v, p)
}

// presenter shapes decrypted values for an export.
type presenter struct {
	user     string // the subject user; other users' ids are left out
	secrets  bool
	redact   bool   // leave out free text (art. 15(4)) instead of listing it
	path     string // the record being presented
	withheld int
	redacted int
	refs     []Ref
	review   []Review
}

// withheldValue stands in for a value left out of a copy: the subject
// learns that it is stored, not what it is.
func withheldValue(reason string) map[string]any {
	return map[string]any{"withheld": true, "reason": reason}
}

// IsWithheld reports whether a presented value stands for a withheld one.
func IsWithheld(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || m["withheld"] != true {
		return "", false
	}
	r, _ := m["reason"].(string)
	return r, true
}

func (pr *presenter) present(n *schema.Node, v any, p []string) any {
	if n == nil {
		return nil
	}
	field := strings.Join(p, ".")
	if n.Class == schema.Secret && !pr.secrets {
		pr.withheld++
		pr.refs = append(pr.refs, Ref{Path: pr.path, Field: field, Reason: ReasonSecret})
		return withheldValue(ReasonSecret)
	}
	if n.FreeText {
		if pr.redact {
			pr.redacted++
			pr.refs = append(pr.refs, Ref{Path: pr.path, Field: field, Reason: ReasonOthers})
			return withheldValue(ReasonOthers)
		}
		pr.review = append(pr.review, Review{Path: pr.path, Field: field, Why: "free text: may name other people (a colleague, a visitor); read it, or export with --redact-others"})
	}
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range t {
			if n.Props[k] == nil {
				continue
			}
			if s, ok := c.(string); ok && n.Props[k].Ref == "user" && pr.user != "" && s != pr.user {
				continue
			}
			out[k] = pr.present(n.Props[k], c, append(p[:len(p):len(p)], k))
		}
		return out
	case []any:
		out := []any{}
		for i, c := range t {
			if s, ok := c.(string); ok && n.Items != nil && n.Items.Ref == "user" && pr.user != "" && s != pr.user {
				continue
			}
			out = append(out, pr.present(n.Items, c, append(p[:len(p):len(p)], strconv.Itoa(i))))
		}
		return out
	}
	return v
}
