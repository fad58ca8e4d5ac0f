//go:build !linux

package awsauthsource

import "io/fs"

// sysStat has no portable change time or inode outside Linux: size and
// modification time, with the racy window, decide there.
func sysStat(fs.FileInfo) (ctime int64, ino, dev uint64) { return 0, 0, 0 }
