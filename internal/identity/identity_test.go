package identity

import (
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
// repository, with a cache cut short by a crash.
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
	var want []string
	for i, text := range []string{
		"kind: user\nid: u-0001\ncustomer: c-0001\nfull_name: ENC[x]\n",
		"kind: user\nid: u-0001\ncustomer: c-0001\nrole: admin\n",
		"kind: user\nid: u-0002\ncustomer: c-0001\n",
		"not a record\n",
	} {
		id := git(text, "hash-object", "-w", "--stdin")
		if i < 2 {
			want = append(want, id)
		}
	}
	sort.Strings(want)
	subj := []record.Subject{{Customer: "c-0001", User: "u-0001"}}
	full, err := ScanObjects(filepath.Join(dir, ".git"), subj)
	if err != nil {
		t.Fatal(err)
	}
	if got := full.Objects[subj[0].String()]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("full scan found %q, want %q", got, want)
	}
	for round := 0; round < 3; round++ {
		got, err := ScanCached(dir, subj)
		if err != nil {
			t.Fatal(err)
		}
		if ids := got.Objects[subj[0].String()]; strings.Join(ids, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d: cached scan found %q, want %q", round, ids, want)
		}
		cache := filepath.Join(dir, ".git", filepath.FromSlash(CacheFile))
		data, err := os.ReadFile(cache)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "ENC[") || strings.Contains(string(data), "admin") {
			t.Fatalf("the cache holds record content:\n%s", data)
		}
		// A crash cut the last line short.
		if err := os.WriteFile(cache, data[:len(data)-7], 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
