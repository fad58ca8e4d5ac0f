package awsauthedit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kubeiam/kubeiam/internal/boundedfile"
)

// MaxFileSize bounds an aws-auth file read by ReadFile and UpdateFile, as
// the server bounds the file it watches (awsauthsource): a mapping file of
// a large organisation holds about 10 MiB; anything past 64 MiB is a wrong
// path (/dev/zero, a disk image), not an aws-auth file, and is refused
// instead of read into memory.
const MaxFileSize = 64 << 20

// ReadFile reads the aws-auth file at path, at most MaxFileSize bytes. A
// missing file's error satisfies errors.Is(err, fs.ErrNotExist).
func ReadFile(path string) ([]byte, error) {
	return boundedfile.Read(path, MaxFileSize, "an aws-auth file")
}

// newFileMode is the mode of an aws-auth file UpdateFile creates; an
// existing file keeps its own.
const newFileMode = 0o600

// LockPath is the lock file UpdateFile holds while it edits path: a sibling,
// not path itself, because the edit replaces path by a rename and a lock on
// the old file would not exclude a writer that opened the new one. It is
// left in place: removing it would let two writers lock different files.
func LockPath(path string) string { return path + ".lock" }

// UpdateFile runs one read–modify–write of the aws-auth file at path that
// concurrent UpdateFile calls, in this process or another, cannot
// interleave with: it takes an exclusive lock on LockPath(path), reads the
// file under the lock (newFile when it does not exist), lets edit change it,
// and, when edit reports a change, replaces the file atomically (a temporary
// file in the same directory, fsync, rename, fsync of the directory), with
// the old file's mode. Readers never see half a file, only the old or the
// new one. A symlink is followed, so the file it points to is replaced.
func UpdateFile(path string, newFile func() *File, edit func(*File) (changed bool, err error)) error {
	path, err := resolvePath(path)
	if err != nil {
		return err
	}
	unlock, err := lockFile(LockPath(path))
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer unlock()
	mode := fs.FileMode(newFileMode)
	var file *File
	b, err := ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		file = newFile()
	case err != nil:
		return err
	default:
		if file, err = ParseFile(b); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	}
	changed, err := edit(file)
	if err != nil || !changed {
		return err
	}
	out, err := file.Bytes()
	if err != nil {
		return err
	}
	return replaceFile(path, out, mode)
}

// resolvePath follows path's symlinks when it exists.
func resolvePath(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	return real, err
}

// replaceFile replaces path with b through a rename, so that a reader (or a
// crash) sees the old file or the new one, never half of one.
func replaceFile(path string, b []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSynced(tmp, b, mode); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func writeSynced(f *os.File, b []byte, mode fs.FileMode) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
