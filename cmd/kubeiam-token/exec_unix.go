//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// run replaces this process with path.
func run(path string, argv []string) error {
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		return fmt.Errorf("running %s: %w", path, err)
	}
	return nil // not reached
}
