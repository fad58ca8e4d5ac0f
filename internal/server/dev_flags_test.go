package server

import (
	"net/http"
	"net/http/httptest"
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
