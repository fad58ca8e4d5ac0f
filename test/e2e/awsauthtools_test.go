package e2e

import (
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/kube/kubetest"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// Scenario 3: the developer is Unauthorized until "kubeiam aws-auth
// add-user" maps them to system:masters in the live ConfigMap; then the
// same kubectl command succeeds.
func TestAWSAuthAddUserFixesUnauthorized(t *testing.T) {
	c := cluster(t)
	dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
	devKC := c.Kubeconfig(localsts.DevDeveloperUser)
	t.Cleanup(func() {
		kubectl(t, c, "", c.AdminKubeconfig, "delete", "configmap", "aws-auth", "-n", "kube-system", "--ignore-not-found")
	})
	// Before the fix: Unauthorized, once no earlier test's mapping is in force.
	waitUnmapped(t, c, localsts.DevDeveloperUser)
	r := mustSucceed(t, run(t, c.Env(""), kubeiamBinary(), "aws-auth", "add-user", "--arn", dev, "--username", "developer",
		"--groups", "system:masters", "--kubeconfig", c.AdminKubeconfig, "--backup-dir", t.TempDir()))
	if !strings.Contains(r.Stdout+r.Stderr, dev) {
		t.Errorf("add-user output does not name the ARN it mapped:\n%s%s", r.Stdout, r.Stderr)
	}
	eventually(t, "kubectl get svc as the mapped developer", func() string {
		if r := kubectl(t, c, localsts.DevDeveloperUser, devKC, "get", "svc"); r.Code != 0 || !kubernetesService.MatchString(r.Stdout) {
			return "exit " + r.Stderr
		}
		return ""
	})
	if r := whoami(t, c, localsts.DevDeveloperUser, devKC); r.Stdout != `developer ["system:masters","system:authenticated"]` {
		t.Errorf("whoami = %q", r.Stdout)
	}
}

// Issue 5's concurrency test against a real kube-apiserver: 20+ writers
// adding entries to the live aws-auth ConfigMap at once lose none.
func TestAWSAuthConcurrentWritersRealAPIServer(t *testing.T) {
	c := cluster(t)
	t.Cleanup(func() {
		kubectl(t, c, "", c.AdminKubeconfig, "delete", "configmap", "aws-auth-concurrency", "-n", "kube-system", "--ignore-not-found")
	})
	cfg, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	// No client-side rate limit: the writers should meet at the API server.
	cfg.QPS, cfg.Burst = 1000, 1000
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A ConfigMap of its own, so kubeiam's mapping (aws-auth) is untouched.
	kubetest.ConcurrentWriters(t, client, "kube-system", "aws-auth-concurrency", 24)
}
