// Package record knows the layout of a records repository: where each kind
// of record lives and what its path says about it. Paths hold only opaque
// ids (c-0042, u-0017), never a name or any other personal value.
package record

import (
	"fmt"
	"path"
	"strings"
)

// Dir is the folder, relative to the repository root, that holds records.
const Dir = "records"

// Kind folders under records/<customer-id>/, and the id pattern of each kind.
var (
	folders = map[string]string{
		"users":       "user",
		"contracts":   "contract",
		"environment": "environment",
		"errors":      "error",
		"maintenance": "maintenance",
	}
	// idPrefixes: an id is its kind's prefix and four or more digits.
	idPrefixes = map[string]string{
		"customer": "c-", "user": "u-", "contract": "ct-",
		"environment": "env-", "error": "err-", "maintenance": "mnt-",
	}
	examples = map[string]string{
		"customer": "c-0042", "user": "u-0017", "contract": "ct-0003",
		"environment": "env-0001", "error": "err-0107", "maintenance": "mnt-0012",
	}
)

// Path is a record's place in the repository.
type Path struct {
	Rel      string // slash-separated, relative to the repository root
	Customer string // customer id
	Kind     string
	ID       string
}

// Subject is what a data-subject request is about: a whole customer
// ("c-0042") or one user of a customer ("c-0042/u-0017").
type Subject struct {
	Customer string
	User     string
}

func (s Subject) String() string {
	if s.User == "" {
		return s.Customer
	}
	return s.Customer + "/" + s.User
}

// ParseSubject reads "c-0042" or "c-0042/u-0017".
func ParseSubject(s string) (Subject, error) {
	c, u, hasUser := strings.Cut(s, "/")
	if !ValidID("customer", c) || (hasUser && !ValidID("user", u)) {
		return Subject{}, fmt.Errorf("the subject is not a customer id (c-0042) or customer/user (c-0042/u-0017); it is not repeated here, as it may be a name")
	}
	return Subject{Customer: c, User: u}, nil
}

// LayoutError says why a path is not where a record may live.
type LayoutError struct {
	Rel string
	Msg string
}

// Error leaves the path out: a path that breaks the layout is the one
// most likely to hold a name. Callers name the file in a redacted form.
func (e *LayoutError) Error() string { return "not a valid record path: " + e.Msg }

// Parse reads a record path. Every record is records/<customer-id>/customer.yaml
// or records/<customer-id>/<kind folder>/<id>.yaml.
func Parse(rel string) (Path, error) {
	fail := func(format string, a ...any) (Path, error) {
		return Path{}, &LayoutError{Rel: rel, Msg: fmt.Sprintf(format, a...)}
	}
	parts := strings.Split(rel, "/")
	if len(parts) < 3 || parts[0] != Dir {
		return fail("not a record path: records live at records/<customer-id>/customer.yaml or records/<customer-id>/<kind>/<id>.yaml")
	}
	cid := parts[1]
	if !ValidID("customer", cid) {
		return fail("the customer folder is not an opaque customer id like c-0042 (no names in paths)")
	}
	if len(parts) == 3 {
		if parts[2] != "customer.yaml" {
			return fail("only customer.yaml lives directly in a customer folder; other records go in %s", folderList())
		}
		return Path{Rel: rel, Customer: cid, Kind: "customer", ID: cid}, nil
	}
	if len(parts) != 4 {
		return fail("records are at most two folders deep: records/<customer-id>/<kind>/<id>.yaml")
	}
	kind, ok := folders[parts[2]]
	if !ok {
		return fail("the kind folder is not a record kind; use one of %s", folderList())
	}
	id, ok := strings.CutSuffix(parts[3], ".yaml")
	if !ok {
		return fail("record files end in .yaml")
	}
	if !ValidID(kind, id) {
		return fail("the file name is not an opaque %s id like %s.yaml (no names or other personal values in paths)", kind, examples[kind])
	}
	return Path{Rel: rel, Customer: cid, Kind: kind, ID: id}, nil
}

func folderList() string {
	return "users/, contracts/, environment/, errors/, maintenance/"
}

// For returns the path of a record of kind with id for a customer.
func For(customer, kind, id string) string {
	if kind == "customer" {
		return path.Join(Dir, customer, "customer.yaml")
	}
	for f, k := range folders {
		if k == kind {
			return path.Join(Dir, customer, f, id+".yaml")
		}
	}
	return ""
}

// ValidID reports whether id is an opaque id of kind.
func ValidID(kind, id string) bool {
	prefix, ok := idPrefixes[kind]
	digits, ok2 := strings.CutPrefix(id, prefix)
	if !ok || !ok2 || len(digits) < 4 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// Kinds lists the kinds the layout knows.
func Kinds() []string {
	return []string{"customer", "user", "contract", "environment", "error", "maintenance"}
}
