package githook

import (
	"bytes"
	"strings"

	"github.com/vts/dossier/internal/sopsfile"
)

// Textconv is what "git diff" shows for a record: the decrypted YAML when
// one of ids opens it (followed by a comment naming its recipients, so a
// key change shows in review), otherwise the file as stored, with its
// ENC[...] placeholders. It never fails: a diff must always be readable.
func Textconv(data []byte, ids *sopsfile.Identities) []byte {
	if ids.Empty() {
		return data
	}
	f, err := sopsfile.Decrypt(data, ids)
	if err != nil {
		return data
	}
	plain, err := f.Plain()
	if err != nil {
		return data
	}
	var b bytes.Buffer
	b.Write(plain)
	r := f.Recipients()
	var keys []string
	for _, k := range r.Age {
		keys = append(keys, "age:"+k)
	}
	for _, k := range r.PGP {
		keys = append(keys, "pgp:"+k)
	}
	for _, k := range r.Vault {
		keys = append(keys, "vault:"+k)
	}
	b.WriteString("# sops recipients: " + strings.Join(keys, ", ") + "\n")
	return b.Bytes()
}
