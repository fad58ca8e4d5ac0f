//go:build unix

package awsauthedit

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on path, creating it, and returns the
// function that releases it. flock locks belong to the open file, so two
// goroutines of one process exclude each other as two processes do.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
