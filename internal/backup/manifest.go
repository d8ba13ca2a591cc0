package backup

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// ManifestFile is the manifest's name inside the bare mirror directory
// (git ignores files it does not know there).
const ManifestFile = "dossier-backup.yaml"

// Manifest says what a mirror held when a backup last verified it. It
// holds ids only: ref names, object ids, request ids.
type Manifest struct {
	Time       string            `yaml:"time"`
	Head       string            `yaml:"head"`
	HeadCommit string            `yaml:"head_commit,omitempty"`
	Refs       map[string]string `yaml:"refs"`
	// Applied is the ledger position: the purged requests whose objects
	// were verified absent from the mirror.
	Applied []string `yaml:"applied"`
	// Check is how much was verified: "full" or "new objects".
	Check string `yaml:"check"`
	// PackRecord is when each pack was last read whole (local mirrors).
	PackRecord `yaml:",inline"`
}

// Marshal encodes the manifest.
func (m *Manifest) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# dossier backup manifest: written last, after verification. Ids only.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// ParseManifest decodes a manifest strictly: a mirror's manifest is read
// from a disk that may have been anywhere.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %s", ManifestFile, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for name, v := range m.Refs {
		if !strings.HasPrefix(name, "refs/") || !isHexID(v) {
			return nil, fmt.Errorf("%s: ref %q: not a ref name and object id", ManifestFile, name)
		}
	}
	return &m, nil
}

func isHexID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
