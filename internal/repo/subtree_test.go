package repo

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// An entry whose object is missing is an error, never "not there": go-git
// says "not found" for both, and a check that believed it would pass over
// a damaged repository's ledger or rules.
func TestMissingObjectsAreNotAbsence(t *testing.T) {
	st := memory.NewStorage()
	missing := plumbing.NewHash("1111111111111111111111111111111111111111")
	tr := &object.Tree{Entries: []object.TreeEntry{
		{Name: "a.yaml", Mode: filemode.Regular, Hash: missing},
		{Name: "ledger", Mode: filemode.Dir, Hash: missing},
	}}
	obj := st.NewEncodedObject()
	if err := tr.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := st.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := object.GetTree(st, h)
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := Subtree(tree, "ledger"); err == nil {
		t.Errorf("Subtree of a missing tree object: %v, no error", sub)
	}
	if sub, err := Subtree(tree, "records"); err != nil || sub != nil {
		t.Errorf("Subtree of an absent path: %v, %v; want nil, nil", sub, err)
	}
	if _, err := Subtree(tree, "a.yaml"); err == nil {
		t.Error("Subtree of a file: no error")
	}
	fsys := TreeFS{Tree: tree}
	if _, err := fsys.ReadFile("a.yaml"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing blob: %v, want an error that is not ErrNotExist", err)
	}
	if _, err := fsys.ReadDir("ledger"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a missing tree: %v, want an error that is not ErrNotExist", err)
	}
	if _, err := fsys.ReadFile("b.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of an absent file: %v, want ErrNotExist", err)
	}
}
