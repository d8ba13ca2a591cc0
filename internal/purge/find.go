package purge

import (
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/repo/odb"
)

// PathHit is a commit whose tree holds a path that must be gone (see
// odb.FindPaths).
type PathHit = odb.PathHit

// FindPaths is odb.FindPaths, where verify-erasure's proof has called it
// so far; new callers use odb.
func FindPaths(objects odb.Store, tips []plumbing.Hash, paths []string) (int, []PathHit, error) {
	return odb.FindPaths(objects, tips, paths)
}
