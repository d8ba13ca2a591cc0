package request

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/lazyregexp"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/yamltree"
)

// A user's personal values do not stay in the user's own record: the
// customer's contact person is a user, a contract is signed by one, and
// engineers write names and e-mail addresses into maintenance notes and
// error reports. Ids find references (x-ref); only the decrypted values
// find these mentions, so the search needs a key. Erasure replaces each
// mention by Marker, access lists them (Mention).

// Marker is what an erasure writes where a mention of its subject was: the
// request id, so that a reader knows why and where to ask.
func Marker(requestID string) string { return "[gewist " + requestID + "]" }

// emailMarker stands in for a whole e-mail field that must hold an address
// (the customer's required e-mail): an address that can never be
// delivered (.invalid is reserved, RFC 2606), naming the request.
func emailMarker(requestID string) string { return "gewist." + requestID + "@gewist.invalid" }

// Mention is one field of another record of the subject's customer that
// holds one of the subject's personal values. Value is the decrypted field,
// for an access copy only; an erasure never carries it.
type Mention struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Field string `json:"field"` // dotted, with list indexes: accounts.0.login
	Value string `json:"value,omitempty"`
}

// Scrubbed is what an erasure did to the mentions in one record.
type Scrubbed struct {
	Path     string
	Removed  int      // mentions replaced by the marker
	Fields   []string // the fields they were in
	Retained []string // fields with a mention that a legal retention keeps
	Dropped  []string // optional fields that could not hold the marker and were removed
}

// minPart is the shortest name part, login or other value matched: shorter
// ones ("An", "Jo") are too common inside other words and names.
const minPart = 3

// particles are name parts that never identify anyone on their own.
var particles = map[string]bool{"van": true, "der": true, "den": true, "de": true, "het": true, "ter": true, "ten": true, "von": true, "le": true, "la": true, "du": true, "des": true, "di": true, "da": true, "del": true, "dos": true, "mc": true, "mac": true}

// needle is one way a value can be written; edge says which characters may
// not touch a match (it would then be part of a longer word or number).
type needle struct {
	re   *regexp.Regexp
	edge func(rune) bool
}

// finder finds the subject's values in text.
type finder struct {
	needles []needle
	values  int // subject values it was built from
}

func wordRune(r rune) bool  { return unicode.IsLetter(r) || unicode.IsDigit(r) }
func digitRune(r rune) bool { return unicode.IsDigit(r) }

var phoneLike = lazyregexp.New(`^\+?[0-9 ()./-]{6,}$`)

// newFinder builds the needles for the subject's personal string values
// (field name to value). Matching is case-insensitive. E-mail addresses
// and logins are matched as they are written, phone numbers by their
// digits whatever the separators (and +32 4.. also as 04..), names as whole
// words: the full name in either order, and the first name alone unless
// another person of the customer has the same first name (taken: lower
// case). A surname alone is not matched: relatives share it, and it is
// often part of the company's name.
func newFinder(values []fieldValue, taken map[string]bool) *finder {
	f := &finder{}
	add := func(pattern string, edge func(rune) bool) {
		f.needles = append(f.needles, needle{re: regexp.MustCompile(`(?i)` + pattern), edge: edge})
	}
	for _, fv := range values {
		v := strings.TrimSpace(fv.value)
		if utf8.RuneCountInString(v) < minPart {
			continue
		}
		f.values++
		switch {
		case strings.Contains(v, "@"):
			add(regexp.QuoteMeta(v), wordRune)
		case fv.key == "phone" || phoneLike.MatchString(v):
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, v)
			if len(digits) < 6 {
				continue
			}
			add(`(?:\+|00)?`+digitPattern(digits), digitRune)
			if strings.HasPrefix(v, "+") && len(digits) > 9 {
				add(digitPattern("0"+digits[2:]), digitRune)
			}
		case strings.Contains(fv.key, "name"):
			parts := strings.Fields(v)
			quoted := make([]string, len(parts))
			for i, p := range parts {
				quoted[i] = regexp.QuoteMeta(p)
			}
			add(strings.Join(quoted, `\s+`), wordRune)
			if len(parts) > 1 {
				rev := append([]string{quoted[len(quoted)-1]}, quoted[:len(quoted)-1]...)
				add(strings.Join(rev, `,?\s+`), wordRune)
				first := strings.ToLower(parts[0])
				if utf8.RuneCountInString(first) >= minPart && !particles[first] && !taken[first] {
					add(quoted[0], wordRune)
				}
			}
		default:
			add(regexp.QuoteMeta(v), wordRune)
		}
	}
	return f
}

// digitPattern matches the digits with any common separators between them.
func digitPattern(digits string) string {
	var b strings.Builder
	for i, d := range digits {
		if i > 0 {
			b.WriteString(`[\s./()-]*`)
		}
		b.WriteRune(d)
	}
	return b.String()
}

