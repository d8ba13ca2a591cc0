package backup

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/settings"
)

func TestParseRemote(t *testing.T) {
	internal := []string{"backup01.vts.internal", "127.0.0.1", "github.com", "Backup02.VTS.internal."}
	tests := []struct {
		url     string
		path    string // accepted: Remote.Path
		host    string // accepted over ssh: Remote.Host
		refused string // refused: part of the rule
	}{
		{url: "/mnt/backup/records.git", path: "/mnt/backup/records.git"},
		{url: "/mnt/backup/../backup/records.git/", path: "/mnt/backup/records.git"},
		{url: "file:///mnt/backup/records.git", path: "/mnt/backup/records.git"},
		{url: "file://localhost/mnt/b.git", path: "/mnt/b.git"},
		{url: "file://nas01/mnt/b.git", refused: "must name a local path"},
		{url: "ssh://backup@backup01.vts.internal/srv/records.git", path: "/srv/records.git", host: "backup01.vts.internal"},
		{url: "ssh://backup@127.0.0.1:2222/srv/records.git", path: "/srv/records.git", host: "127.0.0.1"},
		{url: "backup@backup01.vts.internal:srv/records.git", path: "srv/records.git", host: "backup01.vts.internal"},
		{url: "ssh://BACKUP02.vts.internal/srv/r.git", path: "/srv/r.git", host: "backup02.vts.internal"},
		{url: "ssh://backup@backup03.vts.internal/srv/records.git", refused: "not listed in internal_hosts"},
		{url: "git@github.com:vts/records.git", refused: "public service (github.com)"},
		{url: "ssh://git@ssh.github.com:443/vts/records.git", refused: "public service (github.com)"},
		{url: "ssh://git-codecommit.eu-west-1.amazonaws.com/v1/repos/r", refused: "public service (amazonaws.com)"},
		{url: "git@git.sr.ht:~vts/records", refused: "public service (sr.ht)"},
		{url: "https://backup01.vts.internal/records.git", refused: "http(s)"},
		{url: "http://backup01.vts.internal/records.git", refused: "http(s)"},
		{url: "git://backup01.vts.internal/records.git", refused: `scheme "git"`},
		{url: "s3://bucket/records", refused: `scheme "s3"`},
		{url: "ssh://user:secret@backup01.vts.internal/srv/r.git", refused: "password"},
		{url: "ssh://8.8.8.8/srv/r.git", refused: "public IP address"},
		{url: "ssh://backup01.vts.internal/", refused: "no repository path"},
		{url: "ssh://-oProxyCommand=x/srv/r.git", refused: "malformed"},
		{url: "records.git", refused: "relative path"},
		{url: "../disk/records.git", refused: "relative path"},
		{url: "", refused: "no url"},
	}
	for _, tt := range tests {
		r, err := ParseRemote(settings.Backup{Name: "b", URL: tt.url}, internal)
		if tt.refused != "" {
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(re.Rule, tt.refused) {
				t.Errorf("%q: got %v, want refusal containing %q", tt.url, err, tt.refused)
			}
			if err != nil && !strings.Contains(err.Error(), `"b"`) {
				t.Errorf("%q: refusal %q does not name the remote", tt.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.url, err)
			continue
		}
		if r.Path != tt.path || r.Host != tt.host {
			t.Errorf("%q: got path %q host %q, want %q %q", tt.url, r.Path, r.Host, tt.path, tt.host)
		}
	}
}

func TestSelect(t *testing.T) {
	s := &settings.Settings{Backups: []settings.Backup{{Name: "a", URL: "/mnt/a.git"}, {Name: "web", URL: "https://x/y"}}}
	if _, err := Select(s, []string{"a"}); err != nil {
		t.Errorf("selecting a: %v", err)
	}
	if _, err := Select(s, nil); err == nil {
		t.Error("all remotes: want the https one refused")
	}
	if _, err := Select(s, []string{"c"}); err == nil || !strings.Contains(err.Error(), `no backup remote named "c"`) {
		t.Errorf("unknown name: got %v", err)
	}
	if _, err := Select(&settings.Settings{}, nil); err == nil {
		t.Error("no remotes: want an error")
	}
}

// FuzzParseRemote: whatever dossier.yaml says, an accepted remote is a
// local absolute path or an ssh host that is listed, not public, and not a
// public IP.
func FuzzParseRemote(f *testing.F) {
	for _, s := range []string{"/mnt/b.git", "file:///b.git", "ssh://u@h.internal:22/p", "u@h.internal:p", "https://h/p", "git@github.com:x/y", "ssh://[::1]/p", "ssh://8.8.8.8/p"} {
		f.Add(s)
	}
	internal := []string{"h.internal", "::1", "github.com", "8.8.8.8"}
	f.Fuzz(func(t *testing.T, url string) {
		r, err := ParseRemote(settings.Backup{Name: "b", URL: url}, internal)
		if err != nil {
			return
		}
		if !r.SSH() {
			if !strings.HasPrefix(r.Path, "/") {
				t.Fatalf("%q: local path %q is not absolute", url, r.Path)
			}
			return
		}
		if settings.PublicService(r.Host) != "" {
			t.Fatalf("%q: public host %q accepted", url, r.Host)
		}
		if ip := net.ParseIP(r.Host); ip != nil && !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()) {
			t.Fatalf("%q: public IP %q accepted", url, r.Host)
		}
		listed := false
		for _, h := range internal {
			listed = listed || h == r.Host
		}
		if !listed {
			t.Fatalf("%q: host %q is not listed", url, r.Host)
		}
	})
}

// FuzzParseManifest: a manifest comes from a disk that may have been
// anywhere; parsing never panics and what it accepts names refs and ids.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("time: x\nhead: refs/heads/main\nrefs:\n  refs/heads/main: 0123456789abcdef0123456789abcdef01234567\napplied: [DSR-2026-0001]\ncheck: full\n"))
	f.Add([]byte("refs: {HEAD: x}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		for name, v := range m.Refs {
			if !strings.HasPrefix(name, "refs/") || !isHexID(v) {
				t.Fatalf("accepted ref %q = %q", name, v)
			}
		}
	})
}

func TestLinks(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	commit := "tree " + a + "\nparent " + b + "\nauthor x <y> 1 +0000\n\nparent " + a + " in the message\n"
	got := links(plumbing.CommitObject, []byte(commit))
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("commit links: %v", got)
	}
	h1, h2 := plumbing.NewHash(a), plumbing.NewHash(b)
	tree := append([]byte("100644 f.yaml\x00"), h1[:]...)
	tree = append(tree, []byte("160000 sub\x00")...)
	tree = append(tree, h2[:]...)
	tree = append(tree, []byte("40000 dir\x00")...)
	tree = append(tree, h2[:]...)
	got = links(plumbing.TreeObject, tree)
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("tree links (submodule skipped): %v", got)
	}
	if got := links(plumbing.TreeObject, []byte("100644 truncated\x00abc")); len(got) != 0 {
		t.Errorf("truncated tree: %v", got)
	}
}

func TestParseBatchCheck(t *testing.T) {
	out := strings.Repeat("a", 40) + " blob 12\n" + strings.Repeat("b", 40) + " missing\n"
	if got := parseBatchCheck(out); len(got) != 1 || got[0] != strings.Repeat("a", 40) {
		t.Errorf("got %v", got)
	}
}

func TestQuote(t *testing.T) {
	if got := quote("/srv/it's here"); got != `'/srv/it'\''s here'` {
		t.Errorf("got %s", got)
	}
}
