package repo

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Signing reports whether git is configured to sign commits here
// (commit.gpgSign), that is whether "git commit" would sign them. A commit
// dossier makes must be signed when git's would be: the git server
// accepts rule changes and purge records from allowed signers only.
func (g Git) Signing() (bool, error) {
	v, ok, err := g.Config("commit.gpgsign", "bool")
	if err != nil {
		return false, err
	}
	return ok && v == "true", nil
}

// CommitTree makes a commit of tree on parent with msg, by git itself (go-git
// cannot make an SSH signature; git can), signed with -S when sign is set,
// and returns its id. No ref moves: the caller moves its branch.
//
// The author is sig, the identity go-git would have used (git refuses to
// commit without one); the committer is sig too, unless the environment
// names one (GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL), as for git commit.
func (g Git) CommitTree(tree, parent plumbing.Hash, msg string, sig *object.Signature, sign bool) (plumbing.Hash, error) {
	args := []string{"commit-tree", tree.String(), "-p", parent.String()}
	if sign {
		args = append(args, "-S")
	}
	out, err := g.WithEnv("GIT_AUTHOR_NAME="+sig.Name, "GIT_AUTHOR_EMAIL="+sig.Email,
		"GIT_COMMITTER_NAME="+envOr("GIT_COMMITTER_NAME", sig.Name), "GIT_COMMITTER_EMAIL="+envOr("GIT_COMMITTER_EMAIL", sig.Email)).
		RunInput(strings.NewReader(msg), args...)
	if err != nil {
		if sign {
			return plumbing.ZeroHash, fmt.Errorf("signing the commit: %w", err)
		}
		return plumbing.ZeroHash, err
	}
	h := plumbing.NewHash(strings.TrimSpace(string(out)))
	if h.IsZero() {
		return plumbing.ZeroHash, fmt.Errorf("git commit-tree gave no commit id")
	}
	return h, nil
}

// envOr is the environment variable key, or def when it is unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
