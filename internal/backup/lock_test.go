//go:build unix

package backup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCleanHolder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dossier backup, pid 42 on nas at 2026-03-01T10:00:00Z\n", "dossier backup, pid 42 on nas at 2026-03-01T10:00:00Z"},
		{"", ""},
		{"first\nsecond\n", "first"},
		{"\x1b[2Jdossier\trestore\x00", "[2Jdossierrestore"},
		{strings.Repeat("x", 500), strings.Repeat("x", 120)},
		{"caf\u00e9 ", "caf"},
	}
	for _, tt := range tests {
		if got := cleanHolder([]byte(tt.in)); got != tt.want {
			t.Errorf("cleanHolder(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{"vault": "vault", "disk-a.2_b": "disk-a.2_b", "../x y": ".._x_y", "n\u00e4s": "n_s"} {
		if got := fileSafe(in); got != want {
			t.Errorf("fileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFlockModes pins who excludes whom: flock locks belong to an open
// file, so two opens in one process contend as two processes would.
func TestFlockModes(t *testing.T) {
	p := filepath.Join(t.TempDir(), LockFile)
	busy := func(op Op) bool {
		release, err := flockFile(p, "m", op)
		var b *BusyError
		if errors.As(err, &b) {
			return true
		}
		if err != nil {
			t.Fatal(err)
		}
		release()
		return false
	}
	release, err := flockFile(p, "m", OpVerify)
	if err != nil {
		t.Fatal(err)
	}
	if busy(OpRestore) || !busy(OpBackup) {
		t.Errorf("a reader must admit readers and refuse a backup")
	}
	release()
	release, err = flockFile(p, "m", OpBackup)
	if err != nil {
		t.Fatal(err)
	}
	if !busy(OpVerify) || !busy(OpBackup) {
		t.Errorf("a backup must refuse everyone")
	}
	release()
	if busy(OpBackup) {
		t.Errorf("a released lock must be free")
	}
	data, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(data), "dossier backup, pid ") {
		t.Errorf("holder line %q", data)
	}
}
