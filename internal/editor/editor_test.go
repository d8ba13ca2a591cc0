package editor

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestPrivateParentFallsBackToDiskAndSaysSo(t *testing.T) {
	disk := t.TempDir() // not a tmpfs on the test machines; skipped if it is
	if isTmpfs(disk) {
		t.Skip("the test temp folder is a tmpfs here")
	}
	dir, notice := privateParent([]string{disk, filepath.Join(disk, "missing")})
	if dir != os.TempDir() || !strings.Contains(notice, "no tmpfs found") || !strings.Contains(notice, "on disk") {
		t.Errorf("privateParent = %q, %q; want the temp folder and a notice", dir, notice)
	}
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/dev/shm"); err == nil && isTmpfs("/dev/shm") {
			if dir, notice := privateParent([]string{disk, "/dev/shm"}); dir != "/dev/shm" || notice != "" {
				t.Errorf("privateParent with /dev/shm = %q, %q", dir, notice)
			}
		}
	}
}

func TestRemoveLeftoversOnlyOfDeadRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no owner or process check here: leftovers are left alone")
	}
	parent := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(parent, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "u-0001.yaml"), []byte("plaintext"), 0o600)
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
		return p
	}
	dead := mk(dirPrefix + "999999999-abc") // no such pid
	live := mk(dirPrefix + "1-abc")         // init: alive
	other := mk("someone-else-999999999-abc")
	removeLeftovers(parent, time.Now())
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead run's directory is still there")
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
}
