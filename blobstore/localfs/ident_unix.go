//go:build unix

package localfs

import (
	"io/fs"
	"syscall"
)

// fileIdent returns the number of hard links and the inode of a file, when
// the system says.
func fileIdent(fi fs.FileInfo) (links, inode uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Nlink), uint64(st.Ino), true
}
