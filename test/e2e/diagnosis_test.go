package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// serverFlags point a diagnosis command at the cluster's kubeiam server.
func serverFlags(c *harness.Cluster) []string {
	return []string{"--server", c.Kubeiam.URL(""), "--ca-file", c.Kubeiam.Bundle().CAFile, "--cluster-id", c.ClusterID}
}

// Scenario 2, continued: "kubeiam explain" names the cause of the
// developer's Unauthorized, and the command that fixes it.
func TestExplainNamesTheCause(t *testing.T) {
	c := cluster(t)
	waitUnmapped(t, c, localsts.DevDeveloperUser)
	dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
	args := append([]string{"explain", "--arn", dev, "--verb", "get", "--resource", "services", "--namespace", "default", "--color", "never"}, serverFlags(c)...)
	r := run(t, c.Env(localsts.DevCreatorUser), kubeiamBinary(), args...)
	if r.Code != 1 {
		t.Errorf("explain of an unmapped ARN: exit %d, want 1", r.Code)
	}
	for _, want := range []string{"ARN_NOT_MAPPED", "ARN is not mapped", "kubeiam aws-auth add-user --arn " + dev, "eksctl create iamidentitymapping"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, r.Stdout)
		}
	}
}

// Scenario 5: the kubeconfig runs "kubeiam token" with the developer's
// profile where the creator's was meant: kubectl says Unauthorized, and
// "kubeiam doctor" stops at the server's verdict, naming who you are and
// who the cluster creator is.
func TestDoctorPinpointsTheWrongProfile(t *testing.T) {
	c := cluster(t)
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	// An earlier test may have mapped the developer: kube-apiserver keeps a
	// successful authentication for 10 seconds after the mapping is gone.
	waitUnmapped(t, c, localsts.DevDeveloperUser)
	args := append([]string{"doctor", "--kubeconfig", kc, "--sts-endpoint", c.STSURL}, serverFlags(c)...)
	r := run(t, c.Env(""), kubeiamBinary(), args...)
	if r.Code == 0 {
		t.Fatalf("doctor passed a kubeconfig that kube-apiserver refuses:\n%s", r.Stdout)
	}
	out := r.Stdout + r.Stderr
	for _, want := range []string{"FAIL", "arn:aws:iam::111122223333:user/developer", "arn:aws:iam::111122223333:user/creator", "ARN is not mapped"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	// The links before the broken one pass.
	for _, want := range []string{"PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}

// Scenario 10, continued: "kubeiam explain" says the request is allowed by
// RBAC (the viewers group's binding), not by an access policy.
func TestExplainSaysRBAC(t *testing.T) {
	c := cluster(t)
	dir := t.TempDir()
	adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	entries := filepath.Join(dir, "entries.yaml")
	if err := os.WriteFile(entries, []byte("- principalArn: "+adminRole+"\n  kubernetesGroups: [viewers]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "clusterrole", "explain-namespace-reader", "--verb=get,list", "--resource=namespaces"))
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "clusterrolebinding", "explain-viewers", "--clusterrole=explain-namespace-reader", "--group=viewers"))
	t.Cleanup(func() {
		kubectl(t, c, "", c.AdminKubeconfig, "delete", "clusterrolebinding", "explain-viewers", "--ignore-not-found")
		kubectl(t, c, "", c.AdminKubeconfig, "delete", "clusterrole", "explain-namespace-reader", "--ignore-not-found")
	})
	rbac := mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "get", "clusterroles,clusterrolebindings,roles,rolebindings", "-A", "-o", "yaml"))
	rbacFile := filepath.Join(dir, "rbac.yaml")
	if err := os.WriteFile(rbacFile, []byte(rbac.Stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, c.Env(""), kubeiamBinary(), "explain", "--arn", "arn:aws:sts::"+localsts.DevAccount+":assumed-role/admin/vic",
		"--verb", "list", "--resource", "namespaces", "--access-entries", entries, "--mode", "API_AND_CONFIG_MAP",
		"--rbac", rbacFile, "--color", "never", "-o", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"ALLOWED_BY_RBAC"`) || !strings.Contains(r.Stdout, "explain-viewers") {
		t.Errorf("explain: exit %d, want ALLOWED_BY_RBAC naming the binding explain-viewers:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}
