package repo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Change is the work of one request commit: files written and files
// removed, as slash paths relative to the repository root.
type Change struct {
	Write  map[string][]byte
	Remove []string
	// Executable names the written paths that are programs (the hooks of
	// a new repository): written 0755 and committed with git's executable
	// mode. Every other written file is a regular 0644 file.
	Executable map[string]bool
}

// Commit applies the change to the work tree and commits exactly those
// paths on top of HEAD with msg. Other paths are left alone, staged or not.
// On a branch with no commit yet (a new repository) it makes the root
// commit.
//
// This is dossier's one way to commit. The new tree is made by editing
// HEAD's tree along the changed paths only, and only the changed index
// entries are touched, so the cost follows the change, not the size of the
// repository (go-git's Worktree.Add/Commit compute a status and rebuild
// every tree from the index). The index is updated by the git binary:
// go-git decodes and re-encodes every entry of it in Go, which was most of
// the cost of a request on a repository of 50,000 records; git does the
// same in a fraction of the time.
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
	g := At(root)
	head, err := r.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading HEAD: %w", err)
	}
	branch := plumbing.HEAD
	if head.Type() == plumbing.SymbolicReference {
		branch = head.Target()
	}
	// tip is nil on a branch with no commit yet: the commit is the root.
	tip, err := r.Storer.Reference(branch)
	if errors.Is(err, plumbing.ErrReferenceNotFound) && branch != plumbing.HEAD {
		tip = nil
	} else if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading %s: %w", branch.Short(), err)
	}
	var parents []plumbing.Hash
	var baseTree plumbing.Hash
	if tip != nil {
		parent, err := object.GetCommit(objects, tip.Hash())
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("reading HEAD's commit: %w", err)
		}
		parents, baseTree = []plumbing.Hash{tip.Hash()}, parent.TreeHash
	}
	paths := ch.paths()
	indexWritten := false
	ok := false
	defer func() {
		if ok {
			return
		}
		// HEAD's version of each path is read back only now, from HEAD's
		// tree, which no failure here can change: reading every old
		// record up front, for a rollback that rarely happens, was a third
		// of the cost of a key rotation. A failed put-back leaves the work
		// tree or the index unlike HEAD: the error says so beside the one
		// that stopped the commit.
		rerr := restore(root, objects, baseTree, paths)
		if indexWritten {
			// HEAD has not moved: its version of each path is the index's
			// again (on a new branch: none, so the paths leave the index).
			undo := []string{"reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul"}
			if tip == nil {
				undo = []string{"update-index", "--force-remove", "-z", "--stdin"}
			}
			rerr = errors.Join(rerr, gitPaths(g, paths, undo...))
		}
		if rerr != nil {
			err = fmt.Errorf("%w; putting the files back failed too (\"git status\" shows what differs from HEAD): %v", err, rerr)
		}
	}()

	edits := map[string]*object.TreeEntry{}
	for _, p := range ch.Remove {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(p))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return plumbing.ZeroHash, err
		}
		removeEmptyParents(root, p)
		edits[p] = nil
	}
	written := sortedKeys(ch.Write)
	if err := ch.writeFiles(root, written); err != nil {
		return plumbing.ZeroHash, err
	}
	sink, err := newObjectSink(objects, len(written))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing the new objects: %w", err)
	}
	treeHash, err := ch.storeObjects(sink, objects, baseTree, written, edits)
	if err != nil {
		return plumbing.ZeroHash, sink.abort(err)
	}
	sig := Signature(r)
	sign, err := g.SignsCommits()
	if err != nil {
		return plumbing.ZeroHash, sink.abort(err)
	}
	var commit plumbing.Hash
	if !sign {
		c := &object.Commit{Author: *sig, Committer: committer(sig), Message: msg, TreeHash: treeHash, ParentHashes: parents}
		obj := &plumbing.MemoryObject{}
		if err := c.Encode(obj); err != nil {
			return plumbing.ZeroHash, sink.abort(err)
		}
		if commit, err = sink.put(plumbing.CommitObject, contentOf(obj)); err != nil {
			return plumbing.ZeroHash, sink.abort(fmt.Errorf("writing the commit: %w", err))
		}
	}
	// The objects are in the object database from here on; until the
	// branch names them they are unreachable, and git's gc removes them.
	if err := sink.close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing the new objects: %w", err)
	}
	if sign {
		// go-git cannot make an SSH signature; git can, and the server
		// asks for one on rule changes (.sops.yaml by "keys add").
		if commit, err = g.CommitTree(treeHash, parents, msg, sig, true); err != nil {
			return plumbing.ZeroHash, err
		}
	}

	indexWritten = true
	if err := gitPaths(g, paths, "update-index", "--add", "--remove", "-z", "--stdin"); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("updating the index: %w", err)
	}
	if err := moveRef(g, branch, commit, tip, msg); err != nil {
		return plumbing.ZeroHash, err
	}
	ok = true
	return commit, nil
}

// storeObjects stores the written files' blobs and the trees along the
// changed paths, and returns the new root tree.
func (ch Change) storeObjects(sink objectSink, objects storer.EncodedObjectStorer, baseTree plumbing.Hash, written []string, edits map[string]*object.TreeEntry) (plumbing.Hash, error) {
	for _, p := range written {
		h, err := sink.put(plumbing.BlobObject, ch.Write[p])
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("storing %s: %w", p, err)
		}
		mode := filemode.Regular
		if ch.Executable[p] {
			mode = filemode.Executable
		}
		edits[p] = &object.TreeEntry{Mode: mode, Hash: h}
	}
	treeHash, _, err := editTree(objects, sink, baseTree, edits)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing the tree: %w", err)
	}
	if treeHash.IsZero() {
		// A change that leaves nothing: git's empty tree, which git does
		// not always hold as an object.
		if treeHash, err = sink.put(plumbing.TreeObject, nil); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("writing the tree: %w", err)
		}
	}
	return treeHash, nil
}

