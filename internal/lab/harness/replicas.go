package harness

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// HA is a highly available control plane as EKS runs one: several
// kube-apiservers on one etcd, each calling the kubeiam replica next to it
// as its webhooks. Every replica is a real "kubeiam server" process (so a
// test can SIGKILL one) keeping its state in kubeiam.io resources ("--store
// kubernetes"), prepared with "kubeiam init" before its kube-apiserver
// starts, and talking to its own kube-apiserver with an admin kubeconfig
// that does not depend on kubeiam. One local STS serves every replica from
// this process.
type HA struct {
	*ControlPlane
	// ClusterID is the x-k8s-aws-id every replica accepts.
	ClusterID string
	// STSURL is the local STS's plain-HTTP URL on 127.0.0.1.
	STSURL string
	// Replicas are the kubeiam replicas, each with its kube-apiserver.
	Replicas []*Replica

	files   awsFiles
	kubeiam string
	plugin  plugin
	srv     *http.Server
}

// HAOptions configure StartHA.
type HAOptions struct {
	// Dir, KubeAPIServer and Etcd are as in ControlPlaneOptions.
	Dir, KubeAPIServer, Etcd string
	// Kubeiam is the kubeiam binary the replicas and the per-profile
	// kubeconfigs' exec plugins run (see BuildKubeiam); required.
	Kubeiam string
	// TokenPlugin is as in Options: the kubeiam-token the kubeconfigs run,
	// else "Kubeiam token".
	TokenPlugin string
	// CRDDir holds the kubeiam.io CRDs (deploy/base/crds); required.
	CRDDir string
	// Replicas is how many kubeiam replicas on the kubernetes store, each
	// with a kube-apiserver of its own, StartHA starts; AddReplica adds
	// more.
	Replicas int
	// ClusterID is DefaultClusterID when empty.
	ClusterID string
}

// Replica is one "kubeiam server" process and the kube-apiserver wired to
// it.
type Replica struct {
	// Name is "a", "b", ...
	Name string
	// URL is the replica's https URL: webhooks and access-management API.
	URL string
	// CAFile is the CA of its serving certificate.
	CAFile string
	// ClientCertFile and ClientKeyFile are the client certificate its
	// kube-apiserver presents to the webhooks (mutual TLS).
	ClientCertFile, ClientKeyFile string
	// Store is "kubernetes" or "bolt".
	Store string
	// APIServerURL is its kube-apiserver's https URL.
	APIServerURL string
	// AdminKubeconfig is the static-token admin of its kube-apiserver, the
	// replica's own credentials too.
	AdminKubeconfig string

	dir, stateDir string
	argv, env     []string
	starts        int
	kubeconfigs   map[string]string

	mu   sync.Mutex
	proc *process
}

