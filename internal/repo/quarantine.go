package repo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/helper/mount"
	"github.com/go-git/go-billy/v5/helper/polyfill"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Quarantine is what a push brings, seen alone: git receive-pack keeps
// the pushed objects in a directory of their own until the pre-receive
// hook accepts them. Telling them apart from what the repository already
// held is how the hook knows what is new to the server (and so must be
// checked) and which pushed objects it must refuse to keep.
type Quarantine struct {
	dir     string
	objects *filesystem.ObjectStorage
}

// QuarantineDir is where the push's objects wait: GIT_QUARANTINE_PATH (set
// by git receive-pack since 2.13), or GIT_OBJECT_DIRECTORY when it is not
// the repository's own objects folder (GitLab's Gitaly quarantines that
// way). "" means no quarantine: every object is in the repository.
func QuarantineDir(gitDir string) string {
	if q := os.Getenv("GIT_QUARANTINE_PATH"); q != "" {
		return q
	}
	o := os.Getenv("GIT_OBJECT_DIRECTORY")
	if o == "" {
		return ""
	}
	if !filepath.IsAbs(o) {
		o = filepath.Join(gitDir, o)
	}
	own, err1 := filepath.EvalSymlinks(filepath.Join(gitDir, "objects"))
	got, err2 := filepath.EvalSymlinks(o)
	if err1 == nil && err2 == nil && own == got {
		return ""
	}
	return o
}

// OpenQuarantine opens the push's quarantine of the repository at gitDir,
// nil when git gave none: then nothing can be told apart, and a caller
// treats every object as new.
func OpenQuarantine(gitDir string) *Quarantine {
	q := QuarantineDir(gitDir)
	if q == "" {
		return nil
	}
	// go-git expects an objects/ folder inside a git directory; the
	// quarantine is an objects folder itself.
	qfs := polyfill.New(mount.New(memfs.New(), "objects", osfs.New(q)))
	st := filesystem.NewStorageWithOptions(qfs, cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	return &Quarantine{dir: q, objects: &st.ObjectStorage}
}

// Has reports whether the push brought the object h (loose or packed).
func (q *Quarantine) Has(h plumbing.Hash) bool {
	return q.objects.HasEncodedObject(h) == nil
}

// Each calls fn with the id of every object the push brought: the ids in
// its pack indexes and the names of its loose objects. No object is read,
// so the cost follows the number of pushed objects, not their size.
func (q *Quarantine) Each(fn func(plumbing.Hash)) error {
	packs, err := filepath.Glob(filepath.Join(q.dir, "pack", "*.idx"))
	if err != nil {
		return err
	}
	for _, p := range packs {
		if err := eachPacked(p, fn); err != nil {
			return fmt.Errorf("reading the pushed pack index %s: %w", filepath.Base(p), err)
		}
	}
	dirs, err := os.ReadDir(q.dir)
	if err != nil {
		return fmt.Errorf("reading the push's quarantine: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(q.dir, d.Name()))
		if err != nil {
			return fmt.Errorf("reading the push's quarantine: %w", err)
		}
		for _, f := range files {
			if id := d.Name() + f.Name(); plumbing.IsHash(id) {
				fn(plumbing.NewHash(id))
			}
		}
	}
	return nil
}

// eachPacked calls fn with the id of every object in a pack index.
func eachPacked(idxPath string, fn func(plumbing.Hash)) error {
	f, err := os.Open(idxPath)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose on close
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bufio.NewReader(f)).Decode(idx); err != nil {
		return err
	}
	it, err := idx.Entries()
	if err != nil {
		return err
	}
	defer func() { _ = it.Close() }() // read only: nothing to lose on close
	for {
		e, err := it.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(e.Hash)
	}
}

// OwnObjects opens the object database of the repository at gitDir as it
// was before any push: go-git reads only the repository's own objects
// folder, never a quarantine (git's environment variables are not go-git's
// concern), so what it finds is history the server already accepted.
// Packs stay open across reads, for the walks over the whole history that
// need it (the server's recomputation of a purge). The caller closes it.
func OwnObjects(gitDir string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
}
