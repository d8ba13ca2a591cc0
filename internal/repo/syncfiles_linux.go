package repo

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the content of the files written under root durable.
// For a large change one syncfs of root's file system does it for all of
// them: the kernel writes back every dirty page of that file system in one
// pass and reports a write-back error of any of them (Linux 5.8 and
// later). A small change (a request's few files) syncs its own files
// rather than everything else dirty on the file system.
func syncFiles(root string, names []string) error {
	if len(names) < packMin {
		return fsyncEach(names)
	}
	d, err := os.Open(root)
	if err != nil {
		return err
	}
	// Opened for reading only: closing it cannot lose data.
	defer func() { _ = d.Close() }()
	return unix.Syncfs(int(d.Fd()))
}
