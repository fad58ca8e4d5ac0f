package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
)

// deployOverlay writes a kustomize overlay of deploy/base, as the README's
// "Deploy on a cluster" has a platform engineer write one, that points the
// admission webhook at the harness's kubeiam (its port is random, and its
// CA is the one kubeiam generated) and returns its directory.
func deployOverlay(t *testing.T, c *harness.Cluster) string {
	t.Helper()
	dir := t.TempDir()
	base, err := filepath.Abs(filepath.Join("..", "..", "deploy", "base"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, base) // kustomize refuses absolute paths
	if err != nil {
		t.Fatal(err)
	}
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- %s
patches:
- target: {kind: ValidatingWebhookConfiguration, name: kubeiam}
  patch: |-
    - op: replace
      path: /webhooks/0/clientConfig/url
      value: %s
    - op: add
      path: /webhooks/0/clientConfig/caBundle
      value: %s
`, rel, c.Kubeiam.URL("/validate"), base64.StdEncoding.EncodeToString(c.Kubeiam.Bundle().CAPEM))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDeployManifests applies deploy/base to a real kube-apiserver with the
// real kubectl (server-side dry run, then for real), waits for the CRDs to
// be established, and exercises them: a valid AccessEntry is stored; bad
// ones are refused by the CRD's CEL rules or, for what CEL cannot say, by
// kubeiam's admission webhook called by kube-apiserver.
func TestDeployManifests(t *testing.T) {
	c := freshCluster(t) // its own: it installs CRDs, RBAC and a webhook
	admin := c.AdminKubeconfig
	rendered := mustSucceed(t, kubectl(t, c, "", admin, "kustomize", filepath.Join("..", "..", "deploy", "base")))
	for _, kind := range []string{"Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
		"Role", "RoleBinding", "ConfigMap", "DaemonSet", "ValidatingWebhookConfiguration"} {
		if !strings.Contains(rendered.Stdout, "\nkind: "+kind+"\n") {
			t.Errorf("kubectl kustomize deploy/base renders no %s", kind)
		}
	}
	overlay := deployOverlay(t, c)
	// A server-side dry run creates nothing, so the namespaced objects of a
	// dry run on a fresh cluster fail with "namespaces kubeiam not found":
	// the namespace goes first, for real (as the README says).
	mustSucceed(t, kubectl(t, c, "", admin, "apply", "-f", filepath.Join("..", "..", "deploy", "base", "namespace.yaml")))
	mustSucceed(t, kubectl(t, c, "", admin, "apply", "-k", overlay, "--dry-run=server"))
	mustSucceed(t, kubectl(t, c, "", admin, "apply", "-k", overlay))
	mustSucceed(t, kubectl(t, c, "", admin, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/accessentries.kubeiam.io", "crd/accessconfigs.kubeiam.io", "crd/requesttokens.kubeiam.io"))
	mustSucceed(t, kubectl(t, c, "", admin, "-n", "kubeiam", "get", "daemonset/kubeiam", "serviceaccount/kubeiam"))
	// The service account may read aws-auth and nothing else in kube-system.
	sa := "--as=system:serviceaccount:kubeiam:kubeiam"
	if r := kubectl(t, c, "", admin, "auth", "can-i", "get", "configmaps/aws-auth", "-n", "kube-system", sa); strings.TrimSpace(r.Stdout) != "yes" {
		t.Errorf("kubeiam cannot read aws-auth: %q %s", r.Stdout, r.Stderr)
	}
	if r := kubectl(t, c, "", admin, "auth", "can-i", "get", "configmaps/other", "-n", "kube-system", sa); !strings.HasPrefix(r.Stdout, "no") {
		t.Errorf("kubeiam can read other ConfigMaps: %q", r.Stdout)
	}
	if r := kubectl(t, c, "", admin, "auth", "can-i", "create", "accessentries.kubeiam.io", sa); strings.TrimSpace(r.Stdout) != "yes" {
		t.Errorf("kubeiam cannot create access entries: %q %s", r.Stdout, r.Stderr)
	}
	// CreateAccessEntry's clientRequestTokens are claimed as RequestTokens.
	for _, verb := range []string{"get", "create", "delete"} {
		if r := kubectl(t, c, "", admin, "auth", "can-i", verb, "requesttokens.kubeiam.io", sa); strings.TrimSpace(r.Stdout) != "yes" {
			t.Errorf("kubeiam cannot %s request tokens: %q %s", verb, r.Stdout, r.Stderr)
		}
	}
	t.Run("AccessEntry", func(t *testing.T) { exerciseAccessEntries(t, c) })
	t.Run("AccessConfig", func(t *testing.T) { exerciseAccessConfig(t, c) })
}

func accessEntryYAML(t *testing.T, name, principal, extra string) string {
	t.Helper()
	if name == "" {
		var err error
		if name, err = v1alpha1.AccessEntryName(principal); err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("apiVersion: kubeiam.io/v1alpha1\nkind: AccessEntry\nmetadata:\n  name: %s\nspec:\n  principalArn: %s\n  type: STANDARD\n%s", name, principal, extra)
}

// applyYAML runs "kubectl apply -f" of doc.
func applyYAML(t *testing.T, c *harness.Cluster, doc string) result {
	t.Helper()
	f := filepath.Join(t.TempDir(), "object.yaml")
	if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubectl(t, c, "", c.AdminKubeconfig, "apply", "-f", f)
}

func mustRefuse(t *testing.T, r result, want string) {
	t.Helper()
	if r.Code == 0 || !strings.Contains(r.Stderr, want) {
		t.Fatalf("exit %d, want a refusal with %q; stderr: %s", r.Code, want, r.Stderr)
	}
}

func exerciseAccessEntries(t *testing.T, c *harness.Cluster) {
	const dev = "arn:aws:iam::111122223333:role/Dev"
	good := accessEntryYAML(t, "", dev, "  kubernetesGroups: [devs]\n  accessPolicies:\n  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\n    accessScope: {type: namespace, namespaces: [dev]}\n")
	mustSucceed(t, applyYAML(t, c, good))
	name, _ := v1alpha1.AccessEntryName(dev)
	got := mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "get", "accessentry", name, "-o", "jsonpath={.spec.kubernetesGroups[0]}"))
	if got.Stdout != "devs" {
		t.Errorf("stored groups %q", got.Stdout)
	}
	// CEL, in the CRD.
	mustRefuse(t, applyYAML(t, c, accessEntryYAML(t, "", "arn:aws:iam::111122223333:role/Ops", "  kubernetesGroups: [system:masters]\n")),
		"kubernetesGroups cannot start with system:")
	mustRefuse(t, applyYAML(t, c, accessEntryYAML(t, "", dev, "  accessPolicies:\n  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\n    accessScope: {type: cluster, namespaces: [dev]}\n")),
		"a namespace scope needs at least one namespace and a cluster scope takes none")
	mustRefuse(t, applyYAML(t, c, accessEntryYAML(t, "", "arn:aws:iam::111122223333:role/Ops", "  username: ops{{SessionName}}\n")),
		"a username with {{SessionName}} or {{SessionNameRaw}} must include a colon before it")
	// EKS Auto Mode node roles: type EC2, with AmazonEKSAutoNodePolicy only.
	const autoNode = "arn:aws:iam::111122223333:role/AutoNode"
	ec2 := func(policy string) string {
		return strings.Replace(accessEntryYAML(t, "", autoNode, "  accessPolicies:\n  - policyArn: arn:aws:eks::aws:cluster-access-policy/"+policy+"\n    accessScope: {type: cluster}\n"),
			"type: STANDARD", "type: EC2", 1)
	}
	mustRefuse(t, applyYAML(t, c, ec2("AmazonEKSViewPolicy")), "access entries of type EC2 take only the AmazonEKSAutoNodePolicy access policy")
	mustSucceed(t, applyYAML(t, c, ec2("AmazonEKSAutoNodePolicy")))
	// kubeiam's admission webhook: what CEL cannot express.
	mustRefuse(t, applyYAML(t, c, accessEntryYAML(t, "dev", "arn:aws:iam::111122223333:role/Other", "")),
		`admission webhook "validate.kubeiam.io" denied the request: InvalidParameterException: The AccessEntry of arn:aws:iam::111122223333:role/Other must be named`)
	mustRefuse(t, applyYAML(t, c, accessEntryYAML(t, "", "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", "")),
		"Service Linked Role")
	mustRefuse(t, applyYAML(t, c, accessEntryYAML(t, "", dev, "  accessPolicies:\n  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSNoSuchPolicy\n    accessScope: {type: cluster}\n")),
		"ResourceNotFoundException: The specified policyArn arn:aws:eks::aws:cluster-access-policy/AmazonEKSNoSuchPolicy could not be found")
	mustRefuse(t, applyYAML(t, c, strings.Replace(accessEntryYAML(t, "", "arn:aws:iam::444455556666:role/Node", ""), "type: STANDARD", "type: EC2_LINUX", 1)),
		"Access entries of type EC2_LINUX must be for a role in the cluster's account, 111122223333, not 444455556666.")
}

func exerciseAccessConfig(t *testing.T, c *harness.Cluster) {
	cfg := func(mode string) string {
		return "apiVersion: kubeiam.io/v1alpha1\nkind: AccessConfig\nmetadata:\n  name: cluster\nspec:\n" +
			"  clusterName: " + c.ClusterID + "\n  region: us-east-1\n  accountId: \"111122223333\"\n" +
			"  authenticationMode: " + mode + "\n  bootstrapClusterCreatorAdminPermissions: true\n" +
			"  clusterCreatorArn: arn:aws:iam::111122223333:user/creator\n"
	}
	mustSucceed(t, applyYAML(t, c, cfg("API_AND_CONFIG_MAP")))
	mustRefuse(t, applyYAML(t, c, cfg("CONFIG_MAP")), "authentication mode changes are one-way")
	mustSucceed(t, applyYAML(t, c, cfg("API")))
	mustRefuse(t, applyYAML(t, c, strings.Replace(cfg("API"), "name: cluster", "name: other", 1)), "the AccessConfig must be named cluster")
}
