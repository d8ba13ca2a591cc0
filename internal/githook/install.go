package githook

import (
	"fmt"

	"github.com/vts/dossier/internal/repo"
)

// Driver commands as git runs them, through the shell: DOSSIER may name
// the binary where it is not on PATH, as in the hook scripts.
const (
	TextconvCommand = `"${DOSSIER:-dossier}" hook textconv`
	MergeCommand    = `"${DOSSIER:-dossier}" hook merge %O %A %B %P`
	MergeName       = "dossier: SOPS records merged field by field"
)

// gitConfigNotSet is git config's exit code for unsetting a key that is
// not set.
const gitConfigNotSet = 5

// Install points git at the repository's hooks/ and registers dossier as
// the diff textconv and merge driver that .gitattributes names for
// records, in the repository g runs on. Each setting is written by git
// config, which locks the config file and replaces it whole, so a crash
// leaves it as it was or with the settings made so far.
// diff.dossier.cachetextconv is deliberately unset: git would store the
// decrypted text in refs/notes/textconv/dossier.
func Install(g repo.Git) error {
	for _, kv := range [][2]string{
		{"core.hooksPath", "hooks"},
		{"diff.dossier.textconv", TextconvCommand},
		{"merge.dossier.name", MergeName},
		{"merge.dossier.driver", MergeCommand},
	} {
		if _, err := g.Run("config", kv[0], kv[1]); err != nil {
			return fmt.Errorf("writing git config %s: %w", kv[0], err)
		}
	}
	if _, err := g.Run("config", "--unset-all", "diff.dossier.cachetextconv"); err != nil && repo.ExitCode(err) != gitConfigNotSet {
		return fmt.Errorf("writing git config diff.dossier.cachetextconv: %w", err)
	}
	return nil
}
