//go:build !linux

package repo

import (
	"errors"
	"os"

	"github.com/vts/dossier/internal/parallel"
)

// syncFiles makes the content of the files named durable. Without
// Linux's syncfs each is synced, several at a time: the waits are on the
// disk, which batches them.
func syncFiles(_ string, names []string) error {
	return errors.Join(parallel.Each(writeWorkers, names, func(name string) error {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		return errors.Join(f.Sync(), f.Close())
	})...)
}
