package repo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/vts/dossier/internal/safefile"
)

// Change is the work of one request commit: files written and files
// removed, as slash paths relative to the repository root.
type Change struct {
	Write  map[string][]byte
	Remove []string
}

// Commit applies the change to the work tree and commits exactly those
// paths on top of HEAD with msg. Other paths are left alone, staged or not.
//
// The new tree is made by editing HEAD's tree along the changed paths only,
// and only the changed index entries are touched, so the cost follows the
// change, not the size of the repository (go-git's Worktree.Add/Commit
// compute a status and rebuild every tree from the index). The index is
// updated by the git binary: go-git decodes and re-encodes every entry of
// it in Go, which was most of the cost of a request on a repository of
// 50,000 records; git does the same in a fraction of the time.
//
// Either the commit is made and the branch moved, or the work tree and the
// index are put back to what HEAD holds for the changed paths: the ref is
// updated last, and any failure before it restores the files and the index.
func (ch Change) Commit(root, msg string) (_ plumbing.Hash, err error) {
	r, objects, err := openObjects(root)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	// Read and written objects are flushed by each write; closing only
	// releases the pack files' handles.
	defer func() { _ = objects.Close() }()
	head, err := r.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading HEAD: %w", err)
	}
	branch := plumbing.HEAD
	if head.Type() == plumbing.SymbolicReference {
		branch = head.Target()
	}
	tip, err := r.Storer.Reference(branch)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("HEAD has no commit yet: %w", err)
	}
	parent, err := object.GetCommit(objects, tip.Hash())
	if err != nil {
		return plumbing.ZeroHash, err
	}
	headTree, err := parent.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	paths := ch.paths()
	saved, err := savedFiles(headTree, paths)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	indexWritten := false
	ok := false
	defer func() {
		if ok {
			return
		}
		// A failed put-back leaves the work tree or the index unlike HEAD:
		// the error says so beside the one that stopped the commit.
		rerr := restore(root, saved)
		if indexWritten {
			// HEAD has not moved: its version of each path is the index's again.
			rerr = errors.Join(rerr, gitPaths(root, paths, "reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul"))
		}
		if rerr != nil {
			err = fmt.Errorf("%w; putting the files back failed too (\"git status\" shows what differs from HEAD): %v", err, rerr)
		}
	}()

	edits := map[string]*plumbing.Hash{}
	for _, p := range ch.Remove {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(p))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return plumbing.ZeroHash, err
		}
		removeEmptyParents(root, p)
		edits[p] = nil
	}
	written := sortedKeys(ch.Write)
	if err := writeFiles(root, written, ch.Write); err != nil {
		return plumbing.ZeroHash, err
	}
	for _, p := range written {
		h, err := storeBlob(objects, ch.Write[p])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		edits[p] = &h
	}
	treeHash, _, err := editTree(objects, parent.TreeHash, edits)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing the tree: %w", err)
	}
	sig := Signature(r)
	var commit plumbing.Hash
	sign, err := At(root).Signing()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if sign {
		// go-git cannot make an SSH signature; git can, and the server
		// asks for one on rule changes (.sops.yaml by "keys add").
		if commit, err = At(root).CommitTree(treeHash, tip.Hash(), msg, sig, true); err != nil {
			return plumbing.ZeroHash, err
		}
	} else {
		c := &object.Commit{Author: *sig, Committer: *sig, Message: msg, TreeHash: treeHash, ParentHashes: []plumbing.Hash{tip.Hash()}}
		obj := objects.NewEncodedObject()
		if err := c.Encode(obj); err != nil {
			return plumbing.ZeroHash, err
		}
		if commit, err = objects.SetEncodedObject(obj); err != nil {
			return plumbing.ZeroHash, err
		}
	}

	indexWritten = true
	if err := gitPaths(root, paths, "update-index", "--add", "--remove", "-z", "--stdin"); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("updating the index: %w", err)
	}
	if err := r.Storer.CheckAndSetReference(plumbing.NewHashReference(branch, commit), tip); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("moving %s (did another commit happen meanwhile?): %w", branch.Short(), err)
	}
	ok = true
	return commit, nil
}

