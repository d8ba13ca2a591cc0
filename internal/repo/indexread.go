package repo

import (
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// IndexEntry is one path of git's index (the staging area) as the client
// hooks read it: what the commit being made will hold at Name.
type IndexEntry struct {
	Name string
	Hash plumbing.Hash
	Mode filemode.FileMode
	// Stage is 0 for a resolved path, 1 to 3 for the base, ours and
	// theirs of an unresolved merge conflict (git's numbering; go-git's
	// index.Merged constant is 1, so it cannot be compared with).
	Stage int
	// IntentToAdd is a path announced with "git add -N": nothing staged.
	IntentToAdd bool
}

// ReadIndex reads the index in file, or the repository's own index when
// file is "". Hooks pass $GIT_INDEX_FILE: "git commit -a" and "git commit
// PATH" commit a temporary index, and what they commit is what counts.
// The index is decoded in process: on a repository of tens of thousands
// of records, decoding it is most of a commit's cost.
func (r *Repo) ReadIndex(file string) ([]IndexEntry, error) {
	var idx *index.Index
	if file == "" {
		var err error
		if idx, err = r.Storer.Index(); err != nil {
			return nil, fmt.Errorf("reading the git index: %w", err)
		}
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("reading the git index: %w", err)
		}
		defer func() { _ = f.Close() }() // read only: nothing to lose on close
		idx = &index.Index{}
		if err := index.NewDecoder(f).Decode(idx); err != nil {
			return nil, fmt.Errorf("reading the git index %s: %w", file, err)
		}
	}
	out := make([]IndexEntry, len(idx.Entries))
	for i, e := range idx.Entries {
		out[i] = IndexEntry{Name: e.Name, Hash: e.Hash, Mode: e.Mode, Stage: int(e.Stage), IntentToAdd: e.IntentToAdd}
	}
	return out, nil
}
