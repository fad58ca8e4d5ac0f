package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/review"
)

// whoCanRBAC is a ClusterRole with explicit rules (the harness runs no
// controller-manager, so the aggregated admin/edit/view roles have no
// rules there), bound in namespace team to the aws-auth group devs.
const whoCanRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: whocan-pod-editor}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, delete]}
- {apiGroups: [apps], resources: [deployments], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: whocan-devs, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: whocan-pod-editor}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
`

// whoCanPrincipal is an identity the test can act as, and the canonical
// ARN who-can names it by.
type whoCanPrincipal struct {
	name, canonical, profile, kubeconfig string
}

// TestWhoCanAgreesWithKubeAPIServer checks "kubeiam who-can" against the
// truth: every principal it lists is allowed by the real kube-apiserver
// (both webhooks and RBAC, through "kubectl auth can-i" with the
// principal's own kubeconfig), and every principal it does not list is
// refused. Its own control plane: it changes the authentication mode.
func TestWhoCanAgreesWithKubeAPIServer(t *testing.T) {
	c := freshCluster(t)
	ps := whoCanSetup(t, c)
	cases := [][]string{
		{"delete", "pods", "team"},
		{"get", "pods", "team"},
		{"list", "pods", "other"},
		{"create", "deployments.apps", "team"},
		{"get", "configmaps", "team"},
		{"delete", "configmaps", "team"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc, " "), func(t *testing.T) {
			listed := whoCanListed(t, c, tc)
			for _, p := range ps {
				r := kubectl(t, c, p.profile, p.kubeconfig, "auth", "can-i", tc[0], tc[1], "-n", tc[2])
				yes := r.Code == 0 && strings.TrimSpace(r.Stdout) == "yes"
				switch {
				case listed[p.canonical] && !yes:
					t.Errorf("who-can lists %s (%s), but kube-apiserver refuses: %q %q", p.name, p.canonical, r.Stdout, r.Stderr)
				case !listed[p.canonical] && yes:
					t.Errorf("who-can does not list %s (%s), but kube-apiserver allows it", p.name, p.canonical)
				}
			}
		})
	}
}

// whoCanListed runs who-can as the creator and returns the canonical ARNs it lists.
func whoCanListed(t *testing.T, c *harness.Cluster, tc []string) map[string]bool {
	t.Helper()
	r := kubeiamCLI(t, c, localsts.DevCreatorUser, "who-can", tc[0], tc[1], "-n", tc[2], "-o", "json", "--kubeconfig", c.AdminKubeconfig)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("who-can: exit %d: %s", r.Code, r.Stderr)
	}
	var res review.Result
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("who-can -o json: %v\n%s", err, r.Stdout)
	}
	listed := map[string]bool{}
	for _, a := range res.Allowed {
		listed[a.Principal.Principal] = true
	}
	t.Logf("who-can %s: %v", strings.Join(tc, " "), listed)
	return listed
}

// whoCanSetup maps three principals by three paths and leaves one unmapped:
// the creator (its bootstrap access entry), the developer user (an access
// entry with AmazonEKSViewPolicy in team), the admin role (aws-auth group
// devs, bound in team) and an Identity Center role (nothing).
func whoCanSetup(t *testing.T, c *harness.Cluster) []whoCanPrincipal {
	t.Helper()
	asAdmin := func(args ...string) result { return kubectl(t, c, "", c.AdminKubeconfig, args...) }
	for _, ns := range []string{"team", "other"} {
		mustSucceed(t, asAdmin("create", "namespace", ns))
	}
	rbac := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(rbac, []byte(whoCanRBAC), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, asAdmin("apply", "-f", rbac))
	adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	applyAWSAuth(t, c, "- rolearn: "+adminRole+"\n  username: ops:{{SessionName}}\n  groups: [devs]\n")
	dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", dev))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
		"--policy-arn", "AmazonEKSViewPolicy", "--scope", "namespace", "--namespaces", "team"))
	adminKC, err := c.WriteKubeconfig("whocan-admin", localsts.DevDeveloperUser, "--role-arn", adminRole, "--session-name", "olga", "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	ssoKC, err := c.WriteKubeconfig("whocan-sso", localsts.DevDeveloperUser, "--role-arn", ssoRolePathARN, "--session-name", "sam", "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the aws-auth mapping of the admin role", func() string {
		if r := whoami(t, c, localsts.DevDeveloperUser, adminKC); !strings.HasPrefix(r.Stdout, "ops:olga") {
			return "whoami " + r.Stdout + r.Stderr
		}
		return ""
	})
	return []whoCanPrincipal{
		{"the creator", "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevCreatorUser, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser)},
		{"the developer", dev, localsts.DevDeveloperUser, c.Kubeconfig(localsts.DevDeveloperUser)},
		{"the admin role", adminRole, localsts.DevDeveloperUser, adminKC},
		{"an Identity Center role", "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevSSORole, localsts.DevDeveloperUser, ssoKC},
	}
}
