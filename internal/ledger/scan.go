package ledger

import (
	"slices"
	"strings"
)

// Erased is what the git server needs of a ledger entry to keep erased
// data out: the request, its type and status, its subject, and the paths
// and objects it erased or kept.
type Erased struct {
	ID, Type, Subject, Status  string
	ErasedPaths, ErasedObjects []string
	KeptPaths                  []string
}

// word reports whether s is a non-empty run of [a-z0-9/._-] starting with
// a letter or digit (upper case too when upper is set): a plain YAML
// scalar that needs no quoting and means the same text to any reader.
func word(s string, upper bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case upper && c >= 'A' && c <= 'Z':
		case i > 0 && (c == '/' || c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// key splits "key: value" or "key:" at the top level; ok false for
// anything else.
func key(l string) (k, v string, ok bool) {
	i := strings.IndexByte(l, ':')
	if i <= 0 {
		return "", "", false
	}
	k = l[:i]
	for j := 0; j < len(k); j++ {
		if (k[j] < 'a' || k[j] > 'z') && k[j] != '_' {
			return "", "", false
		}
	}
	rest := l[i+1:]
	if rest == "" {
		return k, "", true
	}
	if rest[0] != ' ' || len(rest) == 1 {
		return "", "", false
	}
	return k, rest[1:], true
}

// ReadErasure reads the fields of Erased from a ledger file. The server
// reads a ledger of a thousand erasures on every push, and decoding each
// with yaml.v3 cost hundreds of milliseconds; so files in exactly the form
// Marshal writes are read by a line scanner, and anything else (a
// hand-written file, another quoting) by the strict decoder. The scanner
// accepts only lines whose meaning is unambiguous in YAML, so where both
// read a file they agree (a test and a fuzz target hold it); a file the
// decoder would refuse for a field the server does not use may still be
// read here, which only keeps more data out.
func ReadErasure(data []byte) (*Erased, error) {
	if e, ok := scanErasure(data); ok {
		return e, nil
	}
	r, err := Parse(data)
	if err != nil {
		return nil, err
	}
	e := &Erased{ID: r.ID, Type: r.Type, Subject: r.Subject, Status: r.Status, ErasedPaths: r.ErasedPaths, ErasedObjects: r.ErasedObjects}
	for _, k := range r.Kept {
		e.KeptPaths = append(e.KeptPaths, k.Path)
	}
	return e, nil
}

// scanErasure is the line scanner; ok false means "ask the decoder".
func scanErasure(data []byte) (*Erased, bool) {
	e := &Erased{}
	var seenKeys [16]string
	seen := seenKeys[:0]
	block := "" // the top-level key whose indented lines follow
	inKept := 0 // lines of the current kept item read (path, basis, until)
	text := string(data)
	if n := strings.Count(text, "\n  - "); n > 0 {
		e.ErasedObjects = make([]string, 0, n)
	}
	for i := 0; text != ""; i++ {
		l, rest, found := strings.Cut(text, "\n")
		text = rest
		switch {
		case l == "":
			if found {
				return nil, false // only the final newline
			}
			continue
		case i == 0 && l == Header:
			continue
		}
		if l[0] != ' ' {
			key, val, ok := key(l)
			if !ok || slices.Contains(seen, key) {
				return nil, false
			}
			seen = append(seen, key)
			block, inKept = "", 0
			switch key {
			case "erased_paths", "erased_objects", "kept", "purged":
				if val != "" {
					return nil, false
				}
				block = key
				continue
			case "id", "type", "subject", "status", "received", "due", "done", "commit":
			default:
				return nil, false
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			if !word(val, true) {
				return nil, false
			}
			switch key {
			case "id":
				e.ID = val
			case "type":
				e.Type = val
			case "subject":
				e.Subject = val
			case "status":
				e.Status = val
			}
			continue
		}
		switch block {
		case "erased_paths", "erased_objects":
			item, ok := strings.CutPrefix(l, "  - ")
			if !ok || !word(item, false) {
				return nil, false
			}
			if block == "erased_paths" {
				e.ErasedPaths = append(e.ErasedPaths, item)
			} else {
				e.ErasedObjects = append(e.ErasedObjects, item)
			}
		case "kept":
			if p, ok := strings.CutPrefix(l, "  - path: "); ok && word(p, false) {
				e.KeptPaths = append(e.KeptPaths, p)
				inKept = 1
				continue
			}
			if inKept == 0 || !(strings.HasPrefix(l, "    basis: ") || strings.HasPrefix(l, "    until: ")) {
				return nil, false
			}
			inKept++
		case "purged":
			// Not read here; its lines are indented, so they cannot end
			// the block early.
		default:
			return nil, false
		}
	}
	if !ValidID(e.ID) {
		return nil, false
	}
	if len(e.ErasedObjects) == 0 {
		e.ErasedObjects = nil // as the decoder leaves an absent list
	}
	return e, true
}
