package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// applyAWSAuth writes the aws-auth ConfigMap with the given mapRoles YAML
// as the cluster admin, and deletes it when the test ends so that other
// tests see a cluster without one.
func applyAWSAuth(t *testing.T, c *harness.Cluster, mapRoles string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n")
	for _, line := range strings.Split(strings.TrimRight(mapRoles, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "apply", "-f", path))
	t.Cleanup(func() {
		kubectl(t, c, "", c.AdminKubeconfig, "delete", "configmap", "aws-auth", "-n", "kube-system", "--ignore-not-found")
	})
}

// whoami returns "username groups" as kube-apiserver sees the kubeconfig's user.
func whoami(t *testing.T, c *harness.Cluster, profile, kubeconfig string) result {
	t.Helper()
	return kubectl(t, c, profile, kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
}

const ssoRolePathARN = "arn:aws:iam::" + localsts.DevAccount + ":role/aws-reserved/sso.amazonaws.com/us-east-1/" + localsts.DevSSORole

// Scenario 4: a role reached through AssumeRole, mapped with mapRoles and a
// session-name username template; then the Identity Center role mapped with
// its aws-reserved/sso.amazonaws.com path still works.
func TestAssumedRoleMappedThroughAWSAuth(t *testing.T) {
	c := cluster(t)
	adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	applyAWSAuth(t, c, fmt.Sprintf(`- rolearn: %s
  username: admin:{{SessionName}}
  groups:
    - system:masters
- rolearn: %s
  username: sso:{{SessionName}}
  groups:
    - system:masters
`, adminRole, ssoRolePathARN))

	asAdmin, err := c.WriteKubeconfig("developer-as-admin", localsts.DevDeveloperUser,
		"--role-arn", adminRole, "--session-name", "alice@example.com", "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	want := `admin:alice-example.com ["system:masters","system:authenticated"]`
	eventually(t, "whoami through the admin role", func() string {
		if r := whoami(t, c, localsts.DevDeveloperUser, asAdmin); r.Stdout != want {
			return fmt.Sprintf("%q (stderr %q), want %q", r.Stdout, r.Stderr, want)
		}
		return ""
	})
	mustSucceed(t, kubectl(t, c, localsts.DevDeveloperUser, asAdmin, "get", "namespaces"))

	// The Identity Center role, assumed by its ARN with the path: the
	// session ARN STS returns has no path, and still matches the mapping
	// written with one.
	asSSO, err := c.WriteKubeconfig("developer-as-sso", localsts.DevDeveloperUser,
		"--role-arn", ssoRolePathARN, "--session-name", "bob", "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	if r := whoami(t, c, localsts.DevDeveloperUser, asSSO); r.Stdout != `sso:bob ["system:masters","system:authenticated"]` {
		t.Errorf("whoami through the Identity Center role = %q (stderr %q)", r.Stdout, r.Stderr)
	}
}

// Scenario 8, first half: a broken aws-auth ConfigMap never empties the
// mapping: users mapped by the last good version keep working, and the
// rejection is logged.
func TestBrokenAWSAuthKeepsLastGoodVersion(t *testing.T) {
	c := cluster(t)
	adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	applyAWSAuth(t, c, fmt.Sprintf("- rolearn: %s\n  username: admin:{{SessionName}}\n  groups: [system:masters]\n", adminRole))
	asAdmin, err := c.WriteKubeconfig("developer-as-admin-8", localsts.DevDeveloperUser,
		"--role-arn", adminRole, "--session-name", "carol", "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	want := `admin:carol ["system:masters","system:authenticated"]`
	eventually(t, "whoami through the admin role", func() string {
		if r := whoami(t, c, localsts.DevDeveloperUser, asAdmin); r.Stdout != want {
			return fmt.Sprintf("%q, want %q", r.Stdout, want)
		}
		return ""
	})

	// Break it: an unclosed flow sequence is not YAML.
	applyAWSAuth(t, c, "- rolearn: [unclosed\n")
	eventually(t, "the broken version to be rejected", func() string {
		if !strings.Contains(c.KubeiamLog(), `msg="aws-auth rejected"`) {
			return "no rejection logged"
		}
		return ""
	})
	if r := whoami(t, c, localsts.DevDeveloperUser, asAdmin); r.Stdout != want {
		t.Errorf("after a broken aws-auth, whoami = %q (stderr %q), want the last good mapping %q", r.Stdout, r.Stderr, want)
	}
	mustSucceed(t, kubectl(t, c, localsts.DevDeveloperUser, asAdmin, "get", "namespaces"))
}
