//go:build !linux

package editor

// isTmpfs is false where dossier cannot tell: Run then says that the
// plaintext goes to disk.
func isTmpfs(string) bool { return false }
