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
	"sort"
	"strings"
	"time"
)

// PackCheck is what re-reading a mirror's pack files found: each pack
// read was hashed whole and compared with the checksum git wrote at its
// end (and with the checksum its index names), so a flipped byte or a
// pack cut short on the disk is found by a backup, not on the day of a
// restore. Which packs a backup reads is PackRecord's schedule: the packs
// it wrote (re-read from the disk after they were written), the packs
// that changed, and the old packs that are due.
type PackCheck struct {
	Packs   int   // pack files read and hashed in this run
	Bytes   int64 // their size
	Objects int   // objects their indexes list
	// Trusted are the packs not read in this run: unchanged (name, size
	// and modification time of the pack and its index) since a full hash
	// less than RecheckRuns runs and RecheckAge ago.
	Trusted      int
	TrustedBytes int64
	// DueIn is the number of runs until the next trusted pack is due
	// (1: the next run reads it); 0 when none is trusted.
	DueIn int
	Loose int // loose objects (not covered: a mirror written by dossier has none)
	// Fsck is set when git fsck --full on an ssh host read every pack
	// and loose object (a mirror holding loose objects).
	Fsck bool
}

// The schedule of old packs. A daily backup must not cost what the whole
// mirror costs to read (it would grow with the repository), yet a pack
// that rots on the disk must be found while the live repository still
// has the data. So a pack hashed clean is trusted, unchanged, for fewer
// than RecheckRuns backup runs to that mirror and less than RecheckAge;
// the run that reaches either bound reads it again. Counting runs on the
// mirror, not days, means a disk that sits on a shelf between rotations
// still gets every pack re-read within RecheckRuns of its own backups,
// and the age bound re-reads all of a disk that comes back after a
// month away on its first run. To spread the reading, each run also
// re-reads early the packs checked longest ago, up to 1/RecheckRuns of
// the mirror's bytes. "dossier backup verify" reads everything, always.
const (
	RecheckRuns = 7
	RecheckAge  = 30 * 24 * time.Hour
)

// PackRecord is what the mirror's last runs learned of its packs. It is
// kept in the manifest, which is written last and only after a clean
// verification: a run that found a problem records nothing, so what it
// read is read again. A manifest that does not parse, or whose refs are
// not the mirror's, trusts nothing: every pack is then read, never fewer.
type PackRecord struct {
	// Runs counts the backup runs that checked this mirror's packs.
	Runs  int                  `yaml:"pack_runs,omitempty"`
	Packs map[string]PackEntry `yaml:"packs,omitempty"`
}

// PackEntry is one pack as it was when it last hashed clean. Names,
// sizes and times only.
type PackEntry struct {
	Size     int64  `yaml:"size"`
	MTime    int64  `yaml:"mtime_ns"`
	IdxSize  int64  `yaml:"idx_size"`
	IdxMTime int64  `yaml:"idx_mtime_ns"`
	Checked  string `yaml:"checked"` // when it was last read whole (RFC 3339)
	Run      int    `yaml:"run"`     // in which run (of Runs)
}

// packFile is a pack on the disk as this run found it.
type packFile struct {
	path, name        string
	size, mtime       int64
	idxSize, idxMTime int64
	entry             PackEntry
	known             bool
}

// due reports whether the pack must be read in run (not trusted).
func (p packFile) due(run int, now time.Time) bool {
	e := p.entry
	if !p.known || e.Size != p.size || e.MTime != p.mtime || e.IdxSize != p.idxSize || e.IdxMTime != p.idxMTime {
		return true
	}
	checked, err := time.Parse(time.RFC3339, e.Checked)
	if err != nil || checked.After(now) || now.Sub(checked) >= RecheckAge {
		return true
	}
	return e.Run <= 0 || e.Run >= run || run-e.Run >= RecheckRuns
}

// schedule is one run's plan over the packs on a mirror: which it reads
// (due), and the record it starts with the packs it trusts. rec is the
// record of the last clean run.
type schedule struct {
	run  int
	now  time.Time
	due  []packFile
	next PackRecord
	pc   PackCheck
}

