package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// A child that exits cleanly while it should run is reported with its exit
// status, not a Go zero value ("etcd exited early (<nil>)").
func TestExitedErrorNamesTheExitStatus(t *testing.T) {
	log := filepath.Join(t.TempDir(), "etcd.log")
	if err := os.WriteFile(log, []byte("member removed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clean := (&process{name: "etcd", logPath: log}).exitedError().Error()
	if strings.Contains(clean, "<nil>") || !strings.Contains(clean, "etcd exited early (exit status 0)") || !strings.Contains(clean, "member removed") {
		t.Errorf("clean exit: %q", clean)
	}
	failed := (&process{name: "etcd", logPath: log, err: errors.New("exit status 2")}).exitedError().Error()
	if !strings.Contains(failed, "etcd exited early (exit status 2)") {
		t.Errorf("failed exit: %q", failed)
	}
}

// A server that stopped without an error, and a CRD directory without
// YAML files, are said so, not with a Go zero value ("(<nil>)").
func TestStartErrorsHaveNoZeroValues(t *testing.T) {
	if got := stoppedError(nil).Error(); strings.Contains(got, "<nil>") || !strings.Contains(got, "without an error") {
		t.Errorf("stoppedError(nil) = %q", got)
	}
	if got := stoppedError(errors.New("listen: address in use")).Error(); !strings.HasSuffix(got, ": listen: address in use") {
		t.Errorf("stoppedError(err) = %q", got)
	}
	dir := t.TempDir()
	err := ApplyCRDs(t.Context(), &rest.Config{Host: "https://127.0.0.1:1"}, dir)
	if err == nil || err.Error() != "apply CRDs: no YAML files in "+dir {
		t.Errorf("ApplyCRDs(empty dir) = %v", err)
	}
}
