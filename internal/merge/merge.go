// Package merge is the 3-way merge of SOPS records that git runs as the
// "dossier" merge driver. Ciphertext cannot be merged line by line (every
// edit re-encrypts the MAC, and a changed value changes its whole line),
// so the three versions are decrypted, merged field by field, and
// encrypted again.
//
// Conflicts are reported by field path only, never by value.
package merge

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/sopsfile"
)

// Nodes merges ours and theirs, both derived from base (nil when the file
// was added on both sides). A field changed on one side only takes that
// side's value; mappings merge key by key, sequences of equal length item
// by item. A field changed differently on both sides is a conflict: ours
// is kept there and its path returned.
func Nodes(base, ours, theirs *yaml.Node) (*yaml.Node, []string) {
	var conflicts []string
	out := merge(base, ours, theirs, nil, &conflicts)
	return out, conflicts
}

func merge(base, ours, theirs *yaml.Node, path []string, conflicts *[]string) *yaml.Node {
	switch {
	case Equal(ours, theirs):
		return ours
	case Equal(base, ours):
		return theirs
	case Equal(base, theirs):
		return ours
	}
	if ours != nil && theirs != nil && ours.Kind == theirs.Kind && (base == nil || base.Kind == ours.Kind) {
		switch ours.Kind {
		case yaml.MappingNode:
			return mergeMaps(base, ours, theirs, path, conflicts)
		case yaml.SequenceNode:
			if base != nil && len(base.Content) == len(ours.Content) && len(ours.Content) == len(theirs.Content) {
				out := shallowCopy(ours)
				for i := range ours.Content {
					out.Content[i] = merge(base.Content[i], ours.Content[i], theirs.Content[i], append(path[:len(path):len(path)], strconv.Itoa(i)), conflicts)
				}
				return out
			}
		}
	}
	name := strings.Join(path, ".")
	if name == "" {
		name = "(the whole record)"
	}
	*conflicts = append(*conflicts, name)
	return ours
}

func mergeMaps(base, ours, theirs *yaml.Node, path []string, conflicts *[]string) *yaml.Node {
	out := shallowCopy(ours)
	out.Content = nil
	sub := func(k string) []string { return append(path[:len(path):len(path)], k) }
	for i := 0; i+1 < len(ours.Content); i += 2 {
		k := ours.Content[i].Value
		b, t := get(base, k), get(theirs, k)
		if t == nil && b != nil {
			// Deleted by theirs: gone if ours left it as it was.
			if Equal(b, ours.Content[i+1]) {
				continue
			}
			*conflicts = append(*conflicts, strings.Join(sub(k), "."))
		}
		v := ours.Content[i+1]
		if t != nil {
			v = merge(b, ours.Content[i+1], t, sub(k), conflicts)
		}
		out.Content = append(out.Content, ours.Content[i], v)
	}
	for i := 0; i+1 < len(theirs.Content); i += 2 {
		k := theirs.Content[i].Value
		if get(ours, k) != nil {
			continue
		}
		b := get(base, k)
		switch {
		case b == nil: // added by theirs: after the field it follows there
			at := len(out.Content)
			for j := i - 2; j >= 0; j -= 2 {
				if k := index(out, theirs.Content[j].Value); k >= 0 {
					at = k + 2
					break
				}
			}
			out.Content = slices.Insert(out.Content, at, theirs.Content[i], theirs.Content[i+1])
		case Equal(b, theirs.Content[i+1]): // deleted by ours, untouched by theirs
		default:
			*conflicts = append(*conflicts, strings.Join(sub(k), "."))
		}
	}
	return out
}

// index is the position of key's key node in mapping m, or -1.
func index(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func shallowCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = slices.Clone(n.Content)
	return &c
}

// Equal compares two nodes by content: kind, resolved tag, value and
// children, ignoring style, comments and position. nil equals only nil.
func Equal(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !Equal(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// ErrNoKey means a version could not be decrypted with the keys at hand;
// the caller falls back to git's line-based merge of the stored files.
var ErrNoKey = errors.New("no key available opens all three versions")

// Result is a merged record.
type Result struct {
	// Merged is the encrypted merged file. When there are conflicts it is
	// ours unchanged, so the work tree keeps a valid SOPS file.
	Merged    []byte
	Conflicts []string // field paths changed differently on both sides
}

// Files merges three versions of a SOPS record. base may be empty (the file
// was added on both branches). The result is encrypted with ours' data key
// and recipients (or theirs' when only theirs changed the recipients, as a
// key rotation on that branch), with a fresh MAC.
func Files(base, ours, theirs []byte, ids *sopsfile.Identities) (*Result, error) {
	if ids.Empty() {
		return nil, ErrNoKey
	}
	open := func(data []byte) (*sopsfile.File, *yaml.Node, error) {
		f, err := sopsfile.Decrypt(data, ids)
		if err != nil {
			if errors.Is(err, sopsfile.ErrNoKey) {
				return nil, nil, ErrNoKey
			}
			return nil, nil, err
		}
		plain, err := f.Plain()
		if err != nil {
			return nil, nil, err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(plain, &doc); err != nil {
			return nil, nil, fmt.Errorf("decrypted content is not YAML: %w", err)
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
			return nil, nil, errors.New("decrypted content is not one YAML document")
		}
		return f, doc.Content[0], nil
	}
	of, on, err := open(ours)
	if err != nil {
		return nil, fmt.Errorf("ours: %w", err)
	}
	tf, tn, err := open(theirs)
	if err != nil {
		return nil, fmt.Errorf("theirs: %w", err)
	}
	var bf *sopsfile.File
	var bn *yaml.Node
	if len(bytes.TrimSpace(base)) > 0 {
		if bf, bn, err = open(base); err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
	}
	merged, conflicts := Nodes(bn, on, tn)
	if len(conflicts) > 0 {
		return &Result{Merged: ours, Conflicts: conflicts}, nil
	}
	keys := of
	if bf != nil && sameRecipients(bf, of) && !sameRecipients(bf, tf) {
		keys = tf
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(merged); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	out, err := keys.Reencrypt(buf.Bytes())
	if err != nil {
		return nil, err
	}
	return &Result{Merged: out}, nil
}

func sameRecipients(a, b *sopsfile.File) bool {
	missing, extra := a.Recipients().Diff(b.Recipients())
	return len(missing) == 0 && len(extra) == 0
}

// GitMergeFile is the fallback without a key: git's own line-based 3-way
// merge of the stored files into ours, leaving conflict markers as any
// text file would (repo.MergeFile: exactly "git merge-file", which go-git
// does not provide). It reports whether the merge had conflicts.
func GitMergeFile(dir, base, ours, theirs, name string) (bool, error) {
	return repo.MergeFile(dir, base, ours, theirs, name)
}
