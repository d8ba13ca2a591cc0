package sopsfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	sopsage "github.com/getsops/sops/v3/age"
)

// Identities are the age private keys of the person running dossier, found
// where sops looks: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, then the user's
// config dir (sops/age/keys.txt). They are loaded once per run.
type Identities struct {
	parsed sopsage.ParsedIdentities
	// Where names the place the keys came from, for messages.
	Where string
}

// DefaultKeyFile is where sops and dossier look for age keys when no
// environment variable names them.
func DefaultKeyFile() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "sops", "age", "keys.txt"), nil
}

// LoadIdentities finds the user's age identities. Finding none is not an
// error here: keyless work needs none, and decrypting says what to do.
func LoadIdentities() (*Identities, error) {
	if s, ok := os.LookupEnv("SOPS_AGE_KEY"); ok {
		return parseIdentities(s, "SOPS_AGE_KEY")
	}
	path := os.Getenv("SOPS_AGE_KEY_FILE")
	if path == "" {
		var err error
		if path, err = DefaultKeyFile(); err != nil {
			return &Identities{}, nil
		}
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Identities{Where: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading age keys: %w", err)
	}
	return parseIdentities(string(data), path)
}

func parseIdentities(s, where string) (*Identities, error) {
	ids, err := age.ParseIdentities(strings.NewReader(s))
	if err != nil {
		return nil, fmt.Errorf("%s: not an age key file: %v", where, err)
	}
	out := &Identities{Where: where}
	for _, id := range ids {
		out.parsed = append(out.parsed, id)
	}
	return out, nil
}

// Empty reports whether no identity was found.
func (ids *Identities) Empty() bool { return ids == nil || len(ids.parsed) == 0 }

// Recipients returns the public keys of the identities, for messages that
// compare them with a file's recipients.
func (ids *Identities) Recipients() []string {
	var out []string
	for _, id := range ids.parsed {
		if x, ok := id.(*age.X25519Identity); ok {
			out = append(out, x.Recipient().String())
		}
	}
	return out
}

// GenerateKeyFile writes a new age identity to path (0600, in a 0700
// directory), refusing to overwrite, and returns its recipient.
func GenerateKeyFile(path string) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("writing age key: %w", err)
	}
	content := fmt.Sprintf("# created by dossier: keep this file private and backed up offline\n# public key: %s\n%s\n", id.Recipient(), id)
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close() // removed next: what a failed close loses is thrown away anyway
		err = fmt.Errorf("writing age key %s: %w", path, err)
		// A part of a private key must not stay behind.
		if rerr := os.Remove(path); rerr != nil {
			err = errors.Join(err, fmt.Errorf("removing the partly written key %s: %w", path, rerr))
		}
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return id.Recipient().String(), nil
}
