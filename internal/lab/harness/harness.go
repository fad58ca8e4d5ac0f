// Package harness runs a real Kubernetes control plane wired to kubeiam, on
// loopback, for the end-to-end tests (test/e2e) and "kubeiam lab": etcd and
// kube-apiserver as child processes, a kubeiam server and a local STS in this
// process, and the files that let the real kubectl and AWS CLI talk to them.
//
// Start brings everything up in this order:
//
//  1. the local STS's identities (localsts.DevConfig: users creator and
//     developer, roles admin and AWSReservedSSO_...), a loopback listener for
//     kubeiam's plain-HTTP AWS endpoint (the local STS and the
//     access-management API, see STSURL), and AWS credentials and config
//     files with one profile per user;
//  2. etcd, data in Dir, random loopback ports;
//  3. kube-apiserver's port, certificates, static admin token and the admin
//     kubeconfig (token-based on purpose, see AdminUser);
//  4. the kubeiam server (server.Run): creator is the dev creator user and
//     aws-auth comes from the real kube-system/aws-auth ConfigMap, read with
//     the admin kubeconfig through a client held at a gate until step 5 is
//     done (see gate for why);
//  5. kube-apiserver with kubeiam's webhook kubeconfigs; the aggregated
//     ClusterRoles (view, edit, admin) get their rules (see
//     AggregateClusterRoles: no kube-controller-manager runs); then the gate
//     opens and Start waits until kubeiam's /readyz reports the ConfigMap
//     synced;
//  6. per-profile kubeconfigs whose exec plugin is "kubeiam token".
//
// Stop tears down in reverse and waits for every process to exit. Nothing
// here depends on package testing, so a command can use it as well as a test.
package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/server"
)

// DefaultClusterID is the cluster ID when Options.ClusterID is empty.
const DefaultClusterID = "e2e-cluster"

// Options configure Start.
type Options struct {
	// Dir receives every file and log; it is created if missing and left in
	// place by Stop.
	Dir string
	// KubeAPIServer is the kube-apiserver binary (see KubeAPIServerPath).
	KubeAPIServer string
	// Etcd is the etcd binary; "etcd" from PATH when empty.
	Etcd string
	// Kubeiam is the kubeiam binary that per-profile kubeconfigs run as
	// their exec plugin (see BuildKubeiam); when empty none are written.
	Kubeiam string
	// TokenPlugin, when set, is the kubeiam-token binary (BuildTokenPlugin,
	// next to Kubeiam): the kubeconfigs then run it, the fast form
	// "kubeiam kubeconfig" writes, and it hands cache misses over to the
	// kubeiam next to it. When empty they run "Kubeiam token".
	TokenPlugin string
	// ClusterID is the cluster tokens are minted for; DefaultClusterID when
	// empty.
	ClusterID string
	// Log also receives the kubeiam server's log (text); it is always kept
	// in Dir/kubeiam.log and in memory (Cluster.KubeiamLog).
	Log io.Writer
	// CRDDir, when set, runs kubeiam with "--store kubernetes": the CRDs in
	// this directory (deploy/base/crds) are applied as soon as
	// kube-apiserver is ready, and kubeiam keeps its state in them, with the
	// admin kubeconfig as its own credentials.
	CRDDir string
	// DefaultWebhookVersions starts kube-apiserver without
	// --authentication-token-webhook-version and
	// --authorization-webhook-version, as a cluster configured without
	// them runs: it then sends the v1beta1 reviews, its default.
	DefaultWebhookVersions bool
}

// Cluster is a running control plane wired to kubeiam.
type Cluster struct {
	// ClusterID is the x-k8s-aws-id kubeiam accepts.
	ClusterID string
	// Dir holds every file and log.
	Dir string
	// APIServerURL is kube-apiserver's https URL on 127.0.0.1.
	APIServerURL string
	// AdminKubeconfig authenticates with a static token as AdminUser in
	// system:masters. BareKubeconfig has the cluster and no credentials,
	// for "kubectl --token".
	AdminKubeconfig, BareKubeconfig string
	// STSURL is kubeiam's plain-HTTP AWS endpoint on 127.0.0.1: the local
	// STS, which kubeiam sends every STS request to, and the EKS-compatible
	// access-management API ("kubeiam access-entry --endpoint-url").
	STSURL string
	// Kubeiam is the in-process kubeiam server: its decision log, state
	// directory and URLs.
	Kubeiam *server.Server

	files       awsFiles
	sts         *localsts.Server
	stsCfg      *localsts.Config
	awsLn       net.Listener
	kubeconfigs map[string]string
	apiCAPEM    []byte
	apiCAFile   string
	plugin      plugin
	log         *logBuffer
	stops       []func() error
	stopOnce    sync.Once
	stopErr     error
}

