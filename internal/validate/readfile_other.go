//go:build !unix

package validate

import "os"

const readBufSize = 0

func readFile(path string, _ []byte) ([]byte, error) { return os.ReadFile(path) }
