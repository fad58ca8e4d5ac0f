package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// ownControlPlaneParts returns the kube-apiserver and etcd binaries and the
// CRD directory, for a test that starts a control plane of its own; it
// skips or fails exactly like the shared tests, and builds kubeiam.
func ownControlPlaneParts(t *testing.T) (apiserver, etcd, crds string) {
	t.Helper()
	cluster(t)
	apiserver, err := harness.KubeAPIServerPath(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if etcd, err = exec.LookPath("etcd"); err != nil {
		t.Fatal(err)
	}
	if crds, err = filepath.Abs(filepath.Join("..", "..", "deploy", "base", "crds")); err != nil {
		t.Fatal(err)
	}
	return apiserver, etcd, crds
}

// kubeStoreCluster starts a control plane of the test's own whose kubeiam
// keeps its state in kubeiam.io resources ("--store kubernetes").
func kubeStoreCluster(t *testing.T) *harness.Cluster {
	t.Helper()
	apiserver, etcd, crds := ownControlPlaneParts(t)
	c, err := harness.Start(context.Background(), harness.Options{Dir: t.TempDir(), KubeAPIServer: apiserver, Etcd: etcd,
		Kubeiam: kubeiamBinary(), TokenPlugin: harness.TokenPluginNextTo(kubeiamBinary()), CRDDir: crds})
	if err != nil {
		t.Fatalf("start a control plane with the kubernetes store: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop the control plane: %v", err)
		}
	})
	return c
}

// TestKubectlApplyIsEnforcedLikeTheAPI: with "--store kubernetes", an
// AccessEntry applied with the real kubectl (GitOps) is enforced like one
// created through the EKS API: the developer, unmapped before, lists pods
// through the associated AmazonEKSViewPolicy; "kubeiam access-entry export"
// writes it back out, and the mode moves one way only, whoever writes it.
func TestKubectlApplyIsEnforcedLikeTheAPI(t *testing.T) {
	c := kubeStoreCluster(t)
	admin := c.AdminKubeconfig
	dev, ok := c.Profile(localsts.DevDeveloperUser)
	if !ok {
		t.Fatal("no developer profile")
	}
	devKC := c.Kubeconfig(localsts.DevDeveloperUser)
	if r := kubectl(t, c, "", devKC, "get", "pods", "-n", "default"); r.Code == 0 {
		t.Fatal("the unmapped developer listed pods")
	}
	mustSucceed(t, kubectl(t, c, "", admin, "patch", "accessconfig", v1alpha1.AccessConfigName, "--type=merge",
		"-p", `{"spec":{"authenticationMode":"API_AND_CONFIG_MAP"}}`))
	name, err := v1alpha1.AccessEntryName(dev.ARN)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(t.TempDir(), "access-entries.yaml")
	err = os.WriteFile(manifest, []byte(`apiVersion: kubeiam.io/v1alpha1
kind: AccessEntry
metadata:
  name: `+name+`
spec:
  principalArn: `+dev.ARN+`
  kubernetesGroups: [devs]
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    accessScope: {type: namespace, namespaces: [default]}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, kubectl(t, c, "", admin, "apply", "-f", manifest))
	eventually(t, "the applied entry enforced", func() string {
		if r := kubectl(t, c, "", devKC, "get", "pods", "-n", "default"); r.Code != 0 {
			return "refused: " + r.Stderr
		}
		return ""
	})
	if r := kubectl(t, c, "", devKC, "get", "pods", "-n", "kube-system"); r.Code == 0 {
		t.Error("the namespace scope was not enforced: the developer listed pods in kube-system")
	}
	// A backward mode change is refused by the API server's CEL rule.
	r := kubectl(t, c, "", admin, "patch", "accessconfig", v1alpha1.AccessConfigName, "--type=merge",
		"-p", `{"spec":{"authenticationMode":"CONFIG_MAP"}}`)
	if r.Code == 0 || !strings.Contains(r.Stderr, "one-way") {
		t.Errorf("mode back to CONFIG_MAP: exit %d, %s", r.Code, r.Stderr)
	}
	out := mustSucceed(t, run(t, c.Env(""), kubeiamBinary(), "access-entry", "export", "--kubeconfig", admin))
	for _, want := range []string{"name: " + name, "principalArn: " + dev.ARN, "AmazonEKSViewPolicy", "authenticationMode: API_AND_CONFIG_MAP"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("export lacks %q:\n%s", want, out.Stdout)
		}
	}
	// The export applies back cleanly: the state it describes is the state.
	back := filepath.Join(t.TempDir(), "export.yaml")
	if err := os.WriteFile(back, []byte(out.Stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, kubectl(t, c, "", admin, "apply", "-f", back))
}
