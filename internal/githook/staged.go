package githook

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/layout"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/validate"
)

// Change is a record that the commit being made adds, modifies or
// deletes, compared with HEAD.
type Change struct {
	Rel     string
	Staged  []byte        // the staged content; nil when the commit deletes the file
	Head    plumbing.Hash // the blob at HEAD; zero when the commit adds the file
	Deleted bool
}

// Staged returns the records whose staged version differs from HEAD, read
// from the index git is committing: $GIT_INDEX_FILE when git sets it
// ("git commit -a" and "git commit PATH" commit a temporary index), else
// the repository's index. Paths with an unresolved merge conflict are
// returned in conflicted. Deleted records are listed only if withDeleted,
// since finding them walks HEAD's records/ tree.
func Staged(r *repo.Repo, root string, withDeleted bool) (changes []Change, conflicted []string, err error) {
	idx, err := readIndex(r, root)
	if err != nil {
		return nil, nil, err
	}
	return staged(r, idx, withDeleted)
}

// staged is Staged on an index already read.
func staged(r *repo.Repo, idx []repo.IndexEntry, withDeleted bool) (changes []Change, conflicted []string, err error) {
	var head *object.Tree
	if ref, err := r.Head(); err == nil {
		c, err := r.CommitObject(ref.Hash())
		if err != nil {
			return nil, nil, err
		}
		if head, err = c.Tree(); err != nil {
			return nil, nil, err
		}
	} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil, err
	}
	inIndex := map[string]bool{}
	for _, e := range idx {
		if !strings.HasPrefix(e.Name, record.Dir+"/") || e.IntentToAdd {
			continue
		}
		seen := inIndex[e.Name]
		inIndex[e.Name] = true
		if e.Stage != 0 { // an unresolved merge conflict
			if !seen {
				conflicted = append(conflicted, e.Name)
			}
			continue
		}
		if EntryKind(e.Mode) != layout.Regular {
			continue // a symlink or submodule holds no record: the layout check names it
		}
		var headHash plumbing.Hash
		if head != nil {
			if he, err := head.FindEntry(e.Name); err == nil {
				if he.Hash == e.Hash {
					continue
				}
				headHash = he.Hash
			}
		}
		data, err := readBlob(r, e.Hash)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: reading the staged version: %w", e.Name, err)
		}
		changes = append(changes, Change{Rel: e.Name, Staged: data, Head: headHash})
	}
	if withDeleted && head != nil {
		sub, err := repo.Subtree(head, record.Dir)
		if err != nil {
			return nil, nil, fmt.Errorf("reading HEAD's %s: %w", record.Dir, err)
		}
		if sub == nil {
			return changes, conflicted, nil // HEAD holds no records yet
		}
		w := object.NewTreeWalker(sub, true, nil)
		defer w.Close()
		for {
			name, e, err := w.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, err
			}
			rel := record.Dir + "/" + name
			if EntryKind(e.Mode) == layout.Regular && !inIndex[rel] {
				changes = append(changes, Change{Rel: rel, Head: e.Hash, Deleted: true})
			}
		}
	}
	return changes, conflicted, nil
}

// readIndex reads the index git is committing: $GIT_INDEX_FILE when git
// sets it (relative to the work tree's top, where hooks run), else the
// repository's own.
func readIndex(r *repo.Repo, root string) ([]repo.IndexEntry, error) {
	name := os.Getenv("GIT_INDEX_FILE")
	if name != "" && !filepath.IsAbs(name) {
		name = filepath.Join(root, name)
	}
	return r.ReadIndex(name)
}

// readBlob reads a staged or committed blob of a record or ledger file,
// refusing one above validate.MaxRecordSize without reading it whole.
func readBlob(r *repo.Repo, h plumbing.Hash) ([]byte, error) {
	b, err := r.BlobObject(h)
	if err != nil {
		return nil, err
	}
	if b.Size > validate.MaxRecordSize {
		return nil, validate.ErrTooLarge // never read whole
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rd.Close() }() // read only: nothing to lose on close
	return io.ReadAll(rd)
}

// EntryKind is what a tree or index entry of mode m is to the layout
// check: a file, a symlink, a submodule or something else.
func EntryKind(m filemode.FileMode) layout.Entry {
	switch m {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
		return layout.Regular
	case filemode.Symlink:
		return layout.Symlink
	case filemode.Submodule:
		return layout.Gitlink
	}
	return layout.Other
}

// PreCommit validates the staged records keylessly (fast: no decryption),
// with schema and .sops.yaml from the work tree at root.
func PreCommit(root string) (checked int, findings []validate.Finding, err error) {
	r, err := repo.Open(root)
	if err != nil {
		return 0, nil, err
	}
	// The index is read once: decoding it is most of a commit's cost in a
	// repository of tens of thousands of records.
	idx, err := readIndex(r, root)
	if err != nil {
		return 0, nil, err
	}
	changes, conflicted, err := staged(r, idx, false)
	if err != nil {
		return 0, nil, err
	}
	for _, c := range conflicted {
		findings = append(findings, validate.Finding{File: c, Check: "merge", Message: "has an unresolved merge conflict", Fix: "resolve it with \"dossier edit " + c + "\", then \"git add " + c + "\""})
	}
	checker, setup := validate.Setup(os.DirFS(root))
	findings = append(findings, setup...)
	var kinds layout.Kinds
	if checker != nil {
		kinds = layout.Kinds{}
		for name := range checker.Schemas.Kinds {
			kinds[name] = true
		}
	}
	head, err := headTree(r)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range idx {
		if e.IntentToAdd || e.Stage != 0 {
			continue // a conflict is reported once, above
		}
		if strings.HasPrefix(e.Name, record.Dir+"/") && EntryKind(e.Mode) == layout.Regular {
			continue // the record check below says what is wrong with it
		}
		if p := layout.Check(e.Name, EntryKind(e.Mode), kinds); p != nil {
			findings = append(findings, validate.Finding{File: p.Path, Check: "layout", Message: p.Rule, Fix: p.Fix})
			continue
		}
		if strings.HasPrefix(e.Name, ledger.Dir+"/") && !unchanged(head, e.Name, e.Hash) {
			data, err := readBlob(r, e.Hash)
			if err != nil {
				return 0, nil, fmt.Errorf("%s: reading the staged version: %w", e.Name, err)
			}
			findings = append(findings, checker.CheckLedger(e.Name, data)...)
		}
	}
	if checker == nil {
		return 0, findings, nil
	}
	for _, c := range changes {
		findings = append(findings, checker.Check(c.Rel, c.Staged)...)
	}
	validate.Sort(findings)
	return len(changes), findings, nil
}

// headTree is HEAD's tree, nil before the first commit.
func headTree(r *repo.Repo) (*object.Tree, error) {
	ref, err := r.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return nil, err
	}
	return c.Tree()
}

// unchanged reports whether HEAD's tree holds the same blob at name.
func unchanged(head *object.Tree, name string, h plumbing.Hash) bool {
	if head == nil {
		return false
	}
	e, err := head.FindEntry(name)
	return err == nil && e.Hash == h
}
