package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// startUndo removes what a start that failed before it was ready created
// in a directory, and nothing else: a first start that fails (the port is
// taken, the creator is missing) leaves no half-made state directory to
// trip the next one, and a restart that fails keeps every file it found.
type startUndo struct {
	dir     string
	existed bool
	before  map[string]bool
}

// recordDir notes what dir holds now. It is called before anything is
// written there.
func recordDir(dir string) (startUndo, error) {
	u := startUndo{dir: dir, before: map[string]bool{}}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return u, nil
	case err != nil:
		return u, fmt.Errorf("state directory: %w", err)
	}
	u.existed = true
	for _, e := range entries {
		u.before[e.Name()] = true
	}
	return u, nil
}

// undo removes the directory if this start created it, else the entries
// it added. It returns what it could not remove, to be reported alongside
// the start's own error.
func (u startUndo) undo() error {
	if !u.existed {
		return os.RemoveAll(u.dir)
	}
	entries, err := os.ReadDir(u.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !u.before[e.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(u.dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// failedStart undoes a start that failed before it was ready and returns
// the start's error, with any failure to clean up appended.
func failedStart(u startUndo, err error) error {
	if uerr := u.undo(); uerr != nil {
		return fmt.Errorf("%w (and removing what this start created in %s failed: %v)", err, u.dir, uerr)
	}
	return err
}
