//go:build !linux

package repo

// syncFiles makes the content of the files named durable, each synced in
// turn (fsyncEach): other systems have no call that syncs one file
// system.
func syncFiles(_ string, names []string) error {
	return fsyncEach(names)
}
