package cli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The tour spells kubeiam so that its commands work from any directory.
func TestSpellSelf(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "bin", "kubeiam")
	other := filepath.Join(dir, "other", "kubeiam")
	for _, p := range []string{exe, other} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	module := filepath.Join(dir, "my clone")
	if err := os.MkdirAll(filepath.Join(module, "internal"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(module, "go.mod"), []byte("module github.com/kubeiam/kubeiam\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	found := func(p string) func(string) (string, error) { return func(string) (string, error) { return p, nil } }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	for _, tt := range []struct {
		name, exe, wd string
		look          func(string) (string, error)
		want          string
	}{
		{"this binary on PATH", exe, dir, found(exe), "kubeiam"},
		{"another kubeiam on PATH", exe, dir, found(other), exe},
		{"not on PATH", exe, dir, missing, exe},
		{"go run in the clone", "/tmp/go-build123/b001/exe/kubeiam", filepath.Join(module, "internal"), missing, "go -C '" + module + "' run ./cmd/kubeiam"},
		{"go run elsewhere", "/tmp/go-build123/b001/exe/kubeiam", dir, missing, "go run ./cmd/kubeiam"},
	} {
		if got := spellSelf(tt.exe, tt.wd, tt.look); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
