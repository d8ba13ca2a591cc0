package backup

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// PackCheck is what re-reading a mirror's pack files found: every byte of
// every pack hashed and compared with the checksum git wrote at its end
// (and with the checksum its index names), so a flipped byte or a pack cut
// short on the disk is found on the backup that follows, not on the day of
// a restore. The packs a backup wrote are among them: what it sent is
// re-read from the disk after it was written.
type PackCheck struct {
	Packs   int   // pack files read and hashed
	Bytes   int64 // their size
	Objects int   // objects their indexes list
	Loose   int   // loose objects (not covered: a mirror written by dossier has none)
	// Fsck is set for an ssh mirror, where git fsck --full on the host
	// did the reading and hashing.
	Fsck bool
}

// checkPacks re-reads and hashes every pack of a local mirror.
func checkPacks(gitDir string, progress io.Writer) (PackCheck, Problems, error) {
	var pc PackCheck
	var p Problems
	packs, err := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.pack"))
	if err != nil {
		return pc, nil, err
	}
	for _, pack := range packs {
		name := filepath.Base(pack)
		sum, size, err := packSum(pack)
		if err != nil {
			p = append(p, fmt.Sprintf("pack %s is corrupt: %v", name, err))
			continue
		}
		pc.Packs++
		pc.Bytes += size
		idxSum, n, err := idxInfo(strings.TrimSuffix(pack, ".pack") + ".idx")
		switch {
		case err != nil:
			p = append(p, fmt.Sprintf("pack %s is corrupt: its index: %v", name, err))
		case !bytes.Equal(idxSum, sum):
			p = append(p, fmt.Sprintf("pack %s is corrupt: its index belongs to another pack", name))
		default:
			pc.Objects += n
		}
		if progress != nil {
			fmt.Fprintf(progress, "\rre-read %d pack files (%d MB)", pc.Packs, pc.Bytes>>20)
		}
	}
	if progress != nil && pc.Packs > 0 {
		fmt.Fprintln(progress)
	}
	loose, _ := filepath.Glob(filepath.Join(gitDir, "objects", "[0-9a-f][0-9a-f]", "*"))
	pc.Loose = len(loose)
	return pc, p, nil
}

// packSum hashes a pack file and checks the SHA-1 trailer git wrote: the
// hash of everything before it. It returns the trailer and the file size.
func packSum(path string) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = f.Close() }() // opened read-only: closing it loses nothing
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := info.Size()
	if size < 12+sha1.Size {
		return nil, size, fmt.Errorf("%d bytes: truncated", size)
	}
	head := make([]byte, 12)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, size, err
	}
	if string(head[:4]) != "PACK" {
		return nil, size, errors.New("no pack header")
	}
	h := sha1.New()
	h.Write(head)
	if _, err := io.CopyN(h, f, size-12-sha1.Size); err != nil {
		return nil, size, err
	}
	trailer := make([]byte, sha1.Size)
	if _, err := io.ReadFull(f, trailer); err != nil {
		return nil, size, err
	}
	if got := h.Sum(nil); !bytes.Equal(got, trailer) {
		return nil, size, fmt.Errorf("its content hashes to %x, not the %x recorded at its end (damaged or cut short)", got, trailer)
	}
	return trailer, size, nil
}

// idxInfo reads a version 2 pack index: the pack checksum it was made for
// and the number of objects it lists. Its own trailer is checked too.
func idxInfo(path string) ([]byte, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(data) < 8+256*4+2*sha1.Size || !bytes.Equal(data[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(data[4:8]) != 2 {
		return nil, 0, errors.New("not a version 2 pack index")
	}
	body, trailer := data[:len(data)-sha1.Size], data[len(data)-sha1.Size:]
	if got := sha1.Sum(body); !bytes.Equal(got[:], trailer) {
		return nil, 0, errors.New("the index file is damaged")
	}
	n := int(binary.BigEndian.Uint32(data[8+255*4 : 8+256*4]))
	return data[len(data)-2*sha1.Size : len(data)-sha1.Size], n, nil
}
