package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ControlPlane is etcd and kube-apiserver on loopback without kubeiam:
// RBAC only, an admin token. Tests of kubeiam's kubernetes store run
// against it (the store is kube-apiserver's client, not its webhook).
type ControlPlane struct {
	// Dir holds every file and log.
	Dir string
	// APIServerURL is kube-apiserver's https URL on 127.0.0.1.
	APIServerURL string
	// AdminKubeconfig authenticates as AdminUser in system:masters.
	AdminKubeconfig string

	binary, etcdURL, firstURL string
	servers                   int

	mu       sync.Mutex
	stops    []func() error
	stopOnce sync.Once
	stopErr  error
}

// ControlPlaneOptions configure StartControlPlane.
type ControlPlaneOptions struct {
	// Dir receives every file and log; created if missing.
	Dir string
	// KubeAPIServer is the kube-apiserver binary (see KubeAPIServerPath).
	KubeAPIServer string
	// Etcd is the etcd binary; "etcd" from PATH when empty.
	Etcd string
}

// StartControlPlane starts etcd and kube-apiserver and waits until the API
// server is ready. ctx bounds start-up only.
func StartControlPlane(ctx context.Context, o ControlPlaneOptions) (_ *ControlPlane, err error) {
	if o.Dir == "" || o.KubeAPIServer == "" {
		return nil, errors.New("harness: ControlPlaneOptions.Dir and KubeAPIServer are required")
	}
	if o.Etcd == "" {
		if o.Etcd, err = exec.LookPath("etcd"); err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	c := &ControlPlane{Dir: dir, binary: o.KubeAPIServer}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	etcd, err := startEtcd(ctx, o.Etcd, dir)
	if err != nil {
		return nil, err
	}
	c.stops = append(c.stops, etcd.stop)
	c.etcdURL = etcd.URL
	if c.AdminKubeconfig, err = c.AddAPIServer(ctx); err != nil {
		return nil, err
	}
	c.APIServerURL = c.firstURL
	rc, err := c.RESTConfig()
	if err != nil {
		return nil, err
	}
	if err := AggregateClusterRoles(ctx, rc); err != nil {
		return nil, err
	}
	return c, nil
}

// AddAPIServer starts one more kube-apiserver on the same etcd, as in a
// highly available control plane, and returns the path of its admin
// kubeconfig.
func (c *ControlPlane) AddAPIServer(ctx context.Context) (string, error) {
	path, _, err := c.addAPIServer(ctx, "", "")
	return path, err
}

// addAPIServer starts one more kube-apiserver on the same etcd, with the
// webhook kubeconfigs when they are set (RBAC only when they are empty), and
// returns the path of its admin kubeconfig and the server.
func (c *ControlPlane) addAPIServer(ctx context.Context, authnKubeconfig, authzKubeconfig string) (string, *apiServer, error) {
	c.mu.Lock()
	c.servers++
	n := c.servers
	c.mu.Unlock()
	dir := filepath.Join(c.Dir, fmt.Sprintf("kube-apiserver-%d", n))
	api, err := prepareAPIServer(c.binary, dir)
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(c.Dir, fmt.Sprintf("admin-%d.kubeconfig", n))
	err = kubeconfig{cluster: "control-plane", server: api.URL, caPEM: api.TLS.CAPEM, user: AdminUser, token: api.AdminToken}.write(path)
	if err != nil {
		return "", nil, err
	}
	if err := api.start(ctx, c.etcdURL, authnKubeconfig, authzKubeconfig); err != nil {
		return "", nil, err
	}
	c.mu.Lock()
	c.stops = append(c.stops, api.stop)
	if n == 1 {
		c.firstURL = api.URL
	}
	c.mu.Unlock()
	return path, api, nil
}

// RESTConfig is the admin's client configuration of the first API server.
func (c *ControlPlane) RESTConfig() (*rest.Config, error) { return RESTConfig(c.AdminKubeconfig) }

// RESTConfig reads a kubeconfig file.
func RESTConfig(kubeconfig string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	return cfg, nil
}

// Stop stops kube-apiserver, then etcd; it is safe to call twice.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i := len(c.stops) - 1; i >= 0; i-- {
			c.stopErr = errors.Join(c.stopErr, c.stops[i]())
		}
	})
	return c.stopErr
}
