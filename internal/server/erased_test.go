package server

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/vts/dossier/internal/ledger"
)

// A ledger the server cannot read fails the push: read as "no erasure",
// it would let every erased person's records back in. Only a tree with no
// ledger at all is an empty erased set.
func TestErasedSetFailsClosed(t *testing.T) {
	st := memory.NewStorage()
	tree := func(entries ...object.TreeEntry) *object.Tree {
		t.Helper()
		tr := &object.Tree{Entries: entries}
		obj := st.NewEncodedObject()
		if err := tr.Encode(obj); err != nil {
			t.Fatal(err)
		}
		h, err := st.SetEncodedObject(obj)
		if err != nil {
			t.Fatal(err)
		}
		got, err := object.GetTree(st, h)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	missing := plumbing.NewHash("1111111111111111111111111111111111111111")
	broken := tree(object.TreeEntry{Name: ledger.Dir, Mode: filemode.Dir, Hash: missing})
	if e, err := loadErased(&server{}, broken); err == nil {
		t.Fatalf("an unreadable ledger gave an erased set (%d customers) and no error", len(e.customers))
	}
	if _, err := (&server{}).purgeRecorded(broken, nil); err == nil {
		t.Fatal("an unreadable ledger was read as no purge recorded")
	}
	none := tree(object.TreeEntry{Name: "README.md", Mode: filemode.Regular, Hash: missing})
	e, err := loadErased(&server{}, none)
	if err != nil || len(e.customers) != 0 || len(e.records) != 0 {
		t.Fatalf("no ledger: %v, %v", e, err)
	}
}
