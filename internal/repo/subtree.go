package repo

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Subtree is the folder at path in t, or nil when t has no entry there.
//
// go-git's Tree.Tree answers "not found" for an entry whose object is
// missing too, so a damaged or incomplete repository reads as one without
// the folder: the server's erased set as empty, a ledger as holding no
// purge. Here only a path that is not in the tree is absent; an entry
// whose object cannot be read, or that is not a folder, is an error.
// Checks fail closed.
func Subtree(t *object.Tree, path string) (*object.Tree, error) {
	e, err := t.FindEntry(path)
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", path, err)
	}
	if e.Mode != filemode.Dir {
		return nil, fmt.Errorf("%s is not a folder", path)
	}
	sub, err := t.Tree(path)
	if err != nil {
		// The entry is there, so "not found" means its object is missing.
		return nil, fmt.Errorf("reading the tree of %s (%s): the object is missing or damaged: %w", path, e.Hash, err)
	}
	return sub, nil
}
