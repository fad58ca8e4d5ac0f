package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
