package certs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubeiam/kubeiam/internal/boundedfile"
)

// File modes for what this package writes: private keys and kubeconfigs are
// readable by the owner only; certificates are public.
const (
	dirMode    os.FileMode = 0o700
	keyMode    os.FileMode = 0o600
	certMode   os.FileMode = 0o644
	configMode os.FileMode = 0o600
)

// writeAtomic replaces path with data so that readers see either the old or
// the new content, never a torn file, and the file has exactly mode even when
// it existed before with a looser one (os.WriteFile would keep the old mode).
func writeAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp.Name(), path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable. It is best effort: some filesystems refuse
// to fsync a directory, and the rename has happened either way.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// ensureDir creates dir with mode 0700. An existing directory keeps its mode:
// it may be shared (a user could pass /tmp), and changing the mode of a
// directory we did not create would surprise more than protect.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	return nil
}

// MaxPEMFileSize bounds a certificate, key or CA bundle file: the largest
// bundle in use, the system's trusted CAs, is about 200 KB. A larger file
// is a wrong path (/dev/zero, a disk image), refused instead of read whole.
const MaxPEMFileSize = 4 << 20

// ReadPEMFile reads a certificate, key or CA bundle file of at most
// MaxPEMFileSize bytes. A missing file's error satisfies
// errors.Is(err, fs.ErrNotExist).
func ReadPEMFile(path string) ([]byte, error) {
	return boundedfile.Read(path, MaxPEMFileSize, "a PEM file")
}
