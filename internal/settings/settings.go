// Package settings reads dossier.yaml, a records repository's settings:
// the backup remotes and the hosts that count as internal. It holds no
// personal data and no secret.
package settings

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is the settings file at the repository root.
const File = "dossier.yaml"

// Settings are the contents of dossier.yaml.
type Settings struct {
	// InternalHosts are the host names that may receive a copy of the
	// repository (backup remotes over ssh). Anything else is refused.
	InternalHosts []string `yaml:"internal_hosts"`
	// Backups are the offline mirrors, by name.
	Backups []Backup `yaml:"backups"`
	// ReportLanguage is the language of access reports: nl (the default,
	// the language of the customers and of the privacy policy) or en.
	ReportLanguage string `yaml:"report_language"`
}

// Backup is one mirror: a bare repository on a mounted disk or on an
// internal host over ssh.
type Backup struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Default is what "dossier init" writes.
const Default = `# dossier settings (no personal data here).
# internal_hosts: the only hosts a backup may be sent to over ssh.
internal_hosts: []
# backups: offline mirrors, a bare repository on a mounted disk or an internal host.
#   - name: disk-a
#     url: /mnt/backup-a/records.git
#   - name: vault
#     url: ssh://backup@backup01.vts.internal/srv/records.git
backups: []
# report_language: language of the access report (dossier export): nl (default) or en.
report_language: nl
`

// Load reads root/dossier.yaml, refusing fields it does not know.
func Load(root string) (*Settings, error) {
	data, err := os.ReadFile(filepath.Join(root, File))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", File, err)
	}
	return Parse(data)
}

// Parse reads the contents of a dossier.yaml (from a work tree or, on the
// git server, from a commit), refusing fields it does not know.
func Parse(data []byte) (*Settings, error) {
	var s Settings
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("%s: %s", File, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	switch s.ReportLanguage {
	case "", "nl", "en":
	default:
		return nil, fmt.Errorf("%s: report_language %q: use nl (Dutch) or en (English)", File, s.ReportLanguage)
	}
	return &s, nil
}
