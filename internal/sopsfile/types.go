package sopsfile

import (
	"fmt"
	"strings"

	"github.com/getsops/sops/v3"
)

// readableTypes are the type tags of encrypted values that dossier opens:
// what sops writes for the scalars a YAML record can hold. sops also
// knows "bytes" (never written for YAML; its own decrypt panics on it)
// and "comment" (encrypted comments, which dossier's rules refuse).
var readableTypes = map[string]bool{"str": true, "int": true, "float": true, "bool": true, "time": true}

// TypeError is an encrypted value whose type tag dossier does not read.
// It names the field and the tag, never the value.
type TypeError struct {
	Field string // dotted path, e.g. accounts.0.password; "sops.mac" for the MAC
	Type  string
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("field %q: encrypted value has type %q, which dossier does not read (nor can sops decrypt it into YAML); the file was not written by sops or dossier: restore it from git", e.Field, e.Type)
}

// checkTypes refuses a tree holding an encrypted value, or a MAC, whose
// type tag is not in readableTypes, before any of it is decrypted.
func checkTypes(tree sops.Tree) error {
	if typ, ok := EncType(tree.Metadata.MessageAuthenticationCode); ok && typ != "str" {
		return &TypeError{Field: "sops.mac", Type: typ}
	}
	for _, b := range tree.Branches {
		if err := checkValueTypes(b, nil); err != nil {
			return err
		}
	}
	return nil
}

func checkValueTypes(v any, path []string) error {
	switch t := v.(type) {
	case sops.TreeBranch:
		for _, item := range t {
			key, ok := item.Key.(string)
			if !ok {
				continue // a comment
			}
			if err := checkValueTypes(item.Value, append(path[:len(path):len(path)], key)); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range t {
			if err := checkValueTypes(x, append(path[:len(path):len(path)], fmt.Sprint(i))); err != nil {
				return err
			}
		}
	case string:
		if typ, ok := EncType(t); ok && !readableTypes[typ] {
			return &TypeError{Field: strings.Join(path, "."), Type: typ}
		}
	}
	return nil
}

// hasComments reports whether the tree holds a YAML comment anywhere.
func hasComments(branches sops.TreeBranches) bool {
	var has func(v any) bool
	has = func(v any) bool {
		switch t := v.(type) {
		case sops.Comment:
			return true
		case sops.TreeBranch:
			for _, item := range t {
				if _, ok := item.Key.(sops.Comment); ok || has(item.Value) {
					return true
				}
			}
		case []any:
			for _, x := range t {
				if has(x) {
					return true
				}
			}
		}
		return false
	}
	for _, b := range branches {
		if has(b) {
			return true
		}
	}
	return false
}
