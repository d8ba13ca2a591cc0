package sopsfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"

	"github.com/vts/dossier/internal/yamltree"
)

// TEST ONLY keys (testdata/test-only-age-key*.txt at the module root).
const (
	testRecipient1 = "age1hwtsf9k3500satum9j6rnfnpzhuce7yz8056g7y8ecukrd9anckskjwacg"
	testRecipient2 = "age1hg7jvck9pelz92s3u9yw89mvevqewxl84n25klutwm3nukg65euqnqzqtq"
	spliceCanary   = "Canary-Vlinder-7731"
)

func testIdentities(t *testing.T, files ...string) *Identities {
	t.Helper()
	var all strings.Builder
	for _, f := range files {
		data, err := os.ReadFile("../../testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	ids, err := parseIdentities(all.String(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

const plainUser = `kind: user
id: u-0001
customer: c-0001
full_name: ` + spliceCanary + `
email: ""
role: staff
active: true
since: "2020-01-31"
accounts:
  - system: server
    host: srv-01.local
    login: jan
    password: S3cret-pass
    port: 22
  - system: google
    login: jan@example.invalid
`

func userRule(recipients ...string) *Rule {
	return &Rule{EncryptedRegex: "^(email|full_name|login|password|phone)$", Recipients: Recipients{Age: recipients}}
}

// parsed reads data the way keyed validation and key changes do.
func parsed(t *testing.T, data []byte, ids *Identities) *File {
	t.Helper()
	root, err := yamltree.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecryptParsed(root, data, ids)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var encRe = regexp.MustCompile(`ENC\[AES256_GCM,[^\]]*\]`)

// TestRekeySplicedKeepsBytesChangesKey pins what a splice must give: the
// same plaintext for the stock reader (the sops store, MAC included), every
// unencrypted byte kept, every encrypted value and the data key new, and
// the old data key opening nothing of the new file.
func TestRekeySplicedKeepsBytesChangesKey(t *testing.T) {
	ids := testIdentities(t, "test-only-age-key.txt")
	before, err := Encrypt([]byte(plainUser), userRule(testRecipient1))
	if err != nil {
		t.Fatal(err)
	}
	f := parsed(t, before, ids)
	if f.spliced == nil {
		t.Fatal("a file the sops store wrote was not read for splicing")
	}
	after, err := f.Rekey(userRule(testRecipient1))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(after, []byte(spliceCanary)) {
		t.Fatal("the rekeyed file holds a plaintext value")
	}
	// Only the encrypted values and the sops block differ.
	strip := func(b []byte) string {
		s := string(b[:bytes.Index(b, []byte("\nsops:\n"))])
		return encRe.ReplaceAllString(s, "ENC")
	}
	if strip(before) != strip(after) {
		t.Errorf("unencrypted content changed:\n%s\n---\n%s", strip(before), strip(after))
	}
	olds, news := encRe.FindAllString(string(before), -1), encRe.FindAllString(string(after), -1)
	if len(olds) != len(news) || len(olds) < 5 {
		t.Fatalf("%d encrypted values before, %d after", len(olds), len(news))
	}
	for i := range olds {
		if olds[i] == news[i] {
			t.Errorf("encrypted value %d unchanged", i)
		}
	}

	// The sops store (what "sops -d" runs) reads it, to the same values.
	g, err := Decrypt(after, ids)
	if err != nil {
		t.Fatalf("the store cannot open the rekeyed file: %v\n%s", err, after)
	}
	p1, _ := f.Plain()
	p2, _ := g.Plain()
	if !bytes.Equal(p1, p2) {
		t.Errorf("plaintext changed:\n%s\n---\n%s", p1, p2)
	}
	if bytes.Equal(f.tree.Metadata.DataKey, g.tree.Metadata.DataKey) {
		t.Error("the data key did not change")
	}
	// The old data key opens none of the new values.
	tree, err := store().LoadEncryptedFile(after)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Decrypt(f.tree.Metadata.DataKey, aes.NewCipher()); err == nil {
		t.Error("the old data key still decrypts the rekeyed file")
	}
	// Written the same way again: the splice applies to its own output.
	if g2 := parsed(t, after, ids); g2.spliced == nil {
		t.Error("the rekeyed file cannot be spliced again")
	} else if _, err := g2.rekeySpliced(userRule(testRecipient1), true); err != nil {
		t.Errorf("second splice: %v", err)
	}
}

// TestRewrapSplicedAddsAReader: a new recipient opens the file, the data
// key and every encrypted value stay.
func TestRewrapSplicedAddsAReader(t *testing.T) {
	before, err := Encrypt([]byte(plainUser), userRule(testRecipient1))
	if err != nil {
		t.Fatal(err)
	}
	f := parsed(t, before, testIdentities(t, "test-only-age-key.txt"))
	after, err := f.rekeySpliced(userRule(testRecipient1, testRecipient2), false)
	if err != nil {
		t.Fatal(err)
	}
	cut := func(b []byte) []byte { return b[:bytes.Index(b, []byte("\nsops:\n"))] }
	if !bytes.Equal(cut(before), cut(after)) {
		t.Error("adding a reader changed the content")
	}
	g, err := Decrypt(after, testIdentities(t, "test-only-age-key-2.txt"))
	if err != nil {
		t.Fatalf("the new reader cannot open it: %v", err)
	}
	if !bytes.Equal(g.tree.Metadata.DataKey, f.tree.Metadata.DataKey) {
		t.Error("adding a reader changed the data key")
	}
	if r := g.Recipients(); len(r.Age) != 2 {
		t.Errorf("recipients %v", r.Age)
	}
}

// TestRekeyRemovesAReader: after a rekey to the second key only, the
// first opens nothing.
func TestRekeyRemovesAReader(t *testing.T) {
	before, err := Encrypt([]byte(plainUser), userRule(testRecipient1, testRecipient2))
	if err != nil {
		t.Fatal(err)
	}
	f := parsed(t, before, testIdentities(t, "test-only-age-key.txt"))
	after, err := f.Rekey(userRule(testRecipient2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(after, testIdentities(t, "test-only-age-key.txt")); !errors.Is(err, ErrNoKey) {
		t.Errorf("the removed key: %v, want ErrNoKey", err)
	}
	if _, err := Decrypt(after, testIdentities(t, "test-only-age-key-2.txt")); err != nil {
		t.Errorf("the kept key: %v", err)
	}
}

// TestSpliceFallsBack: what the splice cannot keep byte for byte goes the
// store's way, and still gives a file that opens to the same values.
func TestSpliceFallsBack(t *testing.T) {
	ids := testIdentities(t, "test-only-age-key.txt")
	enc, err := Encrypt([]byte(plainUser), userRule(testRecipient1))
	if err != nil {
		t.Fatal(err)
	}
	reindented := bytes.Replace(enc, []byte("\n    age:\n"), []byte("\n  age:\n"), 1)
	reindented = bytes.ReplaceAll(reindented, []byte("\n    "), []byte("\n  "))
	// A readable field holding a copy of an encrypted value: which of the
	// two to replace is not guessed.
	fullName := regexp.MustCompile(`(?m)^full_name: (ENC\[[^\]]*\])$`).FindSubmatch(enc)
	if fullName == nil {
		t.Fatal("no encrypted full_name")
	}
	f := parsed(t, enc, ids)
	plain, err := f.Plain()
	if err != nil {
		t.Fatal(err)
	}
	// Reencrypt keeps full_name's IV, so its encrypted text is the same.
	twice, err := f.Reencrypt(bytes.Replace(plain, []byte("role: staff\n"), append(append([]byte("role: "), fullName[1]...), '\n'), 1))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(twice, fullName[1]) != 2 {
		t.Fatalf("the copy is not there:\n%s", twice)
	}
	for name, tc := range map[string]struct {
		data []byte
		rule *Rule
	}{
		"value twice":     {twice, userRule(testRecipient1)},
		"other regex":     {enc, &Rule{EncryptedRegex: "^(full_name)$", Recipients: Recipients{Age: []string{testRecipient1}}}},
		"sops block form": {reindented, userRule(testRecipient1)},
	} {
		t.Run(name, func(t *testing.T) {
			root, err := yamltree.Parse(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			f, err := DecryptParsed(root, tc.data, ids)
			if err != nil {
				t.Fatalf("opening: %v", err)
			}
			if _, err := f.rekeySpliced(tc.rule, true); !errors.Is(err, errSlowPath) {
				t.Fatalf("splice: %v, want errSlowPath", err)
			}
			out, err := f.Rekey(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Decrypt(out, ids)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := g.Value()
			if v.(map[string]any)["full_name"] != spliceCanary {
				t.Errorf("full_name lost: %v", v)
			}
		})
	}
}

// TestWriteMetaAsSops holds writeMeta to the sops store's own output for
// the blocks it writes, and to errSlowPath for the rest.
func TestWriteMetaAsSops(t *testing.T) {
	keys := func(rs ...string) sops.KeyGroup {
		var g sops.KeyGroup
		for _, r := range rs {
			k := &sopsage.MasterKey{Recipient: r}
			if err := k.Encrypt(bytes.Repeat([]byte{7}, 32)); err != nil {
				t.Fatal(err)
			}
			g = append(g, k)
		}
		return g
	}
	mac := "ENC[AES256_GCM,data:YWJjZA==,iv:" + strings.Repeat("A", 43) + "=,tag:" + strings.Repeat("B", 22) + "==,type:str]"
	when := time.Date(2026, 11, 30, 15, 14, 17, 0, time.UTC)
	for _, regex := range []string{
		"^(email|full_name|login|password|phone)$",
		"^(a: b|c)$",
		"#x",
		"^(x)$ ",
		"true",
		"'q'",
		"^(" + strings.Repeat("field_name|", 20) + "x)$",
		"^(a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z)$",
	} {
		for _, group := range []sops.KeyGroup{keys(testRecipient1), keys(testRecipient1, testRecipient2)} {
			md := sops.Metadata{KeyGroups: []sops.KeyGroup{group}, EncryptedRegex: regex, Version: "3.13.3", LastModified: when, MessageAuthenticationCode: mac}
			want, err := store().EmitEncryptedFile(sops.Tree{Branches: sops.TreeBranches{{{Key: "kind", Value: "user"}}}, Metadata: md})
			if err != nil {
				t.Fatal(err)
			}
			want = want[len("kind: user\n"):]
			var got bytes.Buffer
			err = writeMeta(&got, md)
			if errors.Is(err, errSlowPath) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("regex %q, %d recipients:\n%s\nwant (sops store):\n%s", regex, len(group), got.String(), want)
			}
		}
	}
}

// TestRekeySplicedValueForms: encrypted numbers and booleans keep their
// types (and so the MAC), and a value someone quoted by hand is replaced
// inside its quotes; the store reads each result to the same values.
func TestRekeySplicedValueForms(t *testing.T) {
	ids := testIdentities(t, "test-only-age-key.txt")
	rule := &Rule{EncryptedRegex: "^(pin|score|flag|name)$", Recipients: Recipients{Age: []string{testRecipient1}}}
	before, err := Encrypt([]byte("kind: x\npin: 1234\nscore: 2.5\nflag: true\nname: "+spliceCanary+"\nlist:\n  - name: a\n  - name: b\n"), rule)
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile(`(?m)^name: (ENC\[[^\]]*\])$`).ReplaceAll(before, []byte(`name: "$1"`))
	if bytes.Equal(quoted, before) {
		t.Fatal("no value quoted")
	}
	for name, data := range map[string][]byte{"types": before, "quoted": quoted} {
		t.Run(name, func(t *testing.T) {
			f := parsed(t, data, ids)
			out, err := f.rekeySpliced(rule, true)
			if err != nil {
				t.Fatalf("splice: %v", err)
			}
			g, err := Decrypt(out, ids)
			if err != nil {
				t.Fatalf("the store cannot open it: %v\n%s", err, out)
			}
			v1, _ := f.Value()
			v2, _ := g.Value()
			if fmt.Sprint(v1) != fmt.Sprint(v2) {
				t.Errorf("values changed: %v, then %v", v1, v2)
			}
		})
	}
}