// moveRef points branch at commit if it still points at tip (nil: if it
// does not exist yet), through git update-ref: git takes the ref's lock,
// so a commit made meanwhile by git or another dossier makes this one fail
// rather than be lost, and the reflog records the move as git commit's
// does.
func moveRef(g Git, branch plumbing.ReferenceName, commit plumbing.Hash, tip *plumbing.Reference, msg string) error {
	old := plumbing.ZeroHash.String() // git's "must not exist yet"
	if tip != nil {
		old = tip.Hash().String()
	}
	subject, _, _ := strings.Cut(msg, "\n")
	args := []string{"update-ref", "-m", "commit: " + subject}
	if branch == plumbing.HEAD {
		args = append(args, "--no-deref")
	}
	if _, err := g.Run(append(args, branch.String(), commit.String(), old)...); err != nil {
		return fmt.Errorf("moving %s (did another commit happen meanwhile?): %w", branch.Short(), err)
	}
	return nil
}

// gitPaths runs git with paths NUL-separated on its stdin rather than as
// arguments: a key rotation changes every record, and 50,000 paths would
// pass the system's limit on a command line.
func gitPaths(g Git, paths []string, args ...string) error {
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p)
		in.WriteByte(0)
	}
	_, err := g.RunInput(&in, args...)
	return err
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

// restore puts HEAD's version of each path back in the work tree: the
// file as HEAD's tree (base) holds it, or no file where HEAD has none. The
// old contents are read in one pipelined exchange with git cat-file.
func restore(root string, objects *CatFile, base plumbing.Hash, paths []string) error {
	at := map[string]object.TreeEntry{}
	if !base.IsZero() {
		if err := entriesAt(objects, base, "", paths, at); err != nil {
			return fmt.Errorf("reading HEAD's tree: %w", err)
		}
	}
	var errs []error
	var kept []string
	var hashes []plumbing.Hash
	for _, p := range paths {
		e, ok := at[p]
		if ok {
			kept, hashes = append(kept, p), append(hashes, e.Hash)
			continue
		}
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(p))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		removeEmptyParents(root, p)
	}
	// The old files are put back as the new ones were written, all synced
	// at once: one by one, a failed key rotation took minutes to undo.
	old := Change{Write: make(map[string][]byte, len(kept)), Executable: map[string]bool{}}
	var back []string
	rerr := objects.ReadEach(hashes, func(i int, data []byte, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s at HEAD: %w", kept[i], err))
			return
		}
		old.Write[kept[i]] = data
		old.Executable[kept[i]] = at[kept[i]].Mode == filemode.Executable
		back = append(back, kept[i])
	})
	if rerr == nil {
		rerr = old.writeFiles(root, back)
	}
	return errors.Join(append(errs, rerr)...)
}

// entriesAt adds to out the entry that tree h holds at each of paths (below
// prefix), where it holds a file. Each tree along the paths is read once.
func entriesAt(s storer.EncodedObjectStorer, h plumbing.Hash, prefix string, paths []string, out map[string]object.TreeEntry) error {
	t, err := object.GetTree(s, h)
	if err != nil {
		return err
	}
	byName := make(map[string]object.TreeEntry, len(t.Entries))
	for _, e := range t.Entries {
		byName[e.Name] = e
	}
	sub := map[string][]string{}
	for _, p := range paths {
		first, rest, nested := strings.Cut(p, "/")
		e, ok := byName[first]
		switch {
		case !ok:
		case !nested && e.Mode != filemode.Dir && e.Mode != filemode.Submodule:
			out[prefix+p] = e
		case nested && e.Mode == filemode.Dir:
			sub[first] = append(sub[first], rest)
		}
	}
	for name, rest := range sub {
		if err := entriesAt(s, byName[name].Hash, prefix+name+"/", rest, out); err != nil {
			return err
		}
	}
	return nil
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

// editTree returns tree h with edits applied (a nil entry removes the path)
// and whether the result is empty. Only the trees along the edited paths are
// read (from s) and written (to sink).
func editTree(s storer.EncodedObjectStorer, sink objectSink, h plumbing.Hash, edits map[string]*object.TreeEntry) (plumbing.Hash, bool, error) {
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
	sub := map[string]map[string]*object.TreeEntry{}
	for p, blob := range edits {
		first, rest, nested := strings.Cut(p, "/")
		if !nested {
			if blob == nil {
				delete(entries, first)
			} else {
				entries[first] = object.TreeEntry{Name: first, Mode: blob.Mode, Hash: blob.Hash}
			}
			continue
		}
		if sub[first] == nil {
			sub[first] = map[string]*object.TreeEntry{}
		}
		sub[first][rest] = blob
	}
	for name, e := range sub {
		var old plumbing.Hash
		if cur, ok := entries[name]; ok && cur.Mode == filemode.Dir {
			old = cur.Hash
		}
		nh, empty, err := editTree(s, sink, old, e)
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
	obj := &plumbing.MemoryObject{}
	if err := out.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, err
	}
	nh, err := sink.put(plumbing.TreeObject, contentOf(obj))
	return nh, false, err
}
