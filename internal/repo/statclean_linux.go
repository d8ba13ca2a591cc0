package repo

import (
	"os"
	"syscall"
)

// sameStat reports whether the file at path has the stat data the index
// recorded for it (git's own test of an unchanged file), compared more
// strictly than git does: every field git may look at must match.
func sameStat(path string, e indexEntry) bool {
	info, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	var mode uint32
	switch {
	case info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0:
		mode = 0o100755
	case info.Mode().IsRegular():
		mode = 0o100644
	case info.Mode()&os.ModeSymlink != 0:
		mode = 0o120000
	default:
		return false
	}
	return mode == e.mode &&
		uint32(st.Size) == e.size && st.Size >= 0 && st.Size < 1<<32 &&
		uint32(st.Mtim.Sec) == e.mtimeSec && uint32(st.Mtim.Nsec) == e.mtimeNsec &&
		uint32(st.Ctim.Sec) == e.ctimeSec && uint32(st.Ctim.Nsec) == e.ctimeNsec &&
		uint32(st.Ino) == e.ino && st.Uid == e.uid && st.Gid == e.gid
}
