//go:build !unix

package tokencache

import (
	"fmt"
	"io/fs"
	"os"
	"time"
)

const noFollow = 0

// checkPrivate cannot check ownership here, so the cache is refused.
func checkPrivate(path string, _ fs.FileInfo) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, path)
}

func lock(*os.File, bool, time.Time) error { return ErrUnsupported }

func unlock(*os.File) {}
