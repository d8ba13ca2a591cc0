//go:build unix

package validate

import (
	"io/fs"
	"syscall"
)

// readBufSize fits every record dossier writes (a few kB) in one read.
const readBufSize = 16 << 10

// readFile reads a small file into buf (growing it only for a larger file)
// in three system calls: open, read, close. os.ReadFile also stats the file,
// reads once more to see the end, and registers the descriptor with the
// network poller, which regular files refuse; for 50,000 records that was a
// fifth of keyless validation. On Linux a read of a regular file returns
// less than asked only at its end.
func readFile(path string, buf []byte) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer func() { _ = syscall.Close(fd) }() // read only: nothing to lose on close
	n := 0
	for {
		if n == len(buf) {
			buf = append(buf, 0)[:n]
			buf = buf[:cap(buf)]
		}
		m, err := syscall.Read(fd, buf[n:])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		case m == 0:
			return buf[:n], nil
		}
		n += m
		if n > MaxRecordSize {
			return nil, &fs.PathError{Op: "read", Path: path, Err: ErrTooLarge}
		}
		if n < len(buf) {
			return buf[:n], nil
		}
	}
}
