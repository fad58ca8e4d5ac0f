package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// TestKubeconfigCommandWithKubectl: "kubeiam kubeconfig" merges the
// cluster into a kubeconfig that already holds another (the admin's), and
// the real kubectl, reading the file through $KUBECONFIG, authenticates
// with kubeiam-token as the exec plugin; the admin's context still works,
// and a second run pointing the entry elsewhere is refused.
func TestKubeconfigCommandWithKubectl(t *testing.T) {
	c := cluster(t)
	bin := t.TempDir()
	if _, err := harness.BuildTokenPlugin(context.Background(), bin); err != nil {
		t.Fatal(err)
	}
	// kubeiam-token on PATH, and the kubeiam it hands over to.
	path := "PATH=" + bin + string(os.PathListSeparator) + filepath.Dir(kubeiamBinary()) + string(os.PathListSeparator) + os.Getenv("PATH")
	env := func(extra ...string) []string {
		var out []string
		for _, kv := range c.Env("") {
			if !strings.HasPrefix(kv, "PATH=") {
				out = append(out, kv)
			}
		}
		return append(append(out, path), extra...)
	}

	admin, err := clientcmd.LoadFromFile(c.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	adminContext := admin.CurrentContext
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, admin.Clusters[admin.Contexts[adminContext].Cluster].CertificateAuthorityData, 0o600); err != nil {
		t.Fatal(err)
	}
	existing, err := os.ReadFile(c.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "config")
	if err := os.WriteFile(kc, existing, 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfigEnv := env("KUBECONFIG=" + kc + string(os.PathListSeparator) + filepath.Join(dir, "second"))

	r := mustSucceed(t, run(t, kubeconfigEnv, kubeiamBinary(), "kubeconfig", "--cluster-name", c.ClusterID,
		"--server", c.APIServerURL, "--certificate-authority", ca, "--profile", localsts.DevCreatorUser, "--alias", "creator"))
	if !strings.Contains(r.Stdout, `Context "creator"`) || !strings.Contains(r.Stdout, kc) {
		t.Errorf("stdout %q", r.Stdout)
	}
	if fi, err := os.Stat(kc); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode: %v %v", err, fi.Mode())
	}

	for i := 0; i < 2; i++ { // the second call is served from the token cache
		r = mustSucceed(t, run(t, kubeconfigEnv, kubectlPath, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
		if r.Stdout != "kubernetes-admin" {
			t.Errorf("kubectl auth whoami through kubeiam-token = %q, want the creator's kubernetes-admin", r.Stdout)
		}
	}
	r = mustSucceed(t, run(t, kubeconfigEnv, kubectlPath, "config", "view", "-o", "jsonpath={.users[?(@.name==\""+c.ClusterID+"\")].user.exec.command}"))
	if r.Stdout != "kubeiam-token" {
		t.Errorf("exec command %q", r.Stdout)
	}
	// The admin's context is untouched.
	mustSucceed(t, run(t, kubeconfigEnv, kubectlPath, "--context", adminContext, "get", "ns", "default"))

	// Pointing the same entry elsewhere is refused; the file is unchanged.
	before, _ := os.ReadFile(kc)
	r = run(t, kubeconfigEnv, kubeiamBinary(), "kubeconfig", "--cluster-name", c.ClusterID, "--server", "https://127.0.0.1:1", "--alias", "creator")
	if r.Code != 1 || !strings.Contains(r.Stderr, "--overwrite") {
		t.Errorf("conflicting run: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if after, _ := os.ReadFile(kc); string(after) != string(before) {
		t.Error("a refused run changed the kubeconfig")
	}
}

// TestKubeconfigFromDescribeCluster: without --server, "kubeiam kubeconfig"
// asks kubeiam's access-management API, as "aws eks update-kubeconfig" asks
// EKS's DescribeCluster: the endpoint and CA the server is configured with
// ("kubernetes.endpoint", "kubernetes.caFile") land in a kubeconfig the real
// kubectl then uses, its entries named by the cluster's ARN.
func TestKubeconfigFromDescribeCluster(t *testing.T) {
	c := cluster(t)
	bin := t.TempDir()
	if _, err := harness.BuildTokenPlugin(context.Background(), bin); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range c.Env(localsts.DevCreatorUser) {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	kc := filepath.Join(t.TempDir(), "config")
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+filepath.Dir(kubeiamBinary())+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+kc)
	r := mustSucceed(t, run(t, env, kubeiamBinary(), "kubeconfig", "--cluster-name", c.ClusterID,
		"--endpoint-url", c.Kubeiam.URL(""), "--ca-file", c.Kubeiam.Bundle().CAFile, "--profile", localsts.DevCreatorUser))
	arn := "arn:aws:eks:" + harness.Region + ":" + localsts.DevAccount + ":cluster/" + c.ClusterID
	if !strings.Contains(r.Stdout, arn) {
		t.Errorf("stdout %q does not name the cluster's ARN %s", r.Stdout, arn)
	}
	r = mustSucceed(t, run(t, env, kubectlPath, "config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}"))
	if r.Stdout != c.APIServerURL {
		t.Errorf("server %q, want DescribeCluster's endpoint %s", r.Stdout, c.APIServerURL)
	}
	r = mustSucceed(t, run(t, env, kubectlPath, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
	if r.Stdout != "kubernetes-admin" {
		t.Errorf("kubectl auth whoami = %q, want the creator's kubernetes-admin", r.Stdout)
	}
}
