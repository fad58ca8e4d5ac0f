package awsauthsource

import (
	"io/fs"
	"syscall"
)

// sysStat returns the change time (ns), inode and device of fi: a file
// replaced by another (a ConfigMap volume's symlink swap, an editor's
// rename) has a new inode, and any write moves the change time, which no
// one can set back.
func sysStat(fi fs.FileInfo) (ctime int64, ino, dev uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return st.Ctim.Nano(), st.Ino, st.Dev
}
