package purge

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
)

// byIdentity finds, again at purge time, what identifies each request's
// subject (see package identity): versions written since the erasure (an
// edit on a side branch, a version pushed later), and any the erasure's
// list missed. It returns the blob ids not yet listed, per request id;
// the purge removes them with the listed ones and records them in the
// ledger. The versions a legal retention keeps, minimised, at the tip of
// branch (and their textconv notes) are not erased.
//
// It also deals with the copies git keeps outside its object database,
// before anything is changed: caches that git rebuilds on demand (rerere's
// rr-cache entries, lost-found, AUTO_MERGE) are deleted; a copy in any
// other file, or objects borrowed through objects/info/alternates (which a
// purge here cannot delete), refuse the purge with what to do.
func byIdentity(gitDir string, r *repo.Repo, branch plumbing.ReferenceName, reqs []*ledger.Request) (map[string][]string, error) {
	var subjects []record.Subject
	for _, req := range reqs {
		s, err := record.ParseSubject(req.Subject)
		if err != nil {
			return nil, refuse("%s: subject: %v", ledger.Path(req.ID), err)
		}
		subjects = append(subjects, s)
	}
	found, err := identity.Scan(gitDir, subjects)
	if err != nil {
		return nil, err
	}
	if len(found.Alternates) > 0 {
		return nil, refuse("this repository borrows objects from %s (objects/info/alternates): a purge here cannot delete them; run \"git repack -a -d\" and remove objects/info/alternates, then purge again", strings.Join(found.Alternates, ", "))
	}
	var remove []string
	for i, req := range reqs {
		for _, f := range found.Files[subjects[i].String()] {
			switch {
			case strings.HasPrefix(f, "rr-cache/"):
				// An entry is a folder per conflict; its images are clear text.
				parts := strings.SplitN(f, "/", 3)
				remove = append(remove, parts[0]+"/"+parts[1])
			case strings.HasPrefix(f, "lost-found/"):
				remove = append(remove, f)
			default:
				return nil, refuse(".git/%s holds a copy of a record of %s (%s): finish or abort the git operation that wrote it, or delete the file, then purge again", f, req.Subject, req.ID)
			}
		}
	}
	tip, err := r.Reference(branch, true)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", branch, err)
	}
	extra := map[string][]string{}
	for i, req := range reqs {
		kept, err := keptBlobs(r.Storer, tip.Hash(), req)
		if err != nil {
			return nil, err
		}
		notes, err := identity.NotesOn(gitDir, kept)
		if err != nil {
			return nil, err
		}
		kept = append(kept, notes...)
		if add := identity.Minus(found.Objects[subjects[i].String()], req.ErasedObjects, kept); len(add) > 0 {
			extra[req.ID] = add
		}
	}
	sort.Strings(remove)
	for _, f := range append(remove, "AUTO_MERGE") {
		if err := os.RemoveAll(filepath.Join(gitDir, filepath.FromSlash(f))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing .git/%s: %w", f, err)
		}
	}
	return extra, nil
}
