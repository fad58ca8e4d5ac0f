package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartUndoRemovesOnlyWhatTheStartCreated(t *testing.T) {
	parent := t.TempDir()
	fresh := filepath.Join(parent, "fresh")
	u, err := recordDir(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(fresh, "tls"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := failedStart(u, errors.New("port taken")); err == nil || err.Error() != "port taken" {
		t.Fatalf("failedStart = %v", err)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("directory created by the failed start remains: %v", err)
	}

	old := t.TempDir()
	for _, name := range []string{storeFile, "notes"} {
		if err := os.WriteFile(filepath.Join(old, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if u, err = recordDir(old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, bindingKeyFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = failedStart(u, errors.New("boom"))
	entries, _ := os.ReadDir(old)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "kubeiam.db,notes" {
		t.Errorf("after undo the directory holds %v; want what it held before", names)
	}
}

func TestResetDevDir(t *testing.T) {
	dev := t.TempDir()
	if err := os.WriteFile(filepath.Join(dev, "sts.yaml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := resetDevDir(dev); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dev); !os.IsNotExist(err) {
		t.Errorf("dev directory not removed: %v", err)
	}
	if err := resetDevDir(dev); err != nil {
		t.Errorf("reset of a missing directory: %v", err)
	}
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".bashrc"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := resetDevDir(home); err == nil || !strings.Contains(err.Error(), "not a kubeiam dev directory") {
		t.Errorf("reset of a directory that is not a dev directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, ".bashrc")); err != nil {
		t.Errorf("foreign directory touched: %v", err)
	}
}
