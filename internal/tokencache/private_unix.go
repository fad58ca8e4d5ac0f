//go:build unix

package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// noFollow makes opening a symbolic link fail: a link planted in the
// cache directory must not redirect reads or writes.
const noFollow = syscall.O_NOFOLLOW

// checkPrivate refuses a file or directory that others could read or
// that the user does not own: the cache holds bearer tokens.
func checkPrivate(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnsupported, path)
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("%w: %s is owned by uid %d, not %d; remove it", ErrUnsafe, path, st.Uid, uid)
	}
	fix := "chmod 700 "
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file; remove it", ErrUnsafe, path)
		}
		fix = "chmod 600 "
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %#o, open to others; run %q", ErrUnsafe, path, perm, fix+path)
	}
	return nil
}

// lock takes an flock(2) lock on f, polling until deadline: a blocking
// flock cannot be abandoned, and a stuck kubectl must not stick the next.
func lock(f *os.File, exclusive bool, deadline time.Time) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("locking: %w", err)
		}
		if time.Now().After(deadline) {
			return ErrLocked
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func unlock(f *os.File) {
	// The error is moot: closing the file releases the lock anyway.
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
