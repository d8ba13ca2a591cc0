package githook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
)

// ValidateRange checks the records that differ between the trees of OLD
// and NEW in rng ("OLD..NEW", any revisions git understands, e.g.
// origin/main..HEAD), as a merge request would change them; every record
// when the range changes schema/ or .sops.yaml. Schema and rules come from
// NEW. ids nil means keyless.
func ValidateRange(root, rng string, ids *sopsfile.Identities) ([]string, []validate.Finding, error) {
	oldRev, newRev, ok := strings.Cut(rng, "..")
	if !ok || oldRev == "" || newRev == "" || strings.HasPrefix(newRev, ".") {
		return nil, nil, fmt.Errorf("--range %q: use OLD..NEW, e.g. origin/main..HEAD", rng)
	}
	r, err := git.PlainOpen(root)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the git repository: %w", err)
	}
	tree := func(rev string) (*object.Tree, error) {
		h, err := r.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return nil, fmt.Errorf("--range: %s: %w", rev, err)
		}
		c, err := r.CommitObject(*h)
		if err != nil {
			return nil, fmt.Errorf("--range: %s: %w", rev, err)
		}
		return c.Tree()
	}
	oldTree, err := tree(oldRev)
	if err != nil {
		return nil, nil, err
	}
	newTree, err := tree(newRev)
	if err != nil {
		return nil, nil, err
	}
	checker, findings := validate.Setup(repo.TreeFS{Tree: newTree})
	if checker == nil {
		return nil, findings, nil
	}
	checker.Identities = ids
	var versions []version
	configChanged := false
	err = diffTrees(oldTree, newTree, "", func(name string, to *object.TreeEntry) {
		if name == sopsfile.ConfigFile || strings.HasPrefix(name, "schema/") {
			configChanged = true
		}
		if to != nil && strings.HasPrefix(name, record.Dir+"/") {
			versions = append(versions, version{rel: name, blob: to.Hash})
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if configChanged {
		if versions, err = allRecords(newTree, versions); err != nil {
			return nil, nil, err
		}
	}
	s := &server{repo: r}
	var files []string
	for _, v := range versions {
		files = append(files, v.rel)
	}
	sort.Strings(files)
	for _, p := range s.validate(checker, versions) {
		findings = append(findings, p.Finding)
	}
	validate.Sort(findings)
	return files, findings, nil
}
