package request

import (
	"encoding/json"
	"errors"
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
)

// Export files, written 0600 in the out directory.
const (
	JSONFile = "subject.json"
	HTMLFile = "report.html"
)

// Copy is everything held about a subject (GDPR art. 15): subject.json.
type Copy struct {
	Subject         string     `json:"subject"`
	Request         string     `json:"request"`
	Date            string     `json:"date"`
	SecretsIncluded bool       `json:"secrets_included"`
	Categories      []Category `json:"categories"`
	Records         []Held     `json:"records"`
	// Mentions are the fields of the customer's other records that hold
	// one of the user's personal values (her name as the customer's
	// contact, on a contract, in a maintenance note), beyond the records
	// and parts above: a user's copy only.
	Mentions []Mention `json:"mentions,omitempty"`
}

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
	// Part is the field holding the subject's data when the record is
	// about others too (a device assigned to the user: devices.2).
	Part string `json:"part,omitempty"`
	Data any    `json:"data"`
}

// ExportOptions say how an access copy is made.
type ExportOptions struct {
	// IncludeSecrets puts passwords and other x-secret values in the copy
	// instead of the language's "value withheld".
	IncludeSecrets bool
	// Language of the report and of the texts in subject.json.
	Language Language
}

// Exported is what an export wrote.
type Exported struct {
	Request  *ledger.Request
	Dir      string
	Files    []string
	Records  int
	Withheld int // secret values withheld
	Commit   string
}

// Export answers an access request: it writes subject.json and a
// self-contained report.html to outDir (0600 files, a new or empty
// directory outside the repository) and closes the request in one ledger
// commit. A user's copy holds the user's record and the parts of the
// customer's other records that refer to the user (x-ref: user), with the
// ids of other users left out. Secrets are withheld unless asked for.
func (e *Env) Export(subject, requestID, outDir string, opt ExportOptions) (*Exported, error) {
	if opt.Language == "" {
		opt.Language = Dutch
	}
	req, subj, err := e.begin(requestID, ledger.Access, subject)
	if err != nil {
		return nil, err
	}
	created, err := e.outDir(outDir)
	if err != nil {
		return nil, err
	}
	cp, withheld, err := e.collect(subj, req.ID, opt)
	if err != nil {
		cleanOut(outDir, nil, created)
		return nil, err
	}
	res := &Exported{Request: req, Dir: outDir, Records: len(cp.Records), Withheld: withheld}
	data, err := json.MarshalIndent(cp, "", "  ")
	if err == nil {
		err = safefile.Write(filepath.Join(outDir, JSONFile), append(data, '\n'), 0o600)
	}
	if err == nil {
		res.Files = append(res.Files, JSONFile)
		var page []byte
		if page, err = renderHTML(cp, e.WS.Schemas, opt.Language); err == nil {
			err = safefile.Write(filepath.Join(outDir, HTMLFile), page, 0o600)
		}
	}
	if err == nil {
		res.Files = append(res.Files, HTMLFile)
		req.Close(e.Now)
		res.Commit, err = e.commit(repo.Change{}, req, message("access request "+req.ID+" answered ("+subj.String()+")", req, ledger.Access, subj.String()))
	}
	if err != nil {
		// No closed request, no copy: the subject's data is not left
		// lying around without a ledger entry saying it was handed out.
		cleanOut(outDir, []string{JSONFile, HTMLFile}, created)
		return nil, err
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

func cleanOut(dir string, files []string, created bool) {
	for _, f := range files {
		os.Remove(filepath.Join(dir, f))
	}
	if created {
		os.Remove(dir)
	}
}

// collect decrypts what is held about the subject.
func (e *Env) collect(subj record.Subject, id string, opt ExportOptions) (*Copy, int, error) {
	cp := &Copy{Subject: subj.String(), Request: id, Date: e.Now.Format(ledger.DateFormat), SecretsIncluded: opt.IncludeSecrets}
	files, err := e.customerFiles(subj.Customer)
	if err != nil {
		return nil, 0, err
	}
	pr := &presenter{user: subj.User, secrets: opt.IncludeSecrets, withheldText: opt.Language.Withheld()}
	kinds := map[string]bool{}
	for _, p := range files {
		whole := subj.User == "" || (p.Kind == "user" && p.ID == subj.User)
		var parts [][]string
		if !whole {
			k, err := e.kind(p)
			if err != nil {
				return nil, 0, err
			}
			v, err := e.readable(p)
			if err != nil {
				return nil, 0, err
			}
			if parts = enclosing(v, refPaths(k.Root, v, subj.User)); len(parts) == 0 {
				continue
			}
		}
		o, err := e.decrypt(p)
		if err != nil {
			return nil, 0, err
		}
		v, err := o.value()
		if err != nil {
			return nil, 0, err
		}
		kinds[p.Kind] = true
		if whole || len(parts[0]) == 0 {
			cp.Records = append(cp.Records, Held{Path: p.Rel, Kind: p.Kind, Data: pr.present(o.kind.Root, v)})
			continue
		}
		for _, part := range parts {
			n, pv := at(o.kind.Root, v, part)
			cp.Records = append(cp.Records, Held{Path: p.Rel, Kind: p.Kind, Part: strings.Join(part, "."), Data: pr.present(n, pv)})
		}
	}
	if cp.Mentions, err = e.exportMentions(subj, files, cp.Records); err != nil {
		return nil, 0, err
	}
	for _, m := range cp.Mentions {
		kinds[m.Kind] = true
	}
	for _, name := range e.WS.Schemas.Names() {
		if !kinds[name] {
			continue
		}
		cp.Categories = append(cp.Categories, opt.Language.category(name, e.WS.Schemas.Kinds[name]))
	}
	return cp, pr.withheld, nil
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
	user         string // the subject user; other users' ids are left out
	secrets      bool
	withheldText string // what stands in for a withheld secret
	withheld     int
}

func (pr *presenter) present(n *schema.Node, v any) any {
	if n == nil {
		return nil
	}
	if n.Class == schema.Secret && !pr.secrets {
		pr.withheld++
		return pr.withheldText
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
			out[k] = pr.present(n.Props[k], c)
		}
		return out
	case []any:
		out := []any{}
		for _, c := range t {
			if s, ok := c.(string); ok && n.Items != nil && n.Items.Ref == "user" && pr.user != "" && s != pr.user {
				continue
			}
			out = append(out, pr.present(n.Items, c))
		}
		return out
	}
	return v
}
