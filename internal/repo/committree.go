package repo

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// SignsCommits reports whether git commit would sign a commit made here
// (git's commit.gpgSign, from the repository's config, then the user's and
// the system's). A value git cannot read as a boolean is an error, not
// "unsigned": the server refuses unsigned rule changes, and the person
// should learn why from their config, not from the push.
func (g Git) SignsCommits() (bool, error) {
	v, set, err := g.Config("commit.gpgsign", "bool")
	if err != nil {
		return false, err
	}
	return set && v == "true", nil
}

// CommitTree makes a commit of tree on parents (none for a root commit)
// with git commit-tree, signed (-S, git's configured signing key and
// format) when sign is set: go-git cannot make an SSH signature. The
// author is sig; the committer is sig too unless the environment names one
// (GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL), as it would for git commit.
// Setting both keeps git from refusing to commit on a machine with no
// user.name configured. It writes only the commit object: moving a ref is
// the caller's, last.
func (g Git) CommitTree(tree plumbing.Hash, parents []plumbing.Hash, msg string, sig *object.Signature, sign bool) (plumbing.Hash, error) {
	args := []string{"commit-tree", tree.String()}
	for _, p := range parents {
		args = append(args, "-p", p.String())
	}
	if sign {
		args = append(args, "-S")
	}
	c := committer(sig)
	g = g.WithEnv("GIT_AUTHOR_NAME="+sig.Name, "GIT_AUTHOR_EMAIL="+sig.Email,
		"GIT_COMMITTER_NAME="+c.Name, "GIT_COMMITTER_EMAIL="+c.Email)
	out, err := g.RunInput(strings.NewReader(msg), args...)
	if err != nil {
		what := "making the commit"
		if sign {
			what = "making and signing the commit"
		}
		return plumbing.ZeroHash, fmt.Errorf("%s: %w", what, err)
	}
	h := strings.TrimSpace(string(out))
	if !plumbing.IsHash(h) {
		return plumbing.ZeroHash, fmt.Errorf("git commit-tree gave no commit id")
	}
	return plumbing.NewHash(h), nil
}

// committer is the committer of a commit authored by sig: sig, unless the
// environment names another (GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL), as
// it does for git commit.
func committer(sig *object.Signature) object.Signature {
	c := *sig
	if v := os.Getenv("GIT_COMMITTER_NAME"); v != "" {
		c.Name = v
	}
	if v := os.Getenv("GIT_COMMITTER_EMAIL"); v != "" {
		c.Email = v
	}
	return c
}
