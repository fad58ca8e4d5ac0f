package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// env is every process of a run but the servers under test.
type env struct {
	dir, kubeiam, self string
	caCert, caKey      string
	ids                *identities
	// proxyEnv routes a server's STS calls through the TLS proxy and
	// trusts the run's CA.
	proxyEnv []string
	procs    []*proc
	// sts, proxy and baseline are among procs; their CPU time is
	// reported.
	sts, proxy, baseline *proc
}

func (e *env) close() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].stop()
	}
}

func (e *env) startRole(ctx context.Context, name string, args ...string) (*proc, error) {
	p, err := start(name, filepath.Join(e.dir, name+".log"), nil, e.self, args...)
	if err == nil {
		e.procs = append(e.procs, p)
	}
	return p, err
}

// setup starts the local STS, the TLS proxy in front of it, and the
// baseline, each a process of its own.
func setup(ctx context.Context, dir, kubeiam, self string) (*env, string, error) {
	e := &env{dir: dir, kubeiam: kubeiam, self: self}
	var err error
	if e.caCert, e.caKey, err = writeCA(dir); err != nil {
		return nil, "", err
	}
	if e.ids, err = writeIdentities(dir); err != nil {
		return nil, "", err
	}
	stsAddr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	sts, err := start("sts", filepath.Join(dir, "sts.log"), nil, kubeiam, "sts", "--config", e.ids.path, "--listen", stsAddr)
	if err != nil {
		return nil, "", err
	}
	e.procs = append(e.procs, sts)
	e.sts = sts
	if err := sts.waitHTTP(ctx, "http://"+stsAddr+"/", true, time.Minute); err != nil {
		e.close()
		return nil, "", err
	}
	proxyAddr, err := freeAddr()
	if err != nil {
		e.close()
		return nil, "", err
	}
	px, err := e.startRole(ctx, "proxy", "-role", "proxy", "-listen", proxyAddr, "-upstream", "http://"+stsAddr, "-ca", e.caCert, "-ca-key", e.caKey)
	if err != nil {
		e.close()
		return nil, "", err
	}
	e.proxy = px
	if err := px.waitHTTP(ctx, "http://"+proxyAddr+"/", true, time.Minute); err != nil {
		e.close()
		return nil, "", err
	}
	e.proxyEnv = []string{"HTTPS_PROXY=http://" + proxyAddr, "https_proxy=http://" + proxyAddr, "NO_PROXY=", "no_proxy=", "SSL_CERT_FILE=" + e.caCert}
	baseAddr, err := freeAddr()
	if err != nil {
		e.close()
		return nil, "", err
	}
	bp, err := e.startRole(ctx, "baseline", "-role", "baseline", "-listen", baseAddr, "-ca", e.caCert, "-ca-key", e.caKey)
	if err != nil {
		e.close()
		return nil, "", err
	}
	e.baseline = bp
	if err := bp.waitHTTP(ctx, "https://"+baseAddr+"/", false, time.Minute); err != nil {
		e.close()
		return nil, "", err
	}
	return e, "https://" + baseAddr + "/authenticate", nil
}

// server is one server under test.
type server struct {
	*proc
	url string
}

// startKubeiam runs "kubeiam server" with n aws-auth mappings, decision
// logging as in production (JSON lines to its standard error, here a file),
// and its STS calls through the proxy.
func (e *env) startKubeiam(ctx context.Context, n int) (*server, error) {
	file, err := writeAWSAuth(e.dir, n)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	state := filepath.Join(e.dir, fmt.Sprintf("kubeiam-state-%d", n))
	cfgPath := filepath.Join(e.dir, fmt.Sprintf("kubeiam-%d.yaml", n))
	// No client certificate is required, as aws-iam-authenticator requires
	// none: the handshake is once per kept-alive connection either way. The
	// per-client STS rate limit is lifted: one load generator sends every
	// token, which no real client does.
	cfg := fmt.Sprintf(`clusterID: %s
listen: %q
stateDir: %q
clusterCreatorARN: arn:aws:iam::%s:user/%s
awsAuth:
  file: %q
tls:
  requireClientCert: false
stsRateLimit:
  perSecond: 100000
  burst: 100000
log:
  format: json
`, clusterID, addr, state, localsts.DevAccount, localsts.DevCreatorUser, file)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("kubeiam-%d", n)
	p, err := start(name, filepath.Join(e.dir, name+".log"), e.proxyEnv, e.kubeiam, "server", "--config", cfgPath)
	if err != nil {
		return nil, err
	}
	if err := p.waitHTTP(ctx, "https://"+addr+"/readyz", false, 3*time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return &server{proc: p, url: "https://" + addr + "/authenticate"}, nil
}

// startAuthenticator runs "aws-iam-authenticator server" with the same
// mapping of the developer user (mapUsers in its configuration file, its
// MountedFile backend) and its STS calls through the same proxy: it sends
// each presigned request to the host the token names, with Go's default
// transport, which honours HTTPS_PROXY.
func (e *env) startAuthenticator(ctx context.Context, bin string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	state := filepath.Join(e.dir, "aia-state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(e.dir, "aia.yaml")
	cfg := fmt.Sprintf(`clusterID: %s
server:
  mapUsers:
  - userARN: arn:aws:iam::%s:user/%s
    username: developer
    groups: [developers]
`, clusterID, localsts.DevAccount, localsts.DevDeveloperUser)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	p, err := start("aws-iam-authenticator", filepath.Join(e.dir, "aws-iam-authenticator.log"), e.proxyEnv, bin,
		"server", "--config", cfgPath, "--address", "127.0.0.1", "--port", port, "--state-dir", state,
		"--generate-kubeconfig", filepath.Join(state, "kubeconfig.yaml"), "--backend-mode", "MountedFile")
	if err != nil {
		return nil, err
	}
	if err := p.waitHTTP(ctx, "https://"+addr+"/authenticate", true, 3*time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return &server{proc: p, url: "https://" + addr + "/authenticate"}, nil
}

// loadGenerator is this process, as a proc for its CPU time.
func (e *env) loadGenerator() *proc {
	return &proc{name: "load generator", cmd: &exec.Cmd{Process: &os.Process{Pid: os.Getpid()}}}
}