// find returns the merged spans of every match in s, in order.
func (f *finder) find(s string) [][2]int {
	var spans [][2]int
	for _, n := range f.needles {
		for _, m := range n.re.FindAllStringIndex(s, -1) {
			if before, _ := utf8.DecodeLastRuneInString(s[:m[0]]); m[0] > 0 && n.edge(before) {
				continue
			}
			if after, _ := utf8.DecodeRuneInString(s[m[1]:]); m[1] < len(s) && n.edge(after) {
				continue
			}
			spans = append(spans, [2]int{m[0], m[1]})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var out [][2]int
	for _, sp := range spans {
		if len(out) > 0 && sp[0] <= out[len(out)-1][1] {
			out[len(out)-1][1] = max(out[len(out)-1][1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out
}

// replace puts marker in place of every match; it returns the new text
// and the number of mentions replaced.
func (f *finder) replace(s, marker string) (string, int) {
	spans := f.find(s)
	if len(spans) == 0 {
		return s, 0
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteString(marker)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String(), len(spans)
}

// fieldValue is one personal string of a record and where it is.
type fieldValue struct {
	path  []string
	key   string // the last field name on the path (not an index)
	value string
}

// personalStrings lists the personal string values of a decrypted record,
// as the schema marks them (x-personal, on the field or around it).
func personalStrings(n *schema.Node, v any) []fieldValue {
	var out []fieldValue
	var walk func(n *schema.Node, v any, p []string, key string, personal bool)
	walk = func(n *schema.Node, v any, p []string, key string, personal bool) {
		if n == nil || n.Class == schema.Secret {
			return
		}
		personal = personal || n.Class == schema.Personal
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				walk(n.Props[k], c, append(p[:len(p):len(p)], k), k, personal)
			}
		case []any:
			for i, c := range t {
				walk(n.Items, c, append(p[:len(p):len(p)], strconv.Itoa(i)), key, personal)
			}
		case string:
			if personal {
				out = append(out, fieldValue{path: p, key: key, value: t})
			}
		}
	}
	walk(n, v, nil, "", false)
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i].path, ".") < strings.Join(out[j].path, ".") })
	return out
}

// mentionScan is the search for a user's values in the other records of
// the user's customer. Without a key (noKey) nothing can be searched.
type mentionScan struct {
	find   *finder
	noKey  bool
	opened map[string]*opened // decrypted records, by path, reused by the erasure
}

// nameKey reports whether a field holds a person's name: full_name,
// contact_name, billing_name, signed_by.
func nameKey(key string) bool { return strings.Contains(key, "name") || strings.HasSuffix(key, "_by") }

// normName is a name in lower case with single spaces.
func normName(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// errNoKey is what openKeyed returns when no available key opens a record.
var errNoKey = errors.New("no key opens this record")

// openKeyed is decrypt, but tells a missing key apart from every other
// failure: a keyless erasure still removes the subject's own records.
func (e *Env) openKeyed(p record.Path) (*opened, error) {
	k, err := e.kind(p)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(e.WS.Abs(p.Rel))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p.Rel, err)
	}
	ids, err := e.WS.Identities()
	if err != nil {
		return nil, err
	}
	f, err := sopsfile.Decrypt(data, ids)
	if errors.Is(err, sopsfile.ErrNoKey) {
		return nil, errNoKey
	}
	if err != nil {
		// The workspace's message says what to do (tampered, unreadable).
		return e.decrypt(p)
	}
	plain, err := f.Plain()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Rel, err)
	}
	root, err := yamltree.Parse(plain)
	if err != nil {
		return nil, fmt.Errorf("%s: decrypted content: %w", p.Rel, err)
	}
	return &opened{path: p, kind: k, file: f, root: root}, nil
}

