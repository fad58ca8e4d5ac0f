// Package boundedfile reads a whole file that has a known use and so a
// known plausible size. A path given by mistake (/dev/zero, a disk image, a
// FIFO that never ends) is refused once it passes the bound, instead of
// being read until the machine runs out of memory.
package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is the error of a file larger than its bound.
var ErrTooLarge = errors.New("file too large")

// Read reads the file at path, refusing one of more than max bytes with an
// error that satisfies errors.Is(err, ErrTooLarge) and says it is "not
// what" (for example "not an aws-auth file"). A missing file's error
// satisfies errors.Is(err, fs.ErrNotExist).
func Read(path string, max int64, what string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes: not %s: %w", path, max, what, ErrTooLarge)
	}
	return b, nil
}
