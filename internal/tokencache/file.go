package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// formatVersion is the version of the file format; a file of another
// version is treated as corrupt and rewritten.
const formatVersion = 1

// maxFileSize bounds what is read: a few hundred tokens of ~1.5 KB.
const maxFileSize = 4 << 20

type fileFormat struct {
	Version int              `json:"version"`
	Tokens  map[string]Token `json:"tokens"`
}

// read returns the cached entries; a missing file is an empty cache.
func (c *Cache) read() (map[string]Token, error) {
	path := filepath.Join(c.dir, FileName)
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Token{}, nil
	}
	if err != nil {
		// O_NOFOLLOW fails with ELOOP on a symbolic link.
		return nil, fmt.Errorf("%w: opening %s: %w", ErrUnsafe, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("token cache file: %w", err)
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading token cache %s: %w", path, err)
	}
	var ff fileFormat
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, path, maxFileSize)
	}
	if err := json.Unmarshal(b, &ff); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	if ff.Version != formatVersion {
		return nil, fmt.Errorf("%w: %s has format version %d, want %d", ErrCorrupt, path, ff.Version, formatVersion)
	}
	if ff.Tokens == nil {
		ff.Tokens = map[string]Token{}
	}
	return ff.Tokens, nil
}

// write replaces the file atomically with entries.
func (c *Cache) write(entries map[string]Token) (err error) {
	b, err := json.Marshal(fileFormat{Version: formatVersion, Tokens: entries})
	if err != nil {
		return fmt.Errorf("encoding token cache: %w", err)
	}
	// CreateTemp makes the file 0600 in the (private) cache directory, so
	// the tokens are never readable by others, not even for a moment.
	tmp, err := os.CreateTemp(c.dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing token cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("writing token cache: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing token cache: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing token cache: %w", err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(c.dir, FileName)); err != nil {
		return fmt.Errorf("replacing token cache: %w", err)
	}
	return nil
}

// withLock runs fn holding the cache lock, shared or exclusive. The lock
// timeout is measured on the real clock: it bounds how long kubectl waits,
// which the injected clock has nothing to say about.
func (c *Cache) withLock(exclusive bool, fn func() error) error {
	path := filepath.Join(c.dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return fmt.Errorf("%w: opening lock %s: %w", ErrUnsafe, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("token cache lock: %w", err)
	}
	if err := checkPrivate(path, fi); err != nil {
		return err
	}
	if err := lock(f, exclusive, time.Now().Add(c.lockTimeout)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Closing the file releases the lock too; unlocking first makes the
	// order explicit.
	defer unlock(f)
	return fn()
}
