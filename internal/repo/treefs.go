package repo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TreeFS is a read-only fs.FS over a git tree, so that code written for a
// work tree (schema and .sops.yaml loading) can read a pushed commit on a
// bare server repository, which has no work tree. Only what is read is
// loaded: opening a file reads its blob, listing a folder its tree.
type TreeFS struct{ Tree *object.Tree }

var (
	_ fs.ReadFileFS = TreeFS{}
	_ fs.ReadDirFS  = TreeFS{}
)

// Open opens a file or folder of the tree.
func (t TreeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &treeDir{name: ".", tree: t.Tree}, nil
	}
	e, err := t.Tree.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if e.Mode == filemode.Dir {
		sub, err := Subtree(t.Tree, name)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeDir{name: name, tree: sub}, nil
	}
	data, err := t.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &treeFile{info: entryInfo{name: path.Base(name), size: int64(len(data)), mode: e.Mode}, r: strings.NewReader(string(data))}, nil
}

// ReadFile reads a blob of the tree by its path.
func (t TreeFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	e, err := t.Tree.FindEntry(name)
	if err != nil || !e.Mode.IsFile() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	f, err := t.Tree.File(name)
	if err != nil {
		// The entry is there: its blob is missing or damaged, which is
		// not "no such file" (go-git says it is).
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("blob %s cannot be read: %w", e.Hash, err)}
	}
	r, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer func() { _ = r.Close() }() // a reader of an object in memory or a pack: nothing to flush
	return io.ReadAll(r)
}

// ReadDir lists a folder of the tree, sorted by name as git sorts it.
func (t TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	tree := t.Tree
	if name != "." {
		var err error
		if tree, err = Subtree(t.Tree, name); err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
		}
		if tree == nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
		}
	}
	return dirEntries(tree), nil
}

func dirEntries(tree *object.Tree) []fs.DirEntry {
	out := make([]fs.DirEntry, 0, len(tree.Entries))
	for _, e := range tree.Entries {
		out = append(out, dirEntry{tree: tree, info: entryInfo{name: e.Name, mode: e.Mode}})
	}
	return out
}

// dirEntry looks up a file's size only when Info is asked for.
type dirEntry struct {
	tree *object.Tree
	info entryInfo
}

func (d dirEntry) Name() string      { return d.info.name }
func (d dirEntry) IsDir() bool       { return d.info.IsDir() }
func (d dirEntry) Type() fs.FileMode { return d.info.Mode().Type() }
func (d dirEntry) Info() (fs.FileInfo, error) {
	if !d.info.IsDir() {
		n, err := d.tree.Size(d.info.name)
		if err != nil {
			return nil, err
		}
		d.info.size = n
	}
	return d.info, nil
}

// entryInfo describes a tree entry. Sizes are known only for opened files.
type entryInfo struct {
	name string
	size int64
	mode filemode.FileMode
}

func (i entryInfo) Name() string       { return i.name }
func (i entryInfo) Size() int64        { return i.size }
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.mode == filemode.Dir }
func (i entryInfo) Sys() any           { return nil }
func (i entryInfo) Mode() fs.FileMode {
	if i.mode == filemode.Dir {
		return fs.ModeDir | 0o755
	}
	m, err := i.mode.ToOSFileMode()
	if err != nil {
		return 0o644
	}
	return m
}

type treeFile struct {
	info entryInfo
	r    *strings.Reader
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *treeFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *treeFile) Close() error               { return nil }

type treeDir struct {
	name    string
	tree    *object.Tree
	entries []fs.DirEntry
	off     int
}

func (d *treeDir) Stat() (fs.FileInfo, error) {
	return entryInfo{name: path.Base(d.name), mode: filemode.Dir}, nil
}
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *treeDir) Close() error { return nil }

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and
// io.EOF at the end; n <= 0 returns the rest.
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.entries == nil {
		d.entries = dirEntries(d.tree)
	}
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