// StartHA starts etcd, a first kube-apiserver without webhooks (which
// applies the CRDs), the local STS and then, for each replica, "kubeiam
// init", its kube-apiserver and "kubeiam server", waiting until each
// replica's /readyz reports its store synced. ctx bounds start-up only; on
// error everything started is stopped.
func StartHA(ctx context.Context, o HAOptions) (_ *HA, err error) {
	if o.Kubeiam == "" || o.CRDDir == "" {
		return nil, errors.New("harness: HAOptions.Kubeiam and CRDDir are required")
	}
	if o.ClusterID == "" {
		o.ClusterID = DefaultClusterID
	}
	cp, err := StartControlPlane(ctx, ControlPlaneOptions{Dir: o.Dir, KubeAPIServer: o.KubeAPIServer, Etcd: o.Etcd})
	if err != nil {
		return nil, err
	}
	h := &HA{ControlPlane: cp, ClusterID: o.ClusterID, kubeiam: o.Kubeiam, plugin: plugin{kubeiam: o.Kubeiam, tokenPlugin: o.TokenPlugin}}
	defer func() {
		if err != nil {
			err = errors.Join(err, h.Stop())
		}
	}()
	rc, err := cp.RESTConfig()
	if err != nil {
		return nil, err
	}
	if err := ApplyCRDs(ctx, rc, o.CRDDir); err != nil {
		return nil, err
	}
	if err := h.startSTS(); err != nil {
		return nil, err
	}
	for i := 0; i < o.Replicas; i++ {
		if _, err := h.AddReplica(ctx, string(rune('a'+i)), "kubernetes"); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// startSTS serves fresh dev identities on a loopback port of its own.
func (h *HA) startSTS() error {
	cfg := localsts.DevConfig(rand.Reader)
	local, err := localsts.New(cfg, localsts.Options{})
	if err != nil {
		return fmt.Errorf("local STS: %w", err)
	}
	if h.files, err = writeAWSFiles(filepath.Join(h.Dir, "aws"), cfg); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("local STS: %w", err)
	}
	h.srv = &http.Server{Handler: local, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	h.STSURL = "http://" + ln.Addr().String()
	h.ControlPlane.mu.Lock()
	h.ControlPlane.stops = append(h.ControlPlane.stops, func() error { return h.srv.Close() })
	h.ControlPlane.mu.Unlock()
	return nil
}

// AddReplica prepares a replica's state with "kubeiam init", starts its
// kube-apiserver with the webhook kubeconfigs init wrote, then the replica
// itself, on store "kubernetes" (the shared kubeiam.io resources) or "bolt"
// (an embedded store of its own, for comparisons), and appends it to
// Replicas.
func (h *HA) AddReplica(ctx context.Context, name, store string) (*Replica, error) {
	r, err := h.addReplica(ctx, name, store)
	if err != nil {
		return nil, err
	}
	h.Replicas = append(h.Replicas, r)
	return r, nil
}

func (h *HA) addReplica(ctx context.Context, name, store string) (*Replica, error) {
	if store != "kubernetes" && store != "bolt" {
		return nil, fmt.Errorf("replica %s: store %q: want kubernetes or bolt", name, store)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &Replica{Name: name, Store: store, dir: filepath.Join(h.Dir, "kubeiam-"+name), kubeconfigs: map[string]string{}}
	r.stateDir = filepath.Join(r.dir, "state")
	r.URL = loopbackURL("https", port)
	r.CAFile = filepath.Join(r.stateDir, "tls", "ca.crt")
	r.ClientCertFile = filepath.Join(r.stateDir, "tls", "kube-apiserver-client.crt")
	r.ClientKeyFile = filepath.Join(r.stateDir, "tls", "kube-apiserver-client.key")
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	if out, err := run(ctx, h.kubeiam, "init", "--cluster-name", h.ClusterID, "--state-dir", r.stateDir, "--server-url", r.URL); err != nil {
		return nil, fmt.Errorf("replica %s: kubeiam init: %w\n%s", name, err, out)
	}
	admin, api, err := h.addAPIServer(ctx, filepath.Join(r.stateDir, "authn-webhook.kubeconfig"), filepath.Join(r.stateDir, "authz-webhook.kubeconfig"))
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	r.APIServerURL, r.AdminKubeconfig = api.URL, admin
	creator, ok := h.files.Profiles[localsts.DevCreatorUser]
	if !ok {
		return nil, errors.New("harness: the local STS has no creator user")
	}
	r.argv = []string{h.kubeiam, "server",
		"--cluster-id", h.ClusterID, "--region", Region,
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"--state-dir", r.stateDir, "--sts-endpoint", h.STSURL,
		"--cluster-creator-arn", creator.ARN,
		"--store", store, "--kubeconfig", admin,
		"--log-format", "json",
	}
	r.env = append(minimalEnv(), "HOME="+r.dir)
	if err := r.Start(ctx); err != nil {
		return nil, err
	}
	h.ControlPlane.mu.Lock()
	// Stops run in reverse: the replica stops before its kube-apiserver.
	h.ControlPlane.stops = append(h.ControlPlane.stops, r.stop)
	h.ControlPlane.mu.Unlock()
	for profile := range h.files.Profiles {
		path := filepath.Join(r.dir, profile+".kubeconfig")
		k := kubeconfig{cluster: h.ClusterID, server: api.URL, caPEM: api.TLS.CAPEM, user: profile,
			exec: h.plugin.execPlugin(h.ClusterID, h.files, profile)}
		if err := k.write(path); err != nil {
			return nil, err
		}
		r.kubeconfigs[profile] = path
	}
	return r, nil
}

// Kubeconfig returns the kubeconfig whose exec plugin mints tokens as the
// AWS profile against this replica's kube-apiserver.
func (r *Replica) Kubeconfig(profile string) string { return r.kubeconfigs[profile] }

// Profile returns an AWS profile's identity and key.
func (h *HA) Profile(name string) (AWSProfile, bool) {
	p, ok := h.files.Profiles[name]
	return p, ok
}

// Env is the environment for a client command run as the AWS profile (""
// for none), as Cluster.Env.
func (h *HA) Env(profile string) []string {
	home := filepath.Join(h.Dir, "home")
	_ = os.MkdirAll(home, 0o700)
	return append(append(minimalEnv(), "HOME="+home), h.files.awsEnv(profile)...)
}

// Start starts the replica's process (again, after Kill) on the same port
// and state directory, and waits until its /readyz answers ok.
func (r *Replica) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		select {
		case <-r.proc.done:
		default:
			return fmt.Errorf("replica %s is running", r.Name)
		}
	}
	r.starts++
	logPath := filepath.Join(r.dir, fmt.Sprintf("kubeiam.%d.log", r.starts))
	proc, err := startProcess("kubeiam replica "+r.Name, logPath, r.argv, r.env)
	if err != nil {
		return err
	}
	r.proc = proc
	client, err := r.HTTPClient()
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	if err := proc.waitUntil(ctx, "/readyz", func(ctx context.Context) error { return r.ready(ctx, client) }); err != nil {
		_ = proc.stop(5 * time.Second)
		return err
	}
	return nil
}

// Kill sends SIGKILL to the replica and waits until it is gone: no
// shutdown, no flush, as when its node dies.
func (r *Replica) Kill() error {
	r.mu.Lock()
	p := r.proc
	r.mu.Unlock()
	if p == nil {
		return nil
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill replica %s: %w", r.Name, err)
	}
	<-p.done
	return nil
}

// LogPath is the log of the replica's latest start.
func (r *Replica) LogPath() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return ""
	}
	return r.proc.logPath
}

func (r *Replica) stop() error {
	r.mu.Lock()
	p := r.proc
	r.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(15 * time.Second)
}

// HTTPClient trusts the replica's serving CA, for its API and /readyz.
func (r *Replica) HTTPClient() (*http.Client, error) {
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", r.Name, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("replica %s: no CA certificate in %s", r.Name, r.CAFile)
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 64,
		},
	}, nil
}

func (r *Replica) ready(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s: %s", resp.Status, body)
	}
	return nil
}
