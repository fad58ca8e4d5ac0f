// Package e2e drives kubeiam end to end: a real kube-apiserver and etcd, the
// real kubectl and AWS CLI v2, and kubeiam as the apiserver's webhooks (see
// package internal/lab/harness, which "kubeiam lab" runs too). The tests share one control plane, started by the first
// test that needs it and stopped when the package's tests end.
//
// They are skipped under "go test -short", and when a program they drive is
// missing (kube-apiserver: "make e2e-tools", which runs "kubeiam lab build-apiserver"; etcd and the AWS CLI: "make
// tools"), unless KUBEIAM_E2E=required, which turns a missing program into a
// failure, as CI wants. The kubeiam under test is built from this tree, or
// is $KUBEIAM_E2E_KUBEIAM.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// Programs the tests drive, by absolute path: the AWS CLI v2 and kubectl of
// the machine's packages, never a shim earlier on PATH.
const (
	kubectlPath = "/usr/bin/kubectl"
	awsPath     = "/usr/bin/aws"
)

// kubeiamEnv names a kubeiam binary to test instead of building
// ./cmd/kubeiam from this tree (a release binary, say).
const kubeiamEnv = "KUBEIAM_E2E_KUBEIAM"

// startTimeout bounds bringing the control plane up; it guards against a
// hang and asserts nothing about speed.
const startTimeout = 3 * time.Minute

// shared is the control plane every test uses.
var shared struct {
	once    sync.Once
	dir     string
	cluster *harness.Cluster
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cluster != nil {
		if err := shared.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stopping the control plane: %v\n", err)
			code = 1
		}
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// cluster returns the shared control plane, starting it on first use, or
// skips the test (see the package comment).
func cluster(t *testing.T) *harness.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	ctx := context.Background()
	apiserver, err := harness.KubeAPIServerPath(ctx)
	if err != nil {
		t.Fatalf("locate kube-apiserver: %v", err)
	}
	etcd, _ := exec.LookPath("etcd")
	for _, p := range []struct{ name, path, how string }{
		{"kube-apiserver", apiserver, `run "make e2e-tools" to build it`},
		{"etcd", etcd, `run "make tools" to install it`},
		{"kubectl", kubectlPath, "install it"},
		{"the AWS CLI v2", awsPath, `run "make tools" to install it`},
	} {
		testutil.RequireProgram(t, p.name, p.path, p.how)
	}
	shared.once.Do(func() { shared.cluster, shared.err = startShared(ctx, t, apiserver, etcd) })
	if shared.err != nil {
		t.Fatalf("start the control plane: %v", shared.err)
	}
	return shared.cluster
}

// startShared builds kubeiam and starts the control plane, logging how long
// each took.
func startShared(ctx context.Context, t *testing.T, apiserver, etcd string) (*harness.Cluster, error) {
	dir, err := os.MkdirTemp("", "kubeiam-e2e-")
	if err != nil {
		return nil, err
	}
	shared.dir = dir
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	start := time.Now()
	kubeiam := os.Getenv(kubeiamEnv)
	if kubeiam == "" {
		if kubeiam, err = harness.BuildKubeiam(ctx, dir); err != nil {
			return nil, err
		}
		// The kubeconfigs run kubeiam-token, as "kubeiam kubeconfig"
		// writes them; it hands cache misses over to the kubeiam next to it.
		if _, err = harness.BuildTokenPlugin(ctx, dir); err != nil {
			return nil, err
		}
	}
	built := time.Now()
	c, err := harness.Start(ctx, harness.Options{Dir: dir, KubeAPIServer: apiserver, Etcd: etcd, Kubeiam: kubeiam,
		TokenPlugin: harness.TokenPluginNextTo(kubeiam)})
	if err != nil {
		return nil, err
	}
	t.Logf("kubeiam %s ready in %s; control plane started in %s, in %s", kubeiam,
		built.Sub(start).Round(time.Millisecond), time.Since(built).Round(time.Millisecond), dir)
	return c, nil
}
