package identity

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vts/dossier/internal/record"
)

func TestIdentifies(t *testing.T) {
	user := record.Subject{Customer: "c-0001", User: "u-0001"}
	cust := record.Subject{Customer: "c-0001"}
	tests := []struct {
		name       string
		text       string
		user, cust bool
	}{
		{"user record", "kind: user\nid: u-0001\ncustomer: c-0001\nfull_name: ENC[x]\n", true, true},
		{"quoted, commented", "kind: 'user'\nid: \"u-0001\" # renumbered\ncustomer: c-0001\r\n", true, true},
		{"other user", "kind: user\nid: u-0002\ncustomer: c-0001\n", false, true},
		{"same id, other customer", "kind: user\nid: u-0001\ncustomer: c-0002\n", false, false},
		{"customer record", "kind: customer\nid: c-0001\ncompany_name: ENC[x]\n", false, true},
		{"longer id", "kind: customer\nid: c-00012\n", false, false},
		{"maintenance naming the user", "kind: maintenance\nid: mnt-0001\ncustomer: c-0001\nusers:\n  - u-0001\n", false, true},
		{"nested keys do not count", "kind: note\nitems:\n  - id: u-0001\n    customer: c-0001\n", false, false},
		{"patch", "diff --git a/x b/x\n+kind: user\n+id: u-0001\n+customer: c-0001\n", true, true},
		{"rerere image", "<<<<<<<\n kind: user\nid: u-0001\ncustomer: c-0001\n=======\n>>>>>>>\n", true, true},
		{"ledger", "id: DSR-2026-0001\ntype: erasure\nsubject: c-0001/u-0001\n", false, false},
		{"no newline at end", "kind: user\nid: u-0001\ncustomer: c-0001", true, true},
		{"key without space", "kind:user\nid:u-0001\ncustomer:c-0001\n", false, false},
		{"empty", "", false, false},
	}
	for _, tt := range tests {
		f := Read([]byte(tt.text))
		if got := Identifies(f, user); got != tt.user {
			t.Errorf("%s: identifies %s = %v, want %v", tt.name, user, got, tt.user)
		}
		if got := Identifies(f, cust); got != tt.cust {
			t.Errorf("%s: identifies %s = %v, want %v", tt.name, cust, got, tt.cust)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("kind: user\nid: u-0001\ncustomer: c-0001\n"))
	f.Add([]byte("+id: 'x' # y\n-kind:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dataKeys(data)
		for k, vs := range Read(data) {
			for _, v := range vs {
				if !opaque(v) {
					t.Fatalf("value %q of %s is no opaque id", v, k)
				}
			}
		}
	})
}

func TestDataKeys(t *testing.T) {
	v1 := "kind: user\nsops:\n  age:\n    - enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        YWdl\n        QUJD\n        -----END AGE ENCRYPTED FILE-----\n      recipient: age1x\n"
	v2 := "kind: user\nsops:\n    age:\n        - enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            QUJD\n            -----END AGE ENCRYPTED FILE-----\n          recipient: age1x\n    hc_vault:\n        - enc: vault:v1:abcdefghijklmnopqrstuvwxyz\n"
	k1, k2 := dataKeys([]byte(v1)), dataKeys([]byte(v2))
	if len(k1) != 1 || k1[0] != fingerprint("YWdlQUJD") {
		t.Fatalf("keys of v1 = %q", k1)
	}
	if len(k2) != 2 || k2[0] != k1[0] || k2[1] != fingerprint("vault:v1:abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("keys of v2 = %q", k2)
	}
}

func TestReadKeepsOnlyOpaqueValues(t *testing.T) {
	f := Read([]byte("kind: user\nid: Wilhelmina Testperson\ncustomer: c-0001\nid: u-12a\nid: u-0001\n"))
	if got := f["id"]; len(got) != 1 || got[0] != "u-0001" {
		t.Fatalf("ids = %q, want only u-0001", got)
	}
}

// TestScanCached checks the cached scan against the full one on a real
// repository, round after round: loose objects, a repack into one pack,
// new loose objects beside it, a damaged cache file and a second repack.
// A record renumbered to another customer is tied to its old versions by
// its data key, in the cache as in the full scan.
func TestScanCached(t *testing.T) {
	dir := t.TempDir()
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("", "init", "-q")
	key := func(k string) string {
		return "sops:\n  age:\n    - enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        " + k + "\n        -----END AGE ENCRYPTED FILE-----\n"
	}
	subjects := []record.Subject{{Customer: "c-0001", User: "u-0001"}, {Customer: "c-0001"}, {Customer: "c-0002", User: "u-0009"}, {Customer: "c-0003"}}
	rounds := [][]string{
		{
			"kind: user\nid: u-0001\ncustomer: c-0001\nfull_name: ENC[x]\n" + key("QUFB"),
			"kind: user\nid: u-0001\ncustomer: c-0001\nrole: admin\n" + key("QUFB"),
			"kind: user\nid: u-0002\ncustomer: c-0001\n" + key("QkJC"),
			"kind: customer\nid: c-0001\n",
			"not a record\n",
		},
		{
			// u-0001's record renumbered under another customer: the same data key.
			"kind: user\nid: u-0009\ncustomer: c-0002\nfull_name: ENC[y]\n" + key("QUFB"),
			"kind: contract\nid: ct-0001\ncustomer: c-0003\n",
		},
		{"kind: user\nid: u-0001\ncustomer: c-0001\nrole: staff\n" + key("QUFB")},
		{"kind: customer\nid: c-0003\n"},
	}
	check := func(round string) {
		t.Helper()
		full, err := ScanObjects(filepath.Join(dir, ".git"), subjects)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScanCached(dir, subjects)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subjects {
			want := full.Objects[s.String()]
			if len(want) == 0 && strings.HasPrefix(round, "round 3") {
				t.Fatalf("%s: the full scan found nothing for %s: the test checks nothing", round, s)
			}
			if ids := got.Objects[s.String()]; strings.Join(ids, " ") != strings.Join(want, " ") {
				t.Fatalf("%s: cached scan found %q for %s, full scan %q", round, ids, s, want)
			}
		}
		entries, err := os.ReadDir(filepath.Join(dir, ".git", filepath.FromSlash(CacheDir)))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := filepath.Join(dir, ".git", filepath.FromSlash(CacheDir), e.Name())
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %s has mode %v, want 0600", round, e.Name(), info.Mode().Perm())
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "ENC[") || strings.Contains(string(data), "admin") || strings.Contains(string(data), "QUFB") {
				t.Fatalf("%s: the cache holds record content:\n%s", round, data)
			}
		}
	}
	packCaches := func() []string {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(dir, ".git", filepath.FromSlash(CacheDir), "pack-*"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// packAll puts every object into one new pack, as a gc would (these
	// blobs are unreachable, which "git repack" leaves loose).
	packAll := func() {
		t.Helper()
		old, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*"))
		if err != nil {
			t.Fatal(err)
		}
		all := git("", "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
		name := git(all+"\n", "pack-objects", "-q", filepath.Join(".git", "objects", "pack", "pack"))
		for _, p := range old {
			if !strings.Contains(p, name) {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
		}
		git("", "prune-packed")
	}
	// fresh checks that the pack's cache, made from what the caches of
	// the loose objects and of the old packs knew, is the one a scan
	// with no cache makes.
	fresh := func(round string) {
		t.Helper()
		p := packCaches()
		if len(p) != 1 {
			t.Fatalf("%s: %d pack caches, want 1", round, len(p))
		}
		reused, err := os.ReadFile(p[0])
		if err != nil {
			t.Fatal(err)
		}
		saved := t.TempDir()
		cacheDir := filepath.Join(dir, ".git", filepath.FromSlash(CacheDir))
		if err := os.Rename(cacheDir, filepath.Join(saved, "identity")); err != nil {
			t.Fatal(err)
		}
		if _, err := ScanCached(dir, subjects); err != nil {
			t.Fatal(err)
		}
		made, err := os.ReadFile(p[0])
		if err != nil {
			t.Fatal(err)
		}
		if string(made) != string(reused) {
			t.Fatalf("%s: the pack cache made from earlier caches differs from a fresh one:\n%s\nfresh:\n%s", round, reused, made)
		}
		if !strings.Contains(string(made), "c c-0001\t") {
			t.Fatalf("%s: the pack cache lists no record of c-0001:\n%s", round, made)
		}
	}
	for i, texts := range rounds {
		for _, text := range texts {
			git(text, "hash-object", "-w", "--stdin")
		}
		check(fmt.Sprintf("round %d, loose", i))
		switch i {
		case 0:
			packAll()
			check("after a repack")
			fresh("after a repack")
			if n := len(packCaches()); n != 1 {
				t.Fatalf("%d pack caches after a repack into one pack, want 1", n)
			}
		case 1:
			// A crash or a disk error damaged the pack's cache.
			p := packCaches()[0]
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data[:len(data)/2], 0o600); err != nil {
				t.Fatal(err)
			}
			check("with a damaged pack cache")
		case 2:
			old := packCaches()
			packAll()
			check("after a second repack")
			fresh("after a second repack")
			now := packCaches()
			if len(now) != 1 || now[0] == old[0] {
				t.Fatalf("pack caches %q after a repack, before %q: want one new one", now, old)
			}
		}
	}
}

// TestScanCachedAlternates checks that the cached scan reads the packs
// and loose objects of the object directories a repository borrows from
// (objects/info/alternates, relative paths included), as git does.
func TestScanCachedAlternates(t *testing.T) {
	base := t.TempDir()
	git := func(dir, stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+base)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	lender, borrower := filepath.Join(base, "lender"), filepath.Join(base, "borrower")
	git(base, "", "init", "-q", lender)
	git(base, "", "init", "-q", borrower)
	packed := git(lender, "kind: user\nid: u-0001\ncustomer: c-0001\nrole: admin\n", "hash-object", "-w", "--stdin")
	name := git(lender, packed+"\n", "pack-objects", "-q", filepath.Join(".git", "objects", "pack", "pack"))
	if name == "" {
		t.Fatal("no pack written")
	}
	git(lender, "", "prune-packed")
	loose := git(lender, "kind: user\nid: u-0001\ncustomer: c-0001\nrole: staff\n", "hash-object", "-w", "--stdin")
	own := git(borrower, "kind: user\nid: u-0001\ncustomer: c-0001\n", "hash-object", "-w", "--stdin")
	rel := filepath.Join("..", "..", "..", "lender", ".git", "objects")
	if err := os.WriteFile(filepath.Join(borrower, ".git", "objects", "info", "alternates"), []byte(rel+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	subj := []record.Subject{{Customer: "c-0001", User: "u-0001"}}
	want := []string{packed, loose, own}
	sort.Strings(want)
	full, err := ScanObjects(filepath.Join(borrower, ".git"), subj)
	if err != nil {
		t.Fatal(err)
	}
	if got := full.Objects[subj[0].String()]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("full scan found %q, want %q", got, want)
	}
	for round := 0; round < 2; round++ {
		got, err := ScanCached(borrower, subj)
		if err != nil {
			t.Fatal(err)
		}
		if ids := got.Objects[subj[0].String()]; strings.Join(ids, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d: cached scan found %q, want %q", round, ids, want)
		}
		if len(got.Alternates) != 1 {
			t.Fatalf("round %d: alternates %q, want the lender's", round, got.Alternates)
		}
	}
}

// nopCloser is a strings.Builder that can be closed, as a pipe is.
type nopCloser struct{ strings.Builder }

func (nopCloser) Close() error { return nil }

// TestFeedBlobs checks that only blobs are passed on and that an object
// git no longer holds is reported, not skipped: a pack's cache made
// without it would answer for the pack without that object.
func TestFeedBlobs(t *testing.T) {
	for _, tt := range []struct {
		list, fed string
		n         int
		missing   bool
	}{
		{"a blob\nb tree\nc blob\n", "a\nc\n", 2, false},
		{"a blob\nb missing\nc blob\n", "a\nc\n", 2, true},
		{"", "", 0, false},
	} {
		var w nopCloser
		n := 0
		err := feedBlobs(strings.NewReader(tt.list), &w, &n)
		if got := errors.Is(err, errMissingObject); got != tt.missing || (err != nil && !got) {
			t.Errorf("%q: err = %v, want missing %v", tt.list, err, tt.missing)
		}
		if w.String() != tt.fed || n != tt.n {
			t.Errorf("%q: fed %q (%d), want %q (%d)", tt.list, w.String(), n, tt.fed, tt.n)
		}
	}
}

// A pack read in stretches by several gits gives the very cache file that
// one git reading it whole gives: the stretches split the pack, none of
// its objects is lost or read twice.
func TestPackCacheReadInStretches(t *testing.T) {
	dir := t.TempDir()
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("", "init", "-q")
	var ids []string
	for i := range 40 {
		body := fmt.Sprintf("kind: user\nid: u-%04d\ncustomer: c-%04d\nrole: r%d\nsops:\n  age:\n    - enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        K%04d\n        -----END AGE ENCRYPTED FILE-----\n", i, i%7, i, i%11)
		ids = append(ids, git(body, "hash-object", "-w", "--stdin"))
	}
	ids = append(ids, git("not a record\n", "hash-object", "-w", "--stdin"))
	git(strings.Join(ids, "\n")+"\n", "pack-objects", "-q", filepath.Join(".git", "objects", "pack", "pack"))
	git("", "prune-packed")
	subjects := []record.Subject{{Customer: "c-0003"}}
	cacheFile := func(readers int) (string, []string) {
		t.Helper()
		defer func(old func(int) int) { packReaders = old }(packReaders)
		packReaders = func(int) int { return readers }
		if err := os.RemoveAll(filepath.Join(dir, ".git", "dossier")); err != nil {
			t.Fatal(err)
		}
		found, err := ScanCached(dir, subjects)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, ".git", filepath.FromSlash(CacheDir), "pack-*"))
		if len(files) != 1 {
			t.Fatalf("%d pack cache files, want 1", len(files))
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return string(data), found.Objects["c-0003"]
	}
	whole, found := cacheFile(1)
	// c-0003's 6 records and those sharing a data key with them.
	if len(found) < 6 || strings.Count(whole, "\no ") != 40 {
		t.Fatalf("one reader: %d objects found for c-0003 (want 6 or more), %d records cached (want 40)", len(found), strings.Count(whole, "\no "))
	}
	for _, readers := range []int{2, 3, 50} {
		if got, f := cacheFile(readers); got != whole || strings.Join(f, " ") != strings.Join(found, " ") {
			t.Errorf("%d readers: the cache or what it finds differs from one reader's", readers)
		}
	}
}