// writeFiles writes the files of a change, several at a time: each write
// ends with an fsync, which waits on the disk rather than the CPU, and a
// key rotation writes every record (50,000 fsyncs one after the other
// took minutes; in parallel the file system batches them).
func writeFiles(root string, paths []string, data map[string][]byte) error {
	jobs := make(chan string)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range min(16, len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if err := safefile.Write(filepath.Join(root, filepath.FromSlash(p)), data[p], 0o644); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, p := range paths {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// gitPaths runs git with paths NUL-separated on its stdin rather than as
// arguments: a key rotation changes every record, and 50,000 paths would
// pass the system's limit on a command line.
func gitPaths(root string, paths []string, args ...string) error {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p)
		in.WriteByte(0)
	}
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (ch Change) paths() []string {
	out := append([]string(nil), ch.Remove...)
	for p := range ch.Write {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// savedFile is what HEAD holds at a path, to restore it on failure.
type savedFile struct {
	path   string
	exists bool
	mode   filemode.FileMode
	hash   plumbing.Hash
	data   []byte
}

func savedFiles(t *object.Tree, paths []string) ([]savedFile, error) {
	var out []savedFile
	for _, p := range paths {
		s := savedFile{path: p}
		f, err := t.File(p)
		switch {
		case errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound):
		case err != nil:
			return nil, fmt.Errorf("reading %s at HEAD: %w", p, err)
		default:
			content, err := f.Contents()
			if err != nil {
				return nil, fmt.Errorf("reading %s at HEAD: %w", p, err)
			}
			s.exists, s.mode, s.hash, s.data = true, f.Mode, f.Hash, []byte(content)
		}
		out = append(out, s)
	}
	return out, nil
}

// restore puts HEAD's version of each path back in the work tree.
func restore(root string, saved []savedFile) error {
	var errs []error
	for _, s := range saved {
		full := filepath.Join(root, filepath.FromSlash(s.path))
		if !s.exists {
			if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			removeEmptyParents(root, s.path)
			continue
		}
		perm := os.FileMode(0o644)
		if s.mode == filemode.Executable {
			perm = 0o755
		}
		if err := safefile.Write(full, s.data, perm); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeEmptyParents removes the folders of rel that became empty, below
// its top-level folder (records/ and ledger/ themselves stay).
func removeEmptyParents(root, rel string) {
	for dir := path.Dir(rel); strings.Contains(dir, "/"); dir = path.Dir(dir) {
		full := filepath.Join(root, filepath.FromSlash(dir))
		if fi, err := os.Lstat(full); err != nil || !fi.IsDir() || os.Remove(full) != nil {
			return
		}
	}
}

func storeBlob(s storer.EncodedObjectStorer, data []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// editTree returns tree h with edits applied (a nil hash removes the path)
// and whether the result is empty. Only the trees along the edited paths are
// read and written.
func editTree(s storer.EncodedObjectStorer, h plumbing.Hash, edits map[string]*plumbing.Hash) (plumbing.Hash, bool, error) {
	t := &object.Tree{}
	if !h.IsZero() {
		var err error
		if t, err = object.GetTree(s, h); err != nil {
			return plumbing.ZeroHash, false, err
		}
	}
	entries := map[string]object.TreeEntry{}
	for _, e := range t.Entries {
		entries[e.Name] = e
	}
	sub := map[string]map[string]*plumbing.Hash{}
	for p, blob := range edits {
		first, rest, nested := strings.Cut(p, "/")
		if !nested {
			if blob == nil {
				delete(entries, first)
			} else {
				entries[first] = object.TreeEntry{Name: first, Mode: filemode.Regular, Hash: *blob}
			}
			continue
		}
		if sub[first] == nil {
			sub[first] = map[string]*plumbing.Hash{}
		}
		sub[first][rest] = blob
	}
	for name, e := range sub {
		var old plumbing.Hash
		if cur, ok := entries[name]; ok && cur.Mode == filemode.Dir {
			old = cur.Hash
		}
		nh, empty, err := editTree(s, old, e)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if empty {
			delete(entries, name)
		} else {
			entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: nh}
		}
	}
	out := &object.Tree{}
	for _, e := range entries {
		out.Entries = append(out.Entries, e)
	}
	// Git orders tree entries by name, a folder's name taken with a trailing slash.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(out.Entries, func(i, j int) bool { return key(out.Entries[i]) < key(out.Entries[j]) })
	if len(out.Entries) == 0 {
		return plumbing.ZeroHash, true, nil
	}
	obj := s.NewEncodedObject()
	if err := out.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, err
	}
	if s.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), false, nil
	}
	nh, err := s.SetEncodedObject(obj)
	return nh, false, err
}

// updateIndex sets the index entries of the edited paths to what was
// committed, with the files' stat data so that git sees them as clean.