func plan(files []packFile, rec PackRecord, all bool) *schedule {
	if rec.Runs < 0 {
		rec = PackRecord{}
	}
	sc := &schedule{run: rec.Runs + 1, now: time.Now().UTC()}
	var trusted []packFile
	var total, spent int64
	for _, f := range files {
		f.entry, f.known = rec.Packs[f.name]
		total += f.size
		if all || f.due(sc.run, sc.now) {
			sc.due = append(sc.due, f)
			spent += f.size
		} else {
			trusted = append(trusted, f)
		}
	}
	// Spread the reading: the packs read longest ago go early, within a
	// share of the mirror's bytes.
	sort.SliceStable(trusted, func(i, j int) bool {
		if trusted[i].entry.Run != trusted[j].entry.Run {
			return trusted[i].entry.Run < trusted[j].entry.Run
		}
		return trusted[i].name < trusted[j].name
	})
	budget := total / RecheckRuns
	for len(trusted) > 0 && spent+trusted[0].size <= budget {
		spent += trusted[0].size
		sc.due, trusted = append(sc.due, trusted[0]), trusted[1:]
	}
	sc.next = PackRecord{Runs: sc.run, Packs: map[string]PackEntry{}}
	for _, f := range trusted {
		sc.next.Packs[f.name] = f.entry
		sc.pc.Trusted++
		sc.pc.TrustedBytes += f.size
		if in := f.entry.Run + RecheckRuns - sc.run; sc.pc.DueIn == 0 || in < sc.pc.DueIn {
			sc.pc.DueIn = in
		}
	}
	sort.Slice(sc.due, func(i, j int) bool { return sc.due[i].name < sc.due[j].name })
	return sc
}

// read records that pack f was read whole and is sound.
func (sc *schedule) read(f packFile, objects int) {
	sc.pc.Packs++
	sc.pc.Bytes += f.size
	sc.pc.Objects += objects
	sc.next.Packs[f.name] = PackEntry{Size: f.size, MTime: f.mtime, IdxSize: f.idxSize, IdxMTime: f.idxMTime,
		Checked: sc.now.Format(time.RFC3339), Run: sc.run}
}

// checkPacks re-reads and hashes the packs of a local mirror that rec, the
// record of the last clean run, says are due (every pack with all), and
// returns the record of this run: the packs that hashed clean or are still
// trusted. A pack that fails is left out of it: it is read again on every
// run until it is replaced.
func checkPacks(gitDir string, rec PackRecord, all bool, progress io.Writer) (PackCheck, PackRecord, Findings, error) {
	var p Findings
	paths, err := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.pack"))
	if err != nil {
		return PackCheck{}, PackRecord{}, nil, err
	}
	var files []packFile
	for _, path := range paths {
		f := packFile{path: path, name: filepath.Base(path)}
		info, err := os.Stat(path)
		if err != nil {
			return PackCheck{}, PackRecord{}, nil, err
		}
		f.size, f.mtime = info.Size(), info.ModTime().UnixNano()
		if info, err := os.Stat(strings.TrimSuffix(path, ".pack") + ".idx"); err == nil {
			f.idxSize, f.idxMTime = info.Size(), info.ModTime().UnixNano()
		}
		files = append(files, f)
	}
	sc := plan(files, rec, all)
	for _, f := range sc.due {
		sum, _, err := packSum(f.path)
		if err != nil {
			p = append(p, problem(Damaged, "pack %s is corrupt: %v", f.name, err))
			continue
		}
		idxSum, n, err := idxInfo(strings.TrimSuffix(f.path, ".pack") + ".idx")
		switch {
		case err != nil:
			p = append(p, problem(Damaged, "pack %s is corrupt: its index: %v", f.name, err))
		case !bytes.Equal(idxSum, sum):
			p = append(p, problem(Damaged, "pack %s is corrupt: its index belongs to another pack", f.name))
		default:
			sc.read(f, n)
		}
		if progress != nil {
			fmt.Fprintf(progress, "\rre-read %d pack files (%d MB)", sc.pc.Packs, sc.pc.Bytes>>20)
		}
	}
	if progress != nil && sc.pc.Packs > 0 {
		fmt.Fprintln(progress)
	}
	loose, _ := filepath.Glob(filepath.Join(gitDir, "objects", "[0-9a-f][0-9a-f]", "*"))
	sc.pc.Loose = len(loose)
	return sc.pc, sc.next, p, nil
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
