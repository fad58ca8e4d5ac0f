package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, format
}

func TestRequireProgram(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env, path  string
		skip, fail bool
	}{
		{"", prog, false, false},
		{"required", prog, false, false},
		{"", filepath.Join(dir, "absent"), true, false},
		{"", "", true, false},
		{"", dir, true, false}, // a directory is not a program
		{"required", filepath.Join(dir, "absent"), false, true},
		{"required", "", false, true},
		{"yes", "", true, false}, // only "required" turns skips into failures
	} {
		t.Setenv(RequiredEnv, tt.env)
		r := &recorder{TB: t}
		RequireProgram(r, "prog", tt.path, "install it")
		if r.skipped != tt.skip || r.failed != tt.fail {
			t.Errorf("env %q path %q: skipped %v failed %v, want %v %v", tt.env, tt.path, r.skipped, r.failed, tt.skip, tt.fail)
		}
		if (tt.skip || tt.fail) && !strings.Contains(r.msg, "%s") {
			t.Errorf("no message: %q", r.msg)
		}
	}
}
