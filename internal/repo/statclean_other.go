//go:build !linux

package repo

// sameStat is not proven on this system (its stat data is laid out
// otherwise): git status decides.
func sameStat(string, indexEntry) bool { return false }
