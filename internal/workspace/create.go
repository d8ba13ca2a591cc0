package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/vts/dossier"
	"github.com/vts/dossier/internal/githook"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/schema"
	"github.com/vts/dossier/internal/settings"
	"github.com/vts/dossier/internal/sopsfile"
)

// GitAttributes routes record diffs through dossier's textconv and merges
// through its SOPS merge driver (both configured by "dossier hook install").
const GitAttributes = `# Records are SOPS files: show decrypted diffs to key holders, merge field by field.
records/**/*.yaml diff=dossier merge=dossier
`

// GitIgnore keeps plaintext scratch files out of "git add -A": the
// plaintext a record was made from (u.yaml, customer.plain.yaml), notes,
// exports, editor backups. It names patterns rather than listing what is
// allowed, so that a file in a wrong place is still seen (and refused by
// validation) instead of silently dropped; the top level, where scratch
// files land, is the exception: only dossier's own YAML is tracked there.
const GitIgnore = `# Plaintext never belongs here (dossier init wrote this file).
# Top level: only dossier's own YAML; any other YAML, text or data file is
# scratch (the plaintext a record was made from, an export, notes).
/*.yaml
/*.yml
!/dossier.yaml
!/.sops.yaml
/*.txt
/*.csv
/*.json
/*.html
/tmp/
/export*/
# Anywhere: plaintext and decrypted copies by their usual names, editor
# backups and merge leftovers.
*.plain.yaml
*.plain.yml
*.dec.yaml
*.decrypted.*
*.orig
*.rej
*~
*.swp
.#*
`

// kindPaths are the path_regex of each kind's creation rule. They match
// the path relative to .sops.yaml as well as an absolute path, as sops may
// see either.
var kindPaths = map[string]string{
	"customer":    `(^|/)records/[^/]+/customer\.yaml$`,
	"user":        `(^|/)records/[^/]+/users/[^/]+\.yaml$`,
	"contract":    `(^|/)records/[^/]+/contracts/[^/]+\.yaml$`,
	"environment": `(^|/)records/[^/]+/environment/[^/]+\.yaml$`,
	"error":       `(^|/)records/[^/]+/errors/[^/]+\.yaml$`,
	"maintenance": `(^|/)records/[^/]+/maintenance/[^/]+\.yaml$`,
}

// SopsConfig renders .sops.yaml: one creation rule per kind, encrypting
// exactly the fields its schema marks personal or secret, for recipients.
func SopsConfig(set *schema.Set, recipients sopsfile.Recipients) string {
	var b strings.Builder
	b.WriteString("# Who may read which records, and which fields are encrypted.\n")
	b.WriteString("# encrypted_regex is generated from schema/ (x-personal, x-secret): keep them in step.\n")
	b.WriteString("# Only age, pgp and self-hosted hc_vault_transit_uri keys: cloud KMS would send data keys over the internet.\n")
	b.WriteString("creation_rules:\n")
	for _, kind := range record.Kinds() {
		k := set.Kinds[kind]
		if k == nil {
			continue
		}
		fmt.Fprintf(&b, "  - path_regex: '%s'\n    encrypted_regex: '%s'\n", kindPaths[kind], k.EncryptedRegex())
		if len(recipients.Age) > 0 {
			fmt.Fprintf(&b, "    age: '%s'\n", strings.Join(recipients.Age, ","))
		}
		if len(recipients.PGP) > 0 {
			fmt.Fprintf(&b, "    pgp: '%s'\n", strings.Join(recipients.PGP, ","))
		}
		if len(recipients.Vault) > 0 {
			fmt.Fprintf(&b, "    hc_vault_transit_uri: '%s'\n", strings.Join(recipients.Vault, ","))
		}
	}
	return b.String()
}

// CreateResult says what Create did, for the user.
type CreateResult struct {
	Root      string
	Recipient string
	KeyFile   string // set when a new key was generated
}

// Create makes a new records repository in dir. It refuses to touch a
// directory that already has any of the files it would write.
func Create(dir string) (*CreateResult, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{settings.File, sopsfile.ConfigFile, "schema", "hooks", ".gitattributes", ".gitignore"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			return nil, fmt.Errorf("%s already has %s: it looks like a records repository already; nothing was changed", root, name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err == nil {
		return nil, fmt.Errorf("%s is already a git repository; run \"dossier init\" in a new directory (nothing was changed)", root)
	}
	res := &CreateResult{Root: root}
	set, err := schema.Load(dossier.Assets, "schema")
	if err != nil {
		return nil, fmt.Errorf("built-in schema: %w", err)
	}
	ids, err := sopsfile.LoadIdentities()
	if err != nil {
		return nil, err
	}
	if ids.Empty() {
		keyFile := os.Getenv("SOPS_AGE_KEY_FILE")
		if keyFile == "" {
			if keyFile, err = sopsfile.DefaultKeyFile(); err != nil {
				return nil, err
			}
		}
		if res.Recipient, err = sopsfile.GenerateKeyFile(keyFile); err != nil {
			return nil, err
		}
		res.KeyFile = keyFile
	} else {
		rs := ids.Recipients()
		if len(rs) == 0 {
			return nil, errors.New("your age keys have no X25519 identity to encrypt to; add one with age-keygen")
		}
		res.Recipient = rs[0]
	}

	files := map[string][]byte{
		settings.File:       []byte(settings.Default),
		sopsfile.ConfigFile: []byte(SopsConfig(set, sopsfile.Recipients{Age: []string{res.Recipient}})),
		".gitattributes":    []byte(GitAttributes),
		".gitignore":        []byte(GitIgnore),
	}
	if err := fs.WalkDir(dossier.Assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(dossier.Assets, p)
		files[p] = data
		return err
	}); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if _, err := repo.Init(root); err != nil {
		return nil, err
	}
	if err := githook.Install(repo.At(root)); err != nil {
		return nil, err
	}
	// The first commit goes through the one commit path, like every
	// other: it writes the files (the hooks executable) and commits them.
	first := repo.Change{Write: files, Executable: map[string]bool{}}
	for name := range files {
		first.Executable[name] = path.Dir(name) == "hooks"
	}
	if err := os.MkdirAll(filepath.Join(root, "records"), 0o755); err != nil {
		return nil, err
	}
	if _, err := first.Commit(root, "dossier: new records repository\n"); err != nil {
		return nil, fmt.Errorf("first commit: %w", err)
	}
	return res, nil
}
