package server

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// Issue 10 item 11: dev mode ignored the STS, cluster and manager settings.
func TestDevConfigTakesTheOverrides(t *testing.T) {
	const mgr = "arn:aws:iam::111122223333:role/ops"
	cfg, err := devConfig(DevOptions{ClusterID: "other", STSEndpoint: "http://127.0.0.1:1", STSTimeout: 750 * time.Millisecond,
		Managers: []string{mgr}, AuthenticationMode: "API"}, t.TempDir(), "http://127.0.0.1:2", "aws-auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClusterID != "other" || cfg.STSEndpoint != "http://127.0.0.1:1" || cfg.STSTimeout.Duration != 750*time.Millisecond ||
		!slices.Equal(cfg.Managers, []string{mgr}) || cfg.AuthenticationMode != "API" {
		t.Errorf("config %+v", cfg)
	}
	cfg, err = devConfig(DevOptions{}, t.TempDir(), "http://127.0.0.1:2", "aws-auth.yaml")
	if err != nil || cfg.ClusterID != DevClusterID || cfg.STSEndpoint != "http://127.0.0.1:2" || cfg.STSTimeout.Duration != 5*time.Second {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
	if _, err := devConfig(DevOptions{STSTimeout: time.Hour}, t.TempDir(), "http://127.0.0.1:2", "a"); err == nil || !strings.Contains(err.Error(), "stsTimeout") {
		t.Errorf("an out-of-range timeout must be refused: %v", err)
	}
}

// Dev mode against a failing STS: the token is verified through the given
// endpoint, whose outage is a 503 (kube-apiserver retries), not a denial.
func TestDevModeUsesTheGivenSTSEndpointAndClusterID(t *testing.T) {
	var calls atomic.Int32
	faulty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, "injected fault", http.StatusServiceUnavailable)
	}))
	defer faulty.Close()
	d := startDev(t, func(o *DevOptions) { o.STSEndpoint = faulty.URL; o.ClusterID = "faulty-cluster" })
	if d.env["KUBEIAM_CLUSTER"] != "faulty-cluster" {
		t.Errorf("dev.env KUBEIAM_CLUSTER = %q", d.env["KUBEIAM_CLUSTER"])
	}
	body := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + d.token(t, localsts.DevCreatorUser) + `"}}`
	resp, err := d.client.Post(d.env["KUBEIAM_WEBHOOK"]+"/authenticate", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || calls.Load() == 0 {
		t.Fatalf("TokenReview through a failing STS: HTTP %d after %d STS calls; want 503 after at least one", resp.StatusCode, calls.Load())
	}
}

// A bad option costs nothing: RunDev with --reset and an invalid
// authentication mode refuses before deleting the dev directory's state,
// and creates no directory for a server that cannot start.
func TestRunDevRefusesBadOptionsBeforeTouchingTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, "sts.yaml")
	if err := os.WriteFile(kept, []byte("identities worth keeping\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := RunDev(context.Background(), DevOptions{Dir: dir, Reset: true, Listen: "127.0.0.1:0", AWSListen: "127.0.0.1:0",
		AuthenticationMode: "BOGUS", Out: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "authenticationMode") {
		t.Fatalf("RunDev with a bad mode: %v; want the mode refused", err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("--reset with a bad option deleted the dev state: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "never")
	if err := RunDev(context.Background(), DevOptions{Dir: fresh, Listen: "bogus", AWSListen: "127.0.0.1:0",
		Out: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err == nil {
		t.Fatal("RunDev with --listen bogus started")
	}
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RunDev with a bad option left %s behind: %v", fresh, err)
	}
}
