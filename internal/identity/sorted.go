package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// sortedFile is a file of newline-terminated lines in bytewise order,
// searched where it lies: a lookup reads a few blocks around the probes of
// a binary search, never the whole file, so its cost follows the log of
// the file's size (the "look" utility's method).
type sortedFile struct {
	f    *os.File
	size int64
	buf  []byte
}

func openSorted(path string) (*sortedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close() // read only: the Stat error is the one reported
		return nil, err
	}
	return &sortedFile{f: f, size: info.Size(), buf: make([]byte, 4096)}, nil
}

func (s *sortedFile) Close() error { return s.f.Close() }

// errDamaged is a sorted file whose lines are not what it was written as
// (a line without its newline): the caller makes it again.
var errDamaged = errors.New("damaged cache file")

// lineAt returns the line (without its newline) that starts at off.
func (s *sortedFile) lineAt(off int64) ([]byte, error) {
	var line []byte
	for {
		n, err := s.f.ReadAt(s.buf, off)
		if i := bytes.IndexByte(s.buf[:n], '\n'); i >= 0 {
			return append(line, s.buf[:i]...), nil
		}
		line = append(line, s.buf[:n]...)
		off += int64(n)
		if err == io.EOF || (err == nil && n == 0) {
			return nil, errDamaged
		}
		if err != nil {
			return nil, err
		}
		if len(line) > 1<<20 {
			return nil, errDamaged
		}
	}
}

// lineStart is the first line start at or after off: 0, or the byte after
// a newline.
func (s *sortedFile) lineStart(off int64) (int64, error) {
	if off == 0 {
		return 0, nil
	}
	pos := off - 1
	for pos < s.size {
		n, err := s.f.ReadAt(s.buf, pos)
		if i := bytes.IndexByte(s.buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		pos += int64(n)
		if err == io.EOF || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return s.size, nil
}

// prefixed calls fn with the rest of every line that starts with prefix,
// in order.
func (s *sortedFile) prefixed(prefix string, fn func(rest []byte) error) error {
	// Invariant: every line starting before lo sorts before prefix; every
	// line starting at or after hi sorts at or after it. lo is always a
	// line start.
	lo, hi := int64(0), s.size
	for lo < hi {
		mid := lo + (hi-lo)/2
		start, err := s.lineStart(mid)
		if err != nil {
			return err
		}
		if start >= hi {
			hi = mid
			continue
		}
		line, err := s.lineAt(start)
		if err != nil {
			return err
		}
		if string(line) < prefix {
			lo = start + int64(len(line)) + 1
		} else {
			hi = start
		}
	}
	for off := lo; off < s.size; {
		line, err := s.lineAt(off)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(line, []byte(prefix)) {
			return nil
		}
		if err := fn(line[len(prefix):]); err != nil {
			return err
		}
		off += int64(len(line)) + 1
	}
	return nil
}

// first is the rest of the first line that starts with prefix.
func (s *sortedFile) first(prefix string) (string, bool, error) {
	var out string
	found := false
	stop := errors.New("stop")
	err := s.prefixed(prefix, func(rest []byte) error {
		out, found = string(rest), true
		return stop
	})
	if err != nil && err != stop {
		return "", false, fmt.Errorf("%s: %w", s.f.Name(), err)
	}
	return out, found, nil
}
