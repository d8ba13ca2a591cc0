package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
)

// ValidateRange checks every commit in rng ("OLD..NEW", any revisions git
// understands, e.g. origin/main..HEAD) with the engine the git server's
// pre-receive hook runs, as if NEW were pushed to a server whose main is
// OLD: each commit's changed records against OLD's rules (or rules a
// signed commit of the range brings), its message, its paths, and the
// erasures of OLD's ledger. Plaintext in an intermediate commit is found
// even when a later commit of the range removes it: the server would
// refuse it. ids nil means keyless.
func ValidateRange(root, rng string, ids *sopsfile.Identities) ([]string, []validate.Finding, error) {
	oldRev, newRev, ok := strings.Cut(rng, "..")
	if !ok || oldRev == "" || newRev == "" || strings.HasPrefix(newRev, ".") {
		return nil, nil, fmt.Errorf("--range %q: use OLD..NEW, e.g. origin/main..HEAD", rng)
	}
	r, err := repo.Open(root)
	if err != nil {
		return nil, nil, err
	}
	objects, err := r.Objects()
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = objects.Close() }() // a reader: nothing to lose on close
	// git's own answer, right for a linked work tree too.
	gitDir, err := repo.GitDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("finding the git directory: %w", err)
	}
	s := &server{repo: r, objects: objects, gitDir: gitDir, tips: map[plumbing.Hash]bool{}, refs: map[plumbing.ReferenceName]plumbing.Hash{}}
	commit := func(rev string) (*object.Commit, error) {
		h, err := r.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return nil, fmt.Errorf("--range: %s: %w", rev, err)
		}
		c, err := s.commit(*h)
		if err != nil {
			return nil, fmt.Errorf("--range: %s: %w", rev, err)
		}
		return c, nil
	}
	oldC, err := commit(oldRev)
	if err != nil {
		return nil, nil, err
	}
	newC, err := commit(newRev)
	if err != nil {
		return nil, nil, err
	}
	if s.trust, err = newTrustAt(s, gitDir, oldC, ids); err != nil {
		return nil, nil, err
	}
	inRange, err := repo.NewCommits(gitDir, newC.Hash.String(), oldC.Hash.String())
	if err != nil {
		return nil, nil, err
	}
	var commits []*object.Commit
	for h := range inRange {
		c, err := s.commit(plumbing.NewHash(h))
		if err != nil {
			return nil, nil, fmt.Errorf("reading commit %s: %w", h, err)
		}
		commits = append(commits, c)
	}
	sort.Slice(commits, func(i, j int) bool { return commits[i].Hash.String() < commits[j].Hash.String() })
	res := &ReceiveResult{}
	if err := s.checkUpdate(Update{Old: oldC.Hash, New: newC.Hash, Ref: "refs/heads/range"}, commits, false, res); err != nil {
		return nil, nil, err
	}
	var findings []validate.Finding
	for _, p := range res.Problems {
		f := p.Finding
		if p.Commit != "" {
			f.Message += " [commit " + p.Commit + "]"
		}
		findings = append(findings, f)
	}
	validate.Sort(findings)
	return sortedFiles(res.files), findings, nil
}

func sortedFiles(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for f := range m {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