// scanMentions decrypts the subject user's record and every other record of
// the customer, and builds the finder from the user's personal values.
// The other names in the customer's name fields (a colleague's full name,
// another contact person, whoever signed a contract) are read so that a
// first name shared with someone else is not taken for the subject's.
// Without a key for the user's record nothing is searched (noKey); a
// record no key opens is left out of opened, and the erasure names it as
// not searched.
func (e *Env) scanMentions(subj record.Subject, files []record.Path) (*mentionScan, error) {
	sc := &mentionScan{opened: map[string]*opened{}}
	self := record.For(subj.Customer, "user", subj.User)
	own, err := e.openKeyed(record.Path{Rel: self, Kind: "user", Customer: subj.Customer, ID: subj.User})
	// A subject whose record an ordinary commit deleted exists only in
	// history: her values are not at hand, so nothing is searched and the
	// erasure names every record as not searched, as without a key.
	if errors.Is(err, errNoKey) || errors.Is(err, fs.ErrNotExist) {
		sc.noKey = true
		return sc, nil
	}
	if err != nil {
		return nil, err
	}
	v, err := own.value()
	if err != nil {
		return nil, err
	}
	values := personalStrings(own.kind.Root, v)
	hers := map[string]bool{}
	for _, fv := range values {
		if nameKey(fv.key) {
			hers[normName(fv.value)] = true
		}
	}
	taken := map[string]bool{}
	for _, p := range files {
		if p.Rel == self {
			continue
		}
		o, err := e.openKeyed(p)
		if errors.Is(err, errNoKey) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc.opened[p.Rel] = o
		ov, err := o.value()
		if err != nil {
			return nil, err
		}
		for _, fv := range personalStrings(o.kind.Root, ov) {
			if n := normName(fv.value); nameKey(fv.key) && n != "" && !hers[n] {
				taken[strings.Fields(n)[0]] = true
			}
		}
	}
	sc.find = newFinder(values, taken)
	return sc, nil
}

// mentions lists the fields of a decrypted record that mention the subject.
func (sc *mentionScan) mentions(o *opened) ([]Mention, error) {
	v, err := o.value()
	if err != nil {
		return nil, err
	}
	var out []Mention
	for _, fv := range personalStrings(o.kind.Root, v) {
		if len(sc.find.find(fv.value)) > 0 {
			out = append(out, Mention{Path: o.path.Rel, Kind: o.path.Kind, Field: strings.Join(fv.path, "."), Value: fv.value})
		}
	}
	return out, nil
}

// scrub replaces the subject's values in the personal string fields of a
// decrypted record by the marker, in place. Fields that a running legal
// retention keeps (the contract's billing name) are left and listed. A
// field the schema refuses once the marker is in it (a phone pattern, an
// e-mail format) is removed when optional, or holds emailMarker. It
// returns nil when the record mentions nothing.
func (sc *mentionScan) scrub(e *Env, o *opened, requestID string) (*Scrubbed, error) {
	marker := Marker(requestID)
	retained := map[string]bool{}
	if k := o.kind; k.Retention != nil && len(k.Retention.Keep) > 0 {
		v, err := o.value()
		if err != nil {
			return nil, err
		}
		if h, err := retention(k, v); err == nil && h != nil && h.retainedOn(e.Now) {
			for _, f := range k.Retention.Keep {
				retained[f] = true
			}
		}
	}
	s := &Scrubbed{Path: o.path.Rel}
	var changed [][]string
	var walk func(n *schema.Node, y *yaml.Node, p []string, personal bool)
	walk = func(n *schema.Node, y *yaml.Node, p []string, personal bool) {
		if n == nil || n.Class == schema.Secret {
			return
		}
		personal = personal || n.Class == schema.Personal
		switch y.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(y.Content); i += 2 {
				k := y.Content[i].Value
				walk(n.Props[k], y.Content[i+1], append(p[:len(p):len(p)], k), personal)
			}
		case yaml.SequenceNode:
			for i, c := range y.Content {
				walk(n.Items, c, append(p[:len(p):len(p)], strconv.Itoa(i)), personal)
			}
		case yaml.ScalarNode:
			if !personal || y.Tag != "!!str" {
				return
			}
			field := strings.Join(p, ".")
			if retained[p[0]] {
				if len(sc.find.find(y.Value)) > 0 {
					s.Retained = append(s.Retained, field)
				}
				return
			}
			nv, n := sc.find.replace(y.Value, marker)
			if n == 0 {
				return
			}
			changed = append(changed, p)
			y.Value, y.Style = nv, 0
			s.Removed += n
			s.Fields = append(s.Fields, field)
		}
	}
	walk(o.kind.Root, o.root, nil, false)
	if s.Removed == 0 && len(s.Retained) == 0 {
		return nil, nil
	}
	if err := fitSchema(o, changed, requestID, s); err != nil {
		return nil, err
	}
	return s, nil
}

// fitSchema makes a record valid again where the marker broke a field's
// pattern or format (such a field is an identifier of the subject, not
// text about her): an optional field is removed, a required one gets
// emailMarker. A field that takes neither refuses the erasure, naming the
// field, never the value.
func fitSchema(o *opened, changed [][]string, requestID string, s *Scrubbed) error {
	for _, p := range changed {
		field := strings.Join(p, ".")
		bad, err := violated(o, field)
		if err != nil {
			return err
		}
		if !bad {
			continue
		}
		if err := unset(o.root, p); err != nil {
			return err
		}
		if bad, err = violated(o, field); err != nil {
			return err
		}
		if !bad {
			s.Dropped = append(s.Dropped, field)
			continue
		}
		if err := set(o.root, p, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: emailMarker(requestID)}); err != nil {
			return err
		}
		if bad, err = violated(o, field); err != nil {
			return err
		}
		if bad {
			return refuse("%s: field %q holds only the erased subject's value, and the schema allows neither the marker nor leaving it out; correct it first with \"dossier correct\" (nothing was changed)", o.path.Rel, field)
		}
	}
	return nil
}

