package kubestore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
)

// The tests run against a real kube-apiserver and etcd (harness
// StartControlPlane) with kubeiam's CRDs applied from deploy/base/crds.
// They are skipped with -short or when a program is missing, unless
// KUBEIAM_E2E=required, which turns a missing program into a failure.

const requiredEnv = "KUBEIAM_E2E"

var shared struct {
	once   sync.Once
	dir    string
	cp     *harness.ControlPlane
	client dynamic.Interface
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cp != nil {
		if err := shared.cp.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "kubestore: stopping the control plane: %v\n", err)
			code = 1
		}
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// apiClient returns an admin client of the shared control plane, starting
// it on first use, or skips the test.
func apiClient(t *testing.T) dynamic.Interface {
	t.Helper()
	if testing.Short() {
		t.Skip("needs kube-apiserver: skipped with -short")
	}
	apiserver, err := harness.KubeAPIServerPath(context.Background())
	if err != nil {
		t.Fatalf("locate kube-apiserver: %v", err)
	}
	etcd, _ := exec.LookPath("etcd")
	for _, p := range []struct{ name, path, how string }{
		{"kube-apiserver", apiserver, `run "make e2e-tools" to build it`},
		{"etcd", etcd, `run "make tools" to install it`},
	} {
		if st, err := os.Stat(p.path); p.path == "" || err != nil || st.IsDir() {
			if os.Getenv(requiredEnv) == "required" {
				t.Fatalf("%s is missing at %q (%s) and %s=required", p.name, p.path, p.how, requiredEnv)
			}
			t.Skipf("%s is missing at %q: %s, or set %s=required to fail instead of skipping", p.name, p.path, p.how, requiredEnv)
		}
	}
	shared.once.Do(func() { shared.err = startShared(apiserver, etcd) })
	if shared.err != nil {
		t.Fatalf("start the control plane: %v", shared.err)
	}
	return shared.client
}

func startShared(apiserver, etcd string) error {
	dir, err := os.MkdirTemp("", "kubeiam-kubestore-")
	if err != nil {
		return err
	}
	shared.dir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if shared.cp, err = harness.StartControlPlane(ctx, harness.ControlPlaneOptions{Dir: dir, KubeAPIServer: apiserver, Etcd: etcd}); err != nil {
		return err
	}
	cfg, err := shared.cp.RESTConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = kubestore.ClientQPS, kubestore.ClientBurst
	if err := harness.ApplyCRDs(ctx, cfg, filepath.Join("..", "..", "..", "deploy", "base", "crds")); err != nil {
		return err
	}
	shared.client, err = dynamic.NewForConfig(cfg)
	return err
}

// reset deletes every kubeiam object.
func reset(t *testing.T, client dynamic.Interface) {
	t.Helper()
	ctx := context.Background()
	if err := client.Resource(v1alpha1.AccessEntryGVR()).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatalf("delete access entries: %v", err)
	}
	if err := client.Resource(v1alpha1.AccessConfigGVR()).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatalf("delete access configs: %v", err)
	}
	if err := client.Resource(v1alpha1.RequestTokenGVR()).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatalf("delete request tokens: %v", err)
	}
}

// newStore returns a synced store over the control plane, closed when the
// test ends.
func newStore(t *testing.T, client dynamic.Interface) *kubestore.Store {
	t.Helper()
	s, err := kubestore.New(kubestore.Config{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
