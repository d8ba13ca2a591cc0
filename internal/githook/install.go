package githook

import (
	"fmt"

	"github.com/go-git/go-git/v5"
)

// Driver commands as git runs them, through the shell: DOSSIER may name
// the binary where it is not on PATH, as in the hook scripts.
const (
	TextconvCommand = `"${DOSSIER:-dossier}" hook textconv`
	MergeCommand    = `"${DOSSIER:-dossier}" hook merge %O %A %B %P`
	MergeName       = "dossier: SOPS records merged field by field"
)

// Install points git at the repository's hooks/ and registers dossier as
// the diff textconv and merge driver that .gitattributes names for
// records. diff.dossier.cachetextconv is deliberately left unset: git
// would store the decrypted text in refs/notes/textconv/dossier.
func Install(r *git.Repository) error {
	cfg, err := r.Config()
	if err != nil {
		return fmt.Errorf("reading git config: %w", err)
	}
	cfg.Raw.Section("core").SetOption("hooksPath", "hooks")
	cfg.Raw.Section("diff").Subsection("dossier").SetOption("textconv", TextconvCommand)
	cfg.Raw.Section("diff").Subsection("dossier").RemoveOption("cachetextconv")
	merge := cfg.Raw.Section("merge").Subsection("dossier")
	merge.SetOption("name", MergeName)
	merge.SetOption("driver", MergeCommand)
	if err := r.SetConfig(cfg); err != nil {
		return fmt.Errorf("writing git config: %w", err)
	}
	return nil
}
