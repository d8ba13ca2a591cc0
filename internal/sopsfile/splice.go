package sopsfile

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"gopkg.in/yaml.v3"
)

// A key change (Rekey, Rewrap) leaves a record's fields, their order,
// their plaintext values and every unencrypted byte as they are: only the
// encrypted values (for a new data key) and the sops block change. So the
// new file is the old one with those parts replaced, rather than a tree
// written out as YAML, read back and written again through the sops
// store: that round trip was most of the cost of "keys rotate" (three
// YAML encodes or parses per record, 1.4 ms of CPU each at 50,000
// records), and the file keeps its bytes, so the diff shows only what
// changed.
//
// This holds only for files in the form the pinned sops writes: age
// recipients only, no comments, no date that reading turned into text,
// the sops block last and written exactly as sops writes it. Every
// condition is checked on the file itself (writeMeta must reproduce its
// sops block byte for byte) and anything else takes the sops store's way
// (errSlowPath), as before.

// spliced is what DecryptParsed keeps of a file for a splice: its bytes,
// the line of its top-level "sops" key, and the encrypted values as the
// file holds them, in the order the walk visits them.
type spliced struct {
	src      []byte
	sopsLine int
	encs     []string
}

// rekeySpliced is Rekey (newKey) or Rewrap (the file's data key) on the
// file's bytes.
func (f *File) rekeySpliced(rule *Rule, newKey bool) ([]byte, error) {
	sp := f.spliced
	md := f.tree.Metadata
	if sp == nil || sp.src == nil || f.rewrite || len(rule.Recipients.PGP)+len(rule.Recipients.Vault) > 0 || len(rule.Recipients.Age) == 0 ||
		rule.EncryptedRegex != md.EncryptedRegex || len(f.tree.Branches) != 1 {
		return nil, errSlowPath
	}
	at, ok := lineStart(sp.src, sp.sopsLine)
	if !ok {
		return nil, errSlowPath
	}
	var old bytes.Buffer
	if err := writeMeta(&old, md); err != nil || !bytes.Equal(old.Bytes(), sp.src[at:]) {
		return nil, errSlowPath
	}
	re, err := selector(md)
	if err != nil {
		return nil, errSlowPath
	}

	dataKey := md.DataKey
	ver := md.Version
	var encs []string
	hash := sha512.New()
	if newKey {
		dataKey = make([]byte, 32)
		if _, err := rand.Read(dataKey); err != nil {
			return nil, fmt.Errorf("generating a data key: %w", err)
		}
		ver = sopsVersion // as Encrypt records: the pinned sops library's
	}
	// The MAC is over the plaintext values, which do not change; it is
	// computed again rather than carried over so that what is written
	// never rests on the old file's word.
	cipher := aes.NewCipher()
	err = walkBranch(f.tree.Branches[0], nil, false, re, func(v any, path []string, encrypted bool) (any, error) {
		bs, err := sops.ToBytes(v)
		if err != nil {
			return nil, err
		}
		hash.Write(bs)
		if encrypted && newKey {
			e, err := cipher.Encrypt(v, dataKey, strings.Join(path, ":")+":")
			if err != nil {
				return nil, err
			}
			encs = append(encs, e)
		}
		return v, nil
	})
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}

	content := sp.src[:at]
	if newKey {
		if content, err = replaceValues(content, sp.encs, encs); err != nil {
			return nil, err
		}
	}
	group, err := keyGroup(rule.Recipients)
	if err != nil {
		return nil, err
	}
	for _, k := range group {
		if err := k.Encrypt(dataKey); err != nil {
			return nil, fmt.Errorf("encrypting the data key: %w", err)
		}
	}
	out := sops.Metadata{
		KeyGroups:      []sops.KeyGroup{group},
		EncryptedRegex: md.EncryptedRegex,
		Version:        ver,
		LastModified:   time.Now().UTC(),
	}
	mac := fmt.Sprintf("%X", hash.Sum(nil))
	if out.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey, out.LastModified.Format(time.RFC3339)); err != nil {
		return nil, fmt.Errorf("encrypting the MAC: %w", err)
	}
	b := bytes.NewBuffer(make([]byte, 0, len(sp.src)+256))
	b.Write(content)
	if err := writeMeta(b, out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// replaceValues replaces each of olds, in order, by the news at the same
// index. An encrypted value holds a random 32-byte IV, so in any file sops
// wrote it occurs exactly once; one that occurs twice or not at all, in
// whatever quoting, is left to the slow path rather than guessed at.
func replaceValues(content []byte, olds, news []string) ([]byte, error) {
	if len(olds) != len(news) {
		return nil, errSlowPath
	}
	out := make([]byte, 0, len(content)+64)
	pos := 0
	for i, old := range olds {
		if old == "" || news[i] == "" {
			if old != news[i] {
				return nil, errSlowPath
			}
			continue // sops leaves an empty string as it is
		}
		if bytes.Count(content, []byte(old)) != 1 {
			return nil, errSlowPath
		}
		j := bytes.Index(content[pos:], []byte(old))
		if j < 0 {
			return nil, errSlowPath
		}
		out = append(out, content[pos:pos+j]...)
		out = append(out, news[i]...)
		pos += j + len(old)
	}
	return append(out, content[pos:]...), nil
}

// lineStart is the offset of the first byte of 1-based line n.
func lineStart(b []byte, n int) (int, bool) {
	at := 0
	for line := 1; line < n; line++ {
		i := bytes.IndexByte(b[at:], '\n')
		if i < 0 {
			return 0, false
		}
		at += i + 1
	}
	return at, n >= 1
}

// writeMeta writes the sops block of an age-only file, byte for byte as
// the sops YAML store writes it (indent 4, keys in its order); whatever it
// cannot write that way is errSlowPath. The splice checks it against each
// file's own block before trusting it, and TestWriteMetaAsSops against the
// store.
func writeMeta(b *bytes.Buffer, md sops.Metadata) error {
	if len(md.KeyGroups) != 1 || len(md.KeyGroups[0]) == 0 || md.EncryptedRegex == "" {
		return errSlowPath
	}
	regex, err := plainScalar(md.EncryptedRegex)
	if err != nil {
		return err
	}
	ver, err := plainScalar(md.Version)
	if err != nil {
		return err
	}
	if _, err := ParseENC(md.MessageAuthenticationCode); err != nil {
		return errSlowPath
	}
	b.WriteString("sops:\n    age:\n")
	for _, k := range md.KeyGroups[0] {
		ak, ok := k.(*sopsage.MasterKey)
		if !ok || !armorText(ak.EncryptedKey) {
			return errSlowPath
		}
		recipient, err := plainScalar(ak.Recipient)
		if err != nil {
			return err
		}
		b.WriteString("        - enc: |\n")
		for _, l := range strings.SplitAfter(strings.TrimSuffix(ak.EncryptedKey, "\n"), "\n") {
			b.WriteString("            ")
			b.WriteString(l)
		}
		b.WriteString("\n          recipient: ")
		b.WriteString(recipient)
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "    encrypted_regex: %s\n    lastmodified: \"%s\"\n    mac: %s\n    version: %s\n",
		regex, md.LastModified.UTC().Format(time.RFC3339), md.MessageAuthenticationCode, ver)
	return nil
}

// armorText reports whether s is text the YAML store writes as a literal
// block that keeps one final newline ("|"): lines of armor characters,
// none empty, ending in a newline.
func armorText(s string) bool {
	if !strings.HasSuffix(s, "\n") || len(s) < 2 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l == "" {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !isBase64(c) && c != '-' && c != ' ' {
				return false
			}
		}
		if l[0] == ' ' || l[len(l)-1] == ' ' {
			return false
		}
	}
	return true
}

// plainScalar is s as yaml.v3 writes it as a one-line scalar (plain or
// quoted), asked once per distinct value: a repository has a handful of
// encrypted_regex values, recipients and versions.
func plainScalar(s string) (string, error) {
	if t, ok := scalarTexts.Load(s); ok {
		return t.(string), nil
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		return "", errSlowPath
	}
	t, ok := strings.CutSuffix(string(out), "\n")
	if !ok || strings.Contains(t, "\n") {
		return "", errSlowPath
	}
	scalarTexts.Store(s, t)
	return t, nil
}

var scalarTexts sync.Map