// violated reports whether the schema finds fault with field of o.
func violated(o *opened, field string) (bool, error) {
	v, err := o.value()
	if err != nil {
		return false, err
	}
	for _, viol := range o.kind.Validate(v) {
		if strings.Join(viol.Path, ".") == field {
			return true, nil
		}
	}
	return false, nil
}

// eraseOther is an erasure's change to another record of the erased user's
// customer: references to the user cleared and mentions of the user
// replaced, decrypted once and sealed once, so values it does not touch
// keep their ciphertext. It returns nil when the record does not change.
// A record it could not decrypt is named in res.NotSearched, and in
// res.NotCleared when it refers to the user: the user's own record is
// erased all the same.
func (e *Env) eraseOther(p record.Path, user string, sc *mentionScan, requestID string, res *Erased) ([]byte, error) {
	o := sc.opened[p.Rel]
	if o == nil {
		res.NotSearched = append(res.NotSearched, p.Rel)
		k, err := e.kind(p)
		if err != nil {
			return nil, err
		}
		v, err := e.readable(p)
		if err != nil {
			return nil, err
		}
		if len(refPaths(k.Root, v, user)) > 0 {
			res.NotCleared = append(res.NotCleared, p.Rel)
		}
		return nil, nil
	}
	cleared := clearRefs(o.kind.Root, o.root, user)
	s, err := sc.scrub(e, o, requestID)
	if err != nil {
		return nil, err
	}
	if s != nil {
		res.Mentions = append(res.Mentions, *s)
	}
	if cleared {
		res.Cleared = append(res.Cleared, p.Rel)
	}
	if !cleared && (s == nil || s.Removed == 0) {
		return nil, nil
	}
	return e.seal(o)
}

// recordMentions adds to the request what the mention search did: the
// blob ids of every version in history of each record a mention was
// removed from (they all held it, and purge removes them), the version each
// rewritten record became (what a restore from an older backup puts back),
// and the records no key could search.
func (e *Env) recordMentions(req *ledger.Request, res *Erased, ch repo.Change) error {
	var paths []string
	for _, s := range res.Mentions {
		if s.Removed > 0 {
			paths = append(paths, s.Path)
		}
	}
	if len(paths) > 0 {
		versions, err := repo.Versions(e.WS.Root, paths)
		if err != nil {
			return fmt.Errorf("listing the versions of records that mention the subject: %w", err)
		}
		req.ErasedObjects = identity.Union(req.ErasedObjects, flatten(versions))
	}
	rewritten := append([]string(nil), paths...)
	for _, k := range res.Kept {
		rewritten = append(rewritten, k.Path)
	}
	sort.Strings(rewritten)
	for _, p := range rewritten {
		data, ok := ch.Write[p]
		if !ok {
			continue
		}
		req.Rewritten = append(req.Rewritten, ledger.Rewritten{Path: p, Blob: blobID(data)})
	}
	req.Unsearched = append([]string(nil), res.NotSearched...)
	return nil
}

// blobID is the object id git gives data as a blob.
func blobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// mergeIDs is the sorted union of two sorted id lists.
// MentionsOf lists, for an access copy, the fields of the user's
// customer's other records that hold one of the user's personal values,
// with the decrypted field. Nil for a customer (every record is in the
// copy whole) and, with searched false, when no key opens the user's
// record.
func (e *Env) MentionsOf(subj record.Subject, files []record.Path) (out []Mention, searched bool, err error) {
	if subj.User == "" {
		return nil, true, nil
	}
	sc, err := e.scanMentions(subj, files)
	if err != nil || sc.noKey {
		return nil, false, err
	}
	for _, p := range files {
		o := sc.opened[p.Rel]
		if o == nil {
			continue
		}
		ms, err := sc.mentions(o)
		if err != nil {
			return nil, false, err
		}
		out = append(out, ms...)
	}
	return out, true, nil
}

// exportMentions is MentionsOf less the fields that the copy already holds
// (a record or part included because it refers to the user).
func (e *Env) exportMentions(subj record.Subject, files []record.Path, held []Held) ([]Mention, error) {
	ms, _, err := e.MentionsOf(subj, files)
	if err != nil {
		return nil, err
	}
	var out []Mention
	for _, m := range ms {
		covered := false
		for _, h := range held {
			if h.Path == m.Path && (h.Part == "" || m.Field == h.Part || strings.HasPrefix(m.Field, h.Part+".")) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, m)
		}
	}
	return out, nil
}