// Start brings up the control plane; see the package comment for the
// order. ctx bounds start-up only. On error everything started is stopped.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	if o.Dir == "" || o.KubeAPIServer == "" {
		return nil, errors.New("harness: Options.Dir and Options.KubeAPIServer are required")
	}
	if o.ClusterID == "" {
		o.ClusterID = DefaultClusterID
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
	c := &Cluster{ClusterID: o.ClusterID, Dir: dir, log: &logBuffer{}, kubeconfigs: map[string]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	if err := c.prepareSTS(); err != nil {
		return nil, err
	}
	etcd, err := startEtcd(ctx, o.Etcd, dir)
	if err != nil {
		return nil, err
	}
	c.stops = append(c.stops, etcd.stop)
	api, err := prepareAPIServer(o.KubeAPIServer, filepath.Join(dir, "kube-apiserver"))
	if err != nil {
		return nil, err
	}
	api.defaultWebhookVersions = o.DefaultWebhookVersions
	c.APIServerURL, c.apiCAFile = api.URL, api.TLS.CAFile
	if err := c.writeServiceKubeconfigs(api); err != nil {
		return nil, err
	}
	k, err := c.startKubeiam(ctx, o.Log, o.CRDDir != "")
	if err != nil {
		return nil, err
	}
	c.Kubeiam = k.srv
	authnKC, authzKC := k.srv.KubeconfigPaths()
	// kubeiam stops before kube-apiserver: the other way round, with
	// kubeiam's aws-auth watch open, kube-apiserver stopped listening at
	// once but did not exit within 30 s of SIGTERM; this way it exits in
	// about a second.
	c.stops = append(c.stops, api.stop, k.stop)
	if err := api.start(ctx, etcd.URL, authnKC, authzKC); err != nil {
		return nil, err
	}
	rc, err := RESTConfig(c.AdminKubeconfig)
	if err != nil {
		return nil, err
	}
	if o.CRDDir != "" {
		if err := ApplyCRDs(ctx, rc, o.CRDDir); err != nil {
			return nil, err
		}
	}
	if err := AggregateClusterRoles(ctx, rc); err != nil {
		return nil, err
	}
	if err := k.waitReady(ctx); err != nil {
		return nil, err
	}
	if o.Kubeiam != "" {
		if err := c.writeProfileKubeconfigs(api, plugin{kubeiam: o.Kubeiam, tokenPlugin: o.TokenPlugin}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// prepareSTS creates fresh dev identities, the listener kubeiam serves them
// on (it must be known before kubeiam starts: it is kubeiam's STS endpoint)
// and the AWS files.
func (c *Cluster) prepareSTS() error {
	stsCfg := localsts.DevConfig(rand.Reader)
	local, err := localsts.New(stsCfg, localsts.Options{})
	if err != nil {
		return fmt.Errorf("local STS: %w", err)
	}
	if c.files, err = writeAWSFiles(filepath.Join(c.Dir, "aws"), stsCfg); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("local STS: %w", err)
	}
	// The kubeiam server closes it when it stops; this closes it when
	// kubeiam never started. A second Close is harmless.
	c.stops = append(c.stops, func() error { _ = ln.Close(); return nil })
	c.sts, c.stsCfg, c.awsLn, c.STSURL = local, stsCfg, ln, "http://"+ln.Addr().String()
	return nil
}

func (c *Cluster) writeServiceKubeconfigs(api *apiServer) error {
	c.AdminKubeconfig = filepath.Join(c.Dir, "admin.kubeconfig")
	c.BareKubeconfig = filepath.Join(c.Dir, "bare.kubeconfig")
	err := kubeconfig{cluster: c.ClusterID, server: api.URL, caPEM: api.TLS.CAPEM, user: AdminUser, token: api.AdminToken}.write(c.AdminKubeconfig)
	if err != nil {
		return err
	}
	return kubeconfig{cluster: c.ClusterID, server: api.URL, caPEM: api.TLS.CAPEM, user: "nobody"}.write(c.BareKubeconfig)
}

func (c *Cluster) startKubeiam(ctx context.Context, extraLog io.Writer, kubeStore bool) (*kubeiamServer, error) {
	logFile, err := os.OpenFile(filepath.Join(c.Dir, "kubeiam.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("kubeiam log: %w", err)
	}
	c.stops = append(c.stops, logFile.Close)
	out := []io.Writer{c.log, logFile}
	if extraLog != nil {
		out = append(out, extraLog)
	}
	// The server's own text log, as "kubeiam server" writes it.
	logger, err := server.NewLogger(io.MultiWriter(out...), "text", "info")
	if err != nil {
		return nil, err
	}
	creator, ok := c.files.Profiles[localsts.DevCreatorUser]
	if !ok {
		return nil, errors.New("harness: the local STS has no creator user")
	}
	cfg := config.Server{
		ClusterID:         c.ClusterID,
		Region:            Region,
		Listen:            "127.0.0.1:0",
		StateDir:          filepath.Join(c.Dir, "kubeiam-state"),
		STSEndpoint:       c.STSURL,
		ClusterCreatorARN: creator.ARN,
		AWSAuth:           config.AWSAuth{ConfigMap: true, Kubeconfig: c.AdminKubeconfig},
		// DescribeCluster reports the API server, as on EKS ("kubeiam
		// kubeconfig" without --server).
		Kubernetes: config.Kubernetes{Endpoint: c.APIServerURL, CAFile: c.apiCAFile},
	}
	if kubeStore {
		cfg.Store = config.Store{Type: config.StoreKubernetes, Kubeconfig: c.AdminKubeconfig}
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kubeiam configuration: %w", err)
	}
	ids, err := server.LocalPrincipalIDs(c.stsCfg, c.STSURL)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	return startKubeiam(ctx, server.Options{Config: cfg, Logger: logger, LocalSTS: c.sts, AWSListener: c.awsLn, PrincipalIDs: ids}, c.AdminKubeconfig)
}

func (c *Cluster) writeProfileKubeconfigs(api *apiServer, p plugin) error {
	c.apiCAPEM, c.plugin = api.TLS.CAPEM, p
	for name := range c.files.Profiles {
		path := filepath.Join(c.Dir, name+".kubeconfig")
		k := kubeconfig{cluster: c.ClusterID, server: api.URL, caPEM: api.TLS.CAPEM, user: name,
			exec: p.execPlugin(c.ClusterID, c.files, name)}
		if err := k.write(path); err != nil {
			return err
		}
		c.kubeconfigs[name] = path
	}
	return nil
}

// WriteKubeconfig writes Dir/name.kubeconfig, whose exec plugin (see
// Options.TokenPlugin) mints tokens as the AWS profile with extra arguments (for example
// --role-arn and --sts-endpoint), and returns its path.
func (c *Cluster) WriteKubeconfig(name, profile string, extraArgs ...string) (string, error) {
	if c.plugin.kubeiam == "" {
		return "", errors.New("harness: no kubeiam binary (Options.Kubeiam)")
	}
	path := filepath.Join(c.Dir, name+".kubeconfig")
	exec := c.plugin.execPlugin(c.ClusterID, c.files, profile)
	exec.Args = append(exec.Args, extraArgs...)
	k := kubeconfig{cluster: c.ClusterID, server: c.APIServerURL, caPEM: c.apiCAPEM, user: name, exec: exec}
	return path, k.write(path)
}

// Kubeconfig returns the kubeconfig whose exec plugin mints tokens as the
// AWS profile (an IAM user of the local STS: "creator",
// "developer"). It is empty unless Options.Kubeiam was set.
func (c *Cluster) Kubeconfig(profile string) string { return c.kubeconfigs[profile] }

// Profile returns an AWS profile's identity and key.
func (c *Cluster) Profile(name string) (AWSProfile, bool) {
	p, ok := c.files.Profiles[name]
	return p, ok
}

// Env is the environment for a client command (kubectl, aws, kubeiam) run
// as the AWS profile ("" for none): PATH, a HOME of its own under Dir (so
// kubectl's caches and ~/.aws stay out of the way) and the AWS variables.
func (c *Cluster) Env(profile string) []string {
	home := filepath.Join(c.Dir, "home")
	_ = os.MkdirAll(home, 0o700)
	return append(append(minimalEnv(), "HOME="+home), c.files.awsEnv(profile)...)
}

// AWSFiles returns the AWS shared credentials and config files, with one
// profile per IAM user of the local STS.
func (c *Cluster) AWSFiles() (credentials, config string) {
	return c.files.Credentials, c.files.Config
}

// KubeiamLog returns what the kubeiam server has logged so far.
func (c *Cluster) KubeiamLog() string { return c.log.String() }

// Stop tears everything down in reverse order of start and waits for every
// process to exit. It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for i := len(c.stops) - 1; i >= 0; i-- {
			errs = append(errs, c.stops[i]())
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// LogPaths returns the log files of the kubeiam server, kube-apiserver and
// etcd.
func (c *Cluster) LogPaths() (kubeiam, apiserver, etcd string) {
	return filepath.Join(c.Dir, "kubeiam.log"),
		filepath.Join(c.Dir, "kube-apiserver", "kube-apiserver.log"),
		filepath.Join(c.Dir, "etcd.log")
}

// stateDirs are what Start keeps state in, below Options.Dir: etcd's data,
// kube-apiserver's certificates and keys, kubeiam's store and certificates.
var stateDirs = []string{"etcd", "kube-apiserver", "kubeiam-state"}

// ResetDir removes the state a previous Start left in dir, so that the next
// Start on it begins with an empty cluster. Everything else in dir stays:
// only paths Start itself creates are removed.
func ResetDir(dir string) error {
	for _, name := range stateDirs {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("harness: reset %s: %w", dir, err)
		}
	}
	return nil
}

// RecreateRole deletes the local STS's role roleARN and creates it again
// with the same name (localsts.Server.RecreateRole): it gets a new unique
// ID, so an access entry created for the old role no longer matches it, as
// in EKS. It returns the new unique ID.
func (c *Cluster) RecreateRole(roleARN string) (string, error) {
	return c.sts.RecreateRole(roleARN)
}
