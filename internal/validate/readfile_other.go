//go:build !unix

package validate

import (
	"io"
	"io/fs"
	"os"
)

const readBufSize = 0

// readFile reads at most MaxRecordSize+1 bytes of a file: a larger one is
// refused, never read whole.
func readFile(path string, _ []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRecordSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrTooLarge}
	}
	return data, nil
}
