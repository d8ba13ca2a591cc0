package repo

import (
	"testing"
	"testing/fstest"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

func TestTreeFS(t *testing.T) {
	wfs := memfs.New()
	r, err := git.Init(memory.NewStorage(), wfs)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{".sops.yaml": "x: 1\n", "schema/user.schema.yaml": "a\n", "schema/customer.schema.yaml": "b\n", "records/c-0001/customer.yaml": "c\n"}
	for name, content := range files {
		if err := util.WriteFile(wfs, name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wt, _ := r.Worktree()
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "t", Email: "t@t"}
	h, err := wt.Commit("c", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.CommitObject(h)
	tree, _ := c.Tree()
	fsys := TreeFS{Tree: tree}
	if err := fstest.TestFS(fsys, ".sops.yaml", "schema/user.schema.yaml", "schema/customer.schema.yaml", "records/c-0001/customer.yaml"); err != nil {
		t.Fatal(err)
	}
}
