package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kubeiam/kubeiam/internal/certs"
)

// Identity of the static admin token. It is in system:masters, which every
// authorizer lets through, and it is a token, not a client certificate, on
// purpose: kube-apiserver tries x509 before any token, so a kubeconfig with
// a client certificate would stay authenticated as admin even under
// "kubectl --token", and tests of refused tokens would pass for nothing.
const (
	AdminUser  = "e2e-admin"
	AdminGroup = "system:masters"
)

// apiServer is a kube-apiserver on loopback. Its port, serving certificate
// and admin token are fixed before it starts (prepareAPIServer), because the
// kubeconfigs that point at it are written first.
type apiServer struct {
	binary, dir string
	port        int
	// URL is https://127.0.0.1:port.
	URL string
	// TLS is its serving material; TLS.CAPEM is what clients trust.
	TLS certs.Bundle
	// AdminToken authenticates as AdminUser in AdminGroup.
	AdminToken string

	saKeyFile, tokenFile string
	proc                 *process
	// defaultWebhookVersions leaves out the webhook version flags, so
	// kube-apiserver sends its default, v1beta1 (Options).
	defaultWebhookVersions bool
}

// prepareAPIServer picks the port and writes the serving certificate, the
// service-account signing key and the static token file under dir.
func prepareAPIServer(binary, dir string) (*apiServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kube-apiserver: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	bundle, err := certs.EnsureServing(filepath.Join(dir, "tls"), []string{"127.0.0.1", "localhost"}, nil)
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver serving certificate: %w", err)
	}
	a := &apiServer{
		binary: binary, dir: dir, port: port, URL: loopbackURL("https", port), TLS: bundle,
		saKeyFile: filepath.Join(dir, "service-account.key"),
		tokenFile: filepath.Join(dir, "tokens.csv"),
	}
	if err := writeSigningKey(a.saKeyFile); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	a.AdminToken = hex.EncodeToString(secret)
	// token,user,uid,"group1,group2"
	line := a.AdminToken + "," + AdminUser + "," + AdminUser + ",\"" + AdminGroup + "\"\n"
	if err := os.WriteFile(a.tokenFile, []byte(line), 0o600); err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	return a, nil
}

// writeSigningKey writes a fresh ECDSA key for service-account tokens;
// kube-apiserver reads the public half from the same file.
func writeSigningKey(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

// args are kube-apiserver's flags: everything on loopback, kubeiam as the
// token authenticator and as the authorizer between Node and RBAC, and no
// webhook caching, so every request reaches kubeiam and a test sees the
// effect of a change at once.
func (a *apiServer) args(etcdURL, authnKubeconfig, authzKubeconfig string) []string {
	args := []string{a.binary,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(a.port),
		"--cert-dir=" + filepath.Join(a.dir, "cert-dir"),
		"--tls-cert-file=" + a.TLS.CertFile,
		"--tls-private-key-file=" + a.TLS.KeyFile,
		"--etcd-servers=" + etcdURL,
		// The default reconciler publishes the advertise address as the
		// kubernetes service's endpoints and refuses loopback.
		"--endpoint-reconciler-type=none",
		// A configuration value only: nothing routes to it.
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + a.saKeyFile,
		"--service-account-signing-key-file=" + a.saKeyFile,
		"--token-auth-file=" + a.tokenFile,
		"--profiling=false",
	}
	if authnKubeconfig == "" {
		// A bare control plane (StartControlPlane): RBAC only.
		return append(args, "--authorization-mode=RBAC")
	}
	args = append(args,
		"--authentication-token-webhook-config-file="+authnKubeconfig,
		"--authentication-token-webhook-cache-ttl=0s",
		"--authorization-mode=Node,Webhook,RBAC",
		"--authorization-webhook-config-file="+authzKubeconfig,
		"--authorization-webhook-cache-authorized-ttl=0s",
		"--authorization-webhook-cache-unauthorized-ttl=0s",
	)
	if a.defaultWebhookVersions {
		return args
	}
	return append(args, "--authentication-token-webhook-version=v1", "--authorization-webhook-version=v1")
}

// start runs kube-apiserver and waits until /readyz answers ok.
func (a *apiServer) start(ctx context.Context, etcdURL, authnKubeconfig, authzKubeconfig string) error {
	proc, err := startProcess("kube-apiserver", filepath.Join(a.dir, "kube-apiserver.log"),
		a.args(etcdURL, authnKubeconfig, authzKubeconfig), minimalEnv())
	if err != nil {
		return err
	}
	a.proc = proc
	client, err := a.adminHTTPClient()
	if err != nil {
		return err
	}
	if err := proc.waitUntil(ctx, "/readyz", func(ctx context.Context) error { return a.ready(ctx, client) }); err != nil {
		_ = a.stop()
		return err
	}
	return nil
}

// adminHTTPClient trusts the serving CA; requests add the admin token.
func (a *apiServer) adminHTTPClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(a.TLS.CAPEM) {
		return nil, fmt.Errorf("kube-apiserver: no CA certificate in its bundle")
	}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

func (a *apiServer) ready(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.AdminToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s: %s", resp.Status, body)
	}
	return nil
}

// stop ends kube-apiserver and waits for it to exit: after SIGTERM it keeps
// its port for a few seconds while it drains.
func (a *apiServer) stop() error {
	if a.proc == nil {
		return nil
	}
	return a.proc.stop(30 * time.Second)
}
