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
	c := &ControlPlane{Dir: dir}
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
	api, err := prepareAPIServer(o.KubeAPIServer, filepath.Join(dir, "kube-apiserver"))
	if err != nil {
		return nil, err
	}
	c.APIServerURL = api.URL
	c.AdminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	err = kubeconfig{cluster: "control-plane", server: api.URL, caPEM: api.TLS.CAPEM, user: AdminUser, token: api.AdminToken}.write(c.AdminKubeconfig)
	if err != nil {
		return nil, err
	}
	if err := api.start(ctx, etcd.URL, "", ""); err != nil {
		return nil, err
	}
	c.stops = append(c.stops, api.stop)
	return c, nil
}

// RESTConfig is the admin's client configuration.
func (c *ControlPlane) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	return cfg, nil
}

// Stop stops kube-apiserver, then etcd; it is safe to call twice.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		for i := len(c.stops) - 1; i >= 0; i-- {
			c.stopErr = errors.Join(c.stopErr, c.stops[i]())
		}
	})
	return c.stopErr
}
