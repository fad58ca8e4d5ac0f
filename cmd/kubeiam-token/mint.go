package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// fullBinary is the binary that mints tokens.
const fullBinary = "kubeiam"

// handoverEnv is set for the process mint starts: were "kubeiam" this
// very binary (a wrong symlink), the hand-over would loop.
const handoverEnv = "KUBEIAM_TOKEN_HANDOVER"

// mint runs "kubeiam token ARGS": in place of this process where the
// platform allows (kubectl then talks to kubeiam directly: its standard
// streams, its exit code, its terminal for an MFA prompt), else as a child.
func mint(args []string) error {
	if os.Getenv(handoverEnv) != "" {
		return fmt.Errorf("no cached token, and the %q this binary handed over to is kubeiam-token again: install the kubeiam binary itself", fullBinary)
	}
	if err := os.Setenv(handoverEnv, "1"); err != nil {
		return err
	}
	path, err := findKubeiam()
	if err != nil {
		return err
	}
	if len(args) > 0 && args[0] == "token" {
		args = args[1:]
	}
	argv := append([]string{fullBinary, "token"}, args...)
	return run(path, argv)
}

// findKubeiam looks next to this binary first (a "go install ./cmd/..."
// or "make build" puts both in one directory), then on PATH.
func findKubeiam() (string, error) {
	name := fullBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var next string
	if self, err := os.Executable(); err == nil {
		if self, err := filepath.EvalSymlinks(self); err == nil {
			next = filepath.Join(filepath.Dir(self), name)
			if fi, err := os.Stat(next); err == nil && fi.Mode().IsRegular() {
				return next, nil
			}
		}
	}
	path, err := exec.LookPath(fullBinary)
	if err == nil {
		return path, nil
	}
	if errors.Is(err, exec.ErrDot) {
		return "", fmt.Errorf("no cached token, and the kubeiam binary that mints one is only in the current directory, which PATH lookups refuse; install it next to kubeiam-token")
	}
	where := "on PATH"
	if next != "" {
		where = "at " + next + " nor on PATH"
	}
	return "", fmt.Errorf("no cached token, and the kubeiam binary that mints one is not %s: install both (go install ./cmd/... or make build)", where)
}
