package githook

import (
	"bytes"
	"strings"

	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
)

// Textconv is what "git diff" shows for a record: the decrypted YAML when
// one of ids opens it (followed by a comment naming its recipients, so a
// key change shows in review), otherwise the file as stored, with its
// ENC[...] placeholders. It never fails: a diff must always be readable.
//
// A version that breaks the record grammar (validate.Grammar) is not
// shown at all, decrypted or not: a line naming the rule takes its place,
// so that a directive, tag, anchor or forged value (a name hidden where no
// field is) never reaches a diff, a pager or a log.
func Textconv(data []byte, ids *sopsfile.Identities) []byte {
	if problem := validate.Grammar(data); problem != "" {
		return []byte("# dossier: this version is not a valid record, so it is not shown: " + problem + "\n# (\"dossier validate\" names every problem)\n")
	}
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
