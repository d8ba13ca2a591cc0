//go:build unix

package validate

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// readFile reads whole files of every size into the worker's buffer, and
// fails as os.ReadFile does.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	buf := make([]byte, readBufSize)
	for _, size := range []int{0, 1, readBufSize - 1, readBufSize, readBufSize + 1, 3*readBufSize + 7} {
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readFile(p, buf)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("size %d: read %d bytes, %v", size, len(got), err)
		}
	}
	if _, err := readFile(filepath.Join(dir, "missing"), buf); !errors.Is(err, fs.ErrNotExist) || errText(err) != "no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := readFile(dir, buf); err == nil || errText(err) != "is a directory" {
		t.Errorf("a directory: %v", err)
	}
}

// A file above MaxRecordSize is refused with ErrTooLarge after reading at
// most one buffer more than the limit.
func TestReadFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, bytes.Repeat([]byte("a"), MaxRecordSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readFile(path, make([]byte, readBufSize)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("readFile of a file above the limit: %v", err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("a"), MaxRecordSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := readFile(path, make([]byte, readBufSize)); err != nil || len(data) != MaxRecordSize {
		t.Errorf("readFile at the limit: %d bytes, %v", len(data), err)
	}
}
