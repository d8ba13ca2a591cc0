// Package settings reads dossier.yaml, a records repository's settings:
// the backup remotes, the hosts that count as internal, and who the
// controller is (the company, as the access report names it). It holds
// no secret, and no personal data beyond the company's own business
// contact details, which it publishes anyway.
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
	// Controller is the company that holds the records (GDPR art. 4(7)):
	// an access report names it as its sender and says how to reply.
	Controller *Controller `yaml:"controller"`
}

// Controller is who answers for the records, as the access report
// names it (GDPR art. 13(1)(a)-(b), 15).
type Controller struct {
	Name           string `yaml:"name"`
	Address        string `yaml:"address"`
	PrivacyContact string `yaml:"privacy_contact"` // the person or role who answers requests
	Email          string `yaml:"email"`
	Phone          string `yaml:"phone"`
	// Recipients are those outside the company that receive some of the
	// data (the accountant receives contracts for invoicing), in words;
	// empty when nobody does.
	Recipients []string `yaml:"recipients"`
}

// ControllerFix is the fix line of every refusal for a missing or
// incomplete controller: what to add to dossier.yaml.
const ControllerFix = `add to dossier.yaml (and commit):
controller:
  name: VTS bv
  address: Stationsstraat 1, 9000 Gent
  privacy_contact: the privacy officer
  email: privacy@vts.invalid
  phone: "+32 9 000 00 00"   # optional
  recipients: []             # who outside the company receives data, e.g. "our accountant (contracts, for invoicing)"`

// CheckController reports what an access report needs from the
// controller and is missing, as one error naming the fields.
func (s *Settings) CheckController() error {
	c := s.Controller
	if c == nil {
		return fmt.Errorf("%s has no controller: an access report must say who sends it and how to reply; %s", File, ControllerFix)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"name", c.Name}, {"address", c.Address}, {"privacy_contact", c.PrivacyContact}, {"email", c.Email}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, "controller."+f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %s missing: an access report must say who sends it and how to reply; %s", File, strings.Join(missing, ", "), ControllerFix)
	}
	if !strings.Contains(c.Email, "@") {
		return fmt.Errorf("%s: controller.email %q is not an e-mail address", File, c.Email)
	}
	return nil
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
# controller: the company that holds the records; every access report names
# it as its sender (dossier export refuses without name, address,
# privacy_contact and email).
# controller:
#   name: VTS bv
#   address: Stationsstraat 1, 9000 Gent
#   privacy_contact: the privacy officer
#   email: privacy@vts.invalid
#   phone: "+32 9 000 00 00"
#   recipients: ["our accountant (contracts, for invoicing)"]
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
