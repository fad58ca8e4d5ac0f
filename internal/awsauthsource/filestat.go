package awsauthsource

import (
	"io/fs"
	"time"
)

// fileStat is what a poll compares to tell whether the file may have
// changed since it was read.
type fileStat struct {
	ok       bool
	size     int64
	mtime    time.Time
	ctime    int64 // change time, ns; 0 where the platform has none
	ino, dev uint64
	mode     fs.FileMode
}

func statOf(fi fs.FileInfo) fileStat {
	st := fileStat{ok: true, size: fi.Size(), mtime: fi.ModTime(), mode: fi.Mode()}
	st.ctime, st.ino, st.dev = sysStat(fi)
	return st
}
