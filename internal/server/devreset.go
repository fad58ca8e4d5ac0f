package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// devDirMarkers are files only "kubeiam server --dev" writes; a directory
// holding none of them is not removed by --reset, so a mistyped --dev-dir
// (the home directory, say) is never emptied.
var devDirMarkers = []string{"sts.yaml", "dev.env", "aws-auth.yaml", "state"}

// resetDevDir removes dir, a dev directory, so that the dev server starts
// over: new identities, a new cluster, the tour from its first step. A
// directory that does not exist is already reset.
func resetDevDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--reset: %w", err)
	}
	if len(entries) > 0 && !isDevDir(dir) {
		return fmt.Errorf("--reset: %s is not a kubeiam dev directory (it has none of %v); not removing it", dir, devDirMarkers)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("--reset: %w", err)
	}
	return nil
}

func isDevDir(dir string) bool {
	for _, m := range devDirMarkers {
		if _, err := os.Lstat(filepath.Join(dir, m)); err == nil {
			return true
		}
	}
	return false
}
