package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/certs"
)

const testCreator = "arn:aws:iam::111122223333:role/admin"

// A first start without the creator names the flag and the config key, and
// writes nothing.
func TestServerFirstStartNeedsTheCreator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	code, _, stderr := runCLI(t, "server", "--cluster-name", "prod", "--state-dir", dir)
	if code != 2 || !strings.Contains(stderr, "clusterCreatorARN (--cluster-creator-arn): required on the first start") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("state directory left behind: %v", err)
	}
}

// A start that fails (its port is taken) removes the state directory it
// created, and from one that existed only what it added.
func TestServerFailedStartLeavesNoState(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()

	fresh := filepath.Join(t.TempDir(), "state")
	code, _, stderr := runCLI(t, "server", "-i", "prod", "--cluster-creator-arn", testCreator, "--state-dir", fresh, "--listen", busy)
	if code != 1 || !strings.Contains(stderr, busy) {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming %s", code, stderr, busy)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("fresh state directory left behind: %v", err)
	}

	kept := t.TempDir()
	if err := os.WriteFile(filepath.Join(kept, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = runCLI(t, "server", "-i", "prod", "--cluster-creator-arn", testCreator, "--state-dir", kept, "--listen", busy); code != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	entries, err := os.ReadDir(kept)
	if err != nil || len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Errorf("existing state directory holds %v (%v); want only notes.txt", entries, err)
	}
}

// A certificate or CA file flag given a path that is not one (/dev/zero, a
// disk image) fails the start at certs.MaxPEMFileSize, naming the file,
// instead of reading it whole until the runtime's out-of-memory crash.
func TestServerRefusesAHugeCertificateFile(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "huge.pem")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, certs.MaxPEMFileSize+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	for _, extra := range [][]string{
		{"--client-ca-file", huge},
		{"--kubernetes-endpoint", "https://127.0.0.1:6443", "--kubernetes-ca-file", huge},
		{"--tls-cert-file", huge, "--tls-private-key-file", huge},
	} {
		args := append([]string{"server", "-i", "prod", "--cluster-creator-arn", testCreator, "--state-dir", filepath.Join(t.TempDir(), "state"),
			"--listen", "127.0.0.1:0"}, extra...)
		code, _, stderr := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, "larger than") {
			t.Errorf("%q: exit %d, stderr %.300q; want the start refused, the file larger than %d bytes", extra, code, stderr, certs.MaxPEMFileSize)
		}
	}
}
