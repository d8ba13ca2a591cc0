package repo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// provablyClean reports whether the work tree at root has, under scope,
// no staged change, no unstaged change and no untracked file, proven
// without reading the whole index through git (git status parses all of
// it: 5 MB at 2,000 customers, the part of a one-record request that grew
// with the repository). It reads the index file itself, looks only at the
// entries under scope and compares them with HEAD (git ls-tree, which
// reads trees, not the index) and with the files' stat data.
//
// It is a shortcut for the common case, never a second opinion: true only
// when every check passes by the strictest reading of git's rules (same
// stat data as recorded, not racily clean, no conflict, no flag that
// makes git treat an entry specially, an index layout it knows). Anything
// else, an error included, is false, and the caller asks git status,
// which then decides.
func provablyClean(root string, scope []string) bool {
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"} {
		if os.Getenv(v) != "" {
			return false // git would read another index or tree
		}
	}
	gitDir := filepath.Join(root, ".git")
	if info, err := os.Lstat(gitDir); err != nil || !info.IsDir() {
		return false // a linked worktree or a submodule: .git is a file
	}
	want := map[string]bool{}
	for _, s := range scope {
		s = strings.TrimSuffix(s, "/")
		if s == "" || s == "." || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
			return false
		}
		want[s] = true
	}
	indexFile := filepath.Join(gitDir, "index")
	before, err := os.Stat(indexFile)
	if err != nil {
		return false
	}
	data, err := os.ReadFile(indexFile)
	if err != nil {
		return false
	}
	entries, ok := indexEntriesUnder(data, want)
	if !ok {
		return false
	}
	// The index may have been rewritten between the stat and the read:
	// its mtime is what racy entries are judged by.
	if after, err := os.Stat(indexFile); err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != int64(len(data)) {
		return false
	}
	idxSec, idxNsec := before.ModTime().Unix(), int64(before.ModTime().Nanosecond())
	for name, e := range entries {
		// Racily clean: changed within the same instant the index was
		// written, the stat data cannot tell; git hashes the file.
		if int64(e.mtimeSec) > idxSec || (int64(e.mtimeSec) == idxSec && int64(e.mtimeNsec) >= idxNsec) {
			return false
		}
		if !sameStat(filepath.Join(root, filepath.FromSlash(name)), e) {
			return false
		}
	}
	if !sameAsHead(root, scope, want, entries) {
		return false
	}
	return noUntracked(root, want, entries)
}

// indexEntry is what provablyClean needs of an index entry.
type indexEntry struct {
	ctimeSec, ctimeNsec, mtimeSec, mtimeNsec uint32
	ino, mode, uid, gid, size                uint32
	oid                                      string
}

// indexEntriesUnder parses a version 2 or 3 index (SHA-1) and returns its
// entries at or under one of want; ok is false for anything it does not
// fully understand: another version, a split or sparse index, a
// conflict, an entry git flags (assume-unchanged, skip-worktree,
// intent-to-add) or a damaged file.
func indexEntriesUnder(data []byte, want map[string]bool) (map[string]indexEntry, bool) {
	const hashLen = 20
	if len(data) < 12+hashLen || string(data[:4]) != "DIRC" {
		return nil, false
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version != 2 && version != 3 {
		return nil, false
	}
	n := binary.BigEndian.Uint32(data[8:12])
	end := len(data) - hashLen
	out := map[string]indexEntry{}
	off := 12
	for range n {
		if off+62 > end {
			return nil, false
		}
		e := data[off:]
		flags := binary.BigEndian.Uint16(e[60:62])
		nameOff := 62
		if flags&0x4000 != 0 { // extended flags follow
			if version < 3 {
				return nil, false
			}
			nameOff = 64
		}
		nameLen := int(flags & 0x0fff)
		if nameLen == 0x0fff {
			i := bytes.IndexByte(e[nameOff:end-off], 0)
			if i < 0 {
				return nil, false
			}
			nameLen = i
		}
		size := (nameOff + nameLen + 8) &^ 7
		if off+size > end {
			return nil, false
		}
		name := string(e[nameOff : nameOff+nameLen])
		off += size
		if !under(name, want) {
			continue
		}
		if flags&0xb000 != 0 || nameOff == 64 {
			return nil, false // assume-unchanged, a conflict stage, or extended flags
		}
		u := func(i int) uint32 { return binary.BigEndian.Uint32(e[i*4 : i*4+4]) }
		ie := indexEntry{ctimeSec: u(0), ctimeNsec: u(1), mtimeSec: u(2), mtimeNsec: u(3), ino: u(5), mode: u(6), uid: u(7), gid: u(8), size: u(9)}
		if ie.mode != 0o100644 && ie.mode != 0o100755 && ie.mode != 0o120000 {
			return nil, false // a submodule, a sparse directory
		}
		ie.oid = hexString(e[40 : 40+hashLen])
		out[name] = ie
	}
	// Extensions: one whose name starts in lower case changes what the
	// entries mean, and git must understand it (a split index keeps
	// entries in another file, a sparse index folds folders into one
	// entry); the others are caches, and none is needed here.
	for off+8 <= end {
		if c := data[off]; c >= 'a' && c <= 'z' {
			return nil, false
		}
		off += 8 + int(binary.BigEndian.Uint32(data[off+4:off+8]))
	}
	return out, off == end
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// sameAsHead reports whether HEAD holds exactly the entries under scope,
// with the same ids and modes: nothing is staged there.
func sameAsHead(root string, scope []string, want map[string]bool, entries map[string]indexEntry) bool {
	out, err := At(root).WithEnv("GIT_LITERAL_PATHSPECS=1").Run(append([]string{"ls-tree", "-r", "-z", "--full-tree", "HEAD", "--"}, scope...)...)
	if err != nil {
		return false // no commit yet, or git failed: git status decides
	}
	seen := 0
	for _, l := range strings.Split(string(out), "\x00") {
		if l == "" {
			continue
		}
		meta, name, ok := strings.Cut(l, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return false
		}
		if !under(name, want) {
			continue
		}
		e, ok := entries[name]
		if !ok || f[2] != e.oid || f[0] != modeString(e.mode) {
			return false
		}
		seen++
	}
	return seen == len(entries)
}

func modeString(m uint32) string {
	switch m {
	case 0o100644:
		return "100644"
	case 0o100755:
		return "100755"
	case 0o120000:
		return "120000"
	}
	return ""
}

// noUntracked reports whether every file at or under scope is in the
// index. An ignored file counts as untracked here: git status then
// decides.
func noUntracked(root string, want map[string]bool, entries map[string]indexEntry) bool {
	for s := range want {
		p := filepath.Join(root, filepath.FromSlash(s))
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false
		}
		if !info.IsDir() {
			if _, ok := entries[s]; !ok {
				return false
			}
			continue
		}
		clean := true
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			if _, ok := entries[filepath.ToSlash(rel)]; !ok {
				clean = false
				return filepath.SkipAll
			}
			return nil
		})
		if err != nil || !clean {
			return false
		}
	}
	return true
}
