package editor

import "syscall"

// isTmpfs reports whether dir is on a file system kept in memory (tmpfs,
// ramfs): what it holds never reaches a disk (swap aside).
func isTmpfs(dir string) bool {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return false
	}
	const tmpfsMagic, ramfsMagic = 0x01021994, 0x858458f6
	return int64(st.Type) == tmpfsMagic || int64(st.Type) == ramfsMagic
}
