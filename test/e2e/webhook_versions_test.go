package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// kube-apiserver's --authentication-token-webhook-version and
// --authorization-webhook-version both default to v1beta1 (kube-apiserver
// --help, v1.32). A cluster configured without them sends v1beta1 reviews,
// whose SubjectAccessReview names the groups "group": the developer is
// authenticated, and an access policy is enforced, as with v1.
func TestWebhooksWithKubeAPIServerDefaultVersions(t *testing.T) {
	cluster(t) // skips or fails like the shared tests, and builds kubeiam
	apiserver, err := harness.KubeAPIServerPath(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatal(err)
	}
	c, err := harness.Start(context.Background(), harness.Options{Dir: t.TempDir(), KubeAPIServer: apiserver, Etcd: etcd,
		Kubeiam: kubeiamBinary(), TokenPlugin: harness.TokenPluginNextTo(kubeiamBinary()), DefaultWebhookVersions: true})
	if err != nil {
		t.Fatalf("start a control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop the control plane: %v", err)
		}
	})
	dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
	devKC := c.Kubeconfig(localsts.DevDeveloperUser)
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "namespace", "dev"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", dev))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
		"--policy-arn", "AmazonEKSViewPolicy", "--scope", "namespace", "--namespaces", "dev"))
	// The creator, through its bootstrapped AmazonEKSClusterAdminPolicy.
	mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser), "get", "namespaces"))
	if r := kubectl(t, c, localsts.DevDeveloperUser, devKC, "get", "configmaps", "-n", "dev"); r.Code != 0 {
		t.Errorf("view in dev through v1beta1 reviews: exit %d stderr %q", r.Code, r.Stderr)
	}
	if r := kubectl(t, c, localsts.DevDeveloperUser, devKC, "get", "configmaps", "-n", "kube-system"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
		t.Errorf("view outside the scope: exit %d stderr %q, want Forbidden", r.Code, r.Stderr)
	}
}
