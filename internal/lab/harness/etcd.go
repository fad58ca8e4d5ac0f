package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// etcd is a single-member etcd on loopback with its data in a directory of
// its own.
type etcd struct {
	proc *process
	// URL is the client URL, for kube-apiserver's --etcd-servers.
	URL string
}

// startEtcd starts etcd from binary with its data under dir and waits until
// it reports healthy.
func startEtcd(ctx context.Context, binary, dir string) (*etcd, error) {
	clientPort, err := freePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "etcd")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	clientURL, peerURL := loopbackURL("http", clientPort), loopbackURL("http", peerPort)
	argv := []string{binary,
		"--name=e2e",
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=e2e=" + peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	}
	proc, err := startProcess("etcd", filepath.Join(dir, "etcd.log"), argv, minimalEnv())
	if err != nil {
		return nil, err
	}
	e := &etcd{proc: proc, URL: clientURL}
	if err := proc.waitUntil(ctx, "health", e.healthy); err != nil {
		_ = e.stop()
		return nil, err
	}
	return e, nil
}

// healthy asks etcd's /health endpoint.
func (e *etcd) healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var h struct {
		Health string `json:"health"`
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Health != "true" {
		return fmt.Errorf("etcd /health: %s %s", resp.Status, body)
	}
	return nil
}

func (e *etcd) stop() error { return e.proc.stop(15 * time.Second) }
