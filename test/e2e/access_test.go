package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// freshCluster starts a control plane of the test's own: authentication
// mode changes are one-way, so tests that make them must not share the
// package's cluster.
func freshCluster(t *testing.T) *harness.Cluster {
	t.Helper()
	shared := cluster(t) // skips or fails exactly like the shared tests, and builds kubeiam
	_ = shared
	apiserver, err := harness.KubeAPIServerPath(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatal(err)
	}
	c, err := harness.Start(context.Background(), harness.Options{Dir: t.TempDir(), KubeAPIServer: apiserver, Etcd: etcd, Kubeiam: kubeiamBinary(),
		TokenPlugin: harness.TokenPluginNextTo(kubeiamBinary())})
	if err != nil {
		t.Fatalf("start a control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop the control plane: %v", err)
		}
	})
	return c
}

// kubeiamBinary is the kubeiam the shared control plane was built with.
func kubeiamBinary() string {
	if p := os.Getenv(kubeiamEnv); p != "" {
		return p
	}
	return filepath.Join(shared.dir, "kubeiam")
}

// kubeiamCLI runs "kubeiam ARGS" as an AWS profile against the cluster's
// access-management API (kubeiam's TLS listener, cluster-bound tokens).
func kubeiamCLI(t *testing.T, c *harness.Cluster, profile string, args ...string) result {
	t.Helper()
	all := append(args, "--endpoint-url", c.Kubeiam.URL(""), "--ca-file", c.Kubeiam.Bundle().CAFile, "--cluster-name", c.ClusterID)
	return run(t, c.Env(profile), kubeiamBinary(), all...)
}

const forbiddenPrefix = "Error from server (Forbidden): "

// Scenarios 6, 10, 7 and 8 (second half), in order, on one cluster:
// access entries and policies through the real chain.
func TestAccessEntriesAndModes(t *testing.T) {
	c := freshCluster(t)
	dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
	creator := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevCreatorUser
	devKC := c.Kubeconfig(localsts.DevDeveloperUser)
	creatorKC := c.Kubeconfig(localsts.DevCreatorUser)
	asDev := func(args ...string) result { return kubectl(t, c, localsts.DevDeveloperUser, devKC, args...) }
	asAdmin := func(args ...string) result { return kubectl(t, c, "", c.AdminKubeconfig, args...) }
	for _, ns := range []string{"dev", "prod"} {
		mustSucceed(t, asAdmin("create", "namespace", ns))
		mustSucceed(t, asAdmin("create", "configmap", "settings", "-n", ns, "--from-literal=a=b"))
	}

	t.Run("scenario 6: view policy scoped to a namespace, then edit", func(t *testing.T) {
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", dev))
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
			"--policy-arn", "AmazonEKSViewPolicy", "--scope", "namespace", "--namespaces", "dev"))

		if r := asDev("get", "configmaps", "-n", "dev", "-o", "name"); r.Code != 0 || !strings.Contains(r.Stdout, "configmap/settings") {
			t.Errorf("view in dev: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		if r := asDev("get", "configmaps", "-n", "prod"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			t.Errorf("view in prod: exit %d stderr %q, want Forbidden", r.Code, r.Stderr)
		}
		if r := asDev("delete", "configmap", "settings", "-n", "dev"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			t.Errorf("delete with view: exit %d stderr %q, want Forbidden", r.Code, r.Stderr)
		}
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
			"--policy-arn", "AmazonEKSEditPolicy", "--scope", "namespace", "--namespaces", "dev"))
		if r := asDev("delete", "configmap", "settings", "-n", "dev"); r.Code != 0 || r.Stdout != "configmap \"settings\" deleted\n" {
			t.Errorf("delete with edit: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		// AmazonEKSHybridPolicy, as the EKS reference lists it: list nodes,
		// nothing more (not even get one).
		if r := asDev("get", "nodes"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			t.Errorf("list nodes without the hybrid policy: exit %d stderr %q, want Forbidden", r.Code, r.Stderr)
		}
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
			"--policy-arn", "AmazonEKSHybridPolicy", "--scope", "cluster"))
		mustSucceed(t, asDev("get", "nodes"))
		if r := asDev("get", "node", "n1"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			t.Errorf("get a node with the hybrid policy: exit %d stderr %q, want Forbidden", r.Code, r.Stderr)
		}
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "disassociate", "--principal-arn", dev,
			"--policy-arn", "AmazonEKSHybridPolicy"))
		// AmazonARCRegionSwitchScalingPolicy, as the ARC guide lists and
		// associates it (namespace scope): get and update a workload's scale
		// subresource, not the workload itself, and no patch.
		mustSucceed(t, asAdmin("create", "deployment", "web", "-n", "prod", "--image=registry.invalid/web"))
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
			"--policy-arn", "AmazonARCRegionSwitchScalingPolicy", "--scope", "namespace", "--namespaces", "prod"))
		if r := asDev("get", "--raw", "/apis/apps/v1/namespaces/prod/deployments/web/scale"); r.Code != 0 || !strings.Contains(r.Stdout, `"kind":"Scale"`) {
			t.Errorf("get deployments/web/scale with the ARC policy: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		for _, q := range []struct {
			verb, resource, subresource, ns string
			yes                             bool
		}{
			{"update", "deployments.apps", "scale", "prod", true},
			{"get", "deployments.apps", "status", "prod", true},
			{"patch", "horizontalpodautoscalers.autoscaling", "", "prod", true},
			{"patch", "deployments.apps", "scale", "prod", false},
			{"update", "deployments.apps", "status", "prod", false},
			{"get", "deployments.apps", "", "prod", false},
			{"update", "statefulsets.apps", "scale", "kube-system", false},
		} {
			r := asDev("auth", "can-i", q.verb, q.resource, "--subresource="+q.subresource, "-n", q.ns)
			if got := r.Code == 0 && r.Stdout == "yes\n"; got != q.yes {
				t.Errorf("can-i %s %s (subresource %q) -n %s with the ARC policy: exit %d stdout %q, want yes=%v",
					q.verb, q.resource, q.subresource, q.ns, r.Code, r.Stdout, q.yes)
			}
		}
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "disassociate", "--principal-arn", dev,
			"--policy-arn", "AmazonARCRegionSwitchScalingPolicy"))
		// The creator keeps administrator access through its bootstrapped entry.
		mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, creatorKC, "get", "namespaces"))
	})

	t.Run("scenario 10: groups from an entry, permissions from RBAC", func(t *testing.T) {
		adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", adminRole, "--kubernetes-groups", "viewers"))
		mustSucceed(t, asAdmin("create", "clusterrole", "namespace-reader", "--verb=get,list,watch", "--resource=namespaces"))
		mustSucceed(t, asAdmin("create", "clusterrolebinding", "viewers-read-namespaces", "--clusterrole=namespace-reader", "--group=viewers"))
		kc, err := c.WriteKubeconfig("viewer", localsts.DevDeveloperUser, "--role-arn", adminRole, "--session-name", "vic", "--sts-endpoint", c.STSURL)
		if err != nil {
			t.Fatal(err)
		}
		r := whoami(t, c, localsts.DevDeveloperUser, kc)
		if want := "arn:aws:sts::111122223333:assumed-role/admin/vic " + `["viewers","system:authenticated"]`; r.Stdout != want {
			t.Errorf("whoami = %q, want %q", r.Stdout, want)
		}
		mustSucceed(t, kubectl(t, c, localsts.DevDeveloperUser, kc, "get", "namespaces"))
		if r := kubectl(t, c, localsts.DevDeveloperUser, kc, "get", "configmaps", "-n", "dev"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			t.Errorf("configmaps without a policy or binding: exit %d stderr %q, want Forbidden", r.Code, r.Stderr)
		}
	})

	t.Run("scenario 7: precedence and one-way modes", func(t *testing.T) {
		applyAWSAuthUsers(t, c, "- userarn: "+dev+"\n  username: dev-admin\n  groups: [system:masters]\n")
		// In API_AND_CONFIG_MAP the access entry wins over aws-auth's system:masters.
		r := whoami(t, c, localsts.DevDeveloperUser, devKC)
		if want := dev + ` ["system:authenticated"]`; r.Stdout != want {
			t.Errorf("whoami with both an entry and aws-auth = %q, want the entry's %q", r.Stdout, want)
		}
		if r := asDev("create", "namespace", "nope"); r.Code == 0 || !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			t.Errorf("create namespace: exit %d stderr %q, want Forbidden (the entry's view/edit only)", r.Code, r.Stderr)
		}
		// In API mode, aws-auth alone grants nothing.
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "delete", "--principal-arn", dev))
		// --force: aws-auth still maps the developer, which the pre-flight
		// check would refuse to cut off; cutting it off is the point here.
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API", "--force"))
		// kube-apiserver caches successful authentications for 10 seconds
		// (its built-in token success cache), so a revocation shows within that.
		eventually(t, "aws-auth alone in API mode to grant nothing", func() string {
			if r := asDev("get", "namespaces"); r.Code != 1 || r.Stderr != unauthorized {
				return fmt.Sprintf("exit %d stderr %q, want %q", r.Code, r.Stderr, unauthorized)
			}
			return ""
		})
		if line := logLine(c.KubeiamLog(), `msg="access denied"`, "arn="+dev); !strings.Contains(line, "ignored: authentication mode is API") {
			t.Errorf("the denial does not say aws-auth was ignored in API mode:\n%s", line)
		}
		r = kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "CONFIG_MAP")
		if r.Code != 1 || !strings.Contains(r.Stderr, "InvalidParameterException: Unsupported authentication mode update from API to CONFIG_MAP") {
			t.Errorf("going back to CONFIG_MAP: exit %d stderr %q", r.Code, r.Stderr)
		}
	})

	t.Run("scenario 8: recovery through the access-entry API", func(t *testing.T) {
		mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, creatorKC, "get", "namespaces"))
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "delete", "--principal-arn", creator))
		eventually(t, "the creator without its entry in API mode to be Unauthorized", func() string {
			if r := kubectl(t, c, localsts.DevCreatorUser, creatorKC, "get", "namespaces"); r.Code != 1 || r.Stderr != unauthorized {
				return fmt.Sprintf("exit %d stderr %q, want %q", r.Code, r.Stderr, unauthorized)
			}
			return ""
		})
		// The API stays open to the creator: the out-of-band recovery path.
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", creator))
		mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", creator,
			"--policy-arn", "AmazonEKSClusterAdminPolicy", "--scope", "cluster"))
		mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, creatorKC, "get", "namespaces"))
	})
}

// applyAWSAuthUsers writes the aws-auth ConfigMap with mapUsers.
func applyAWSAuthUsers(t *testing.T, c *harness.Cluster, mapUsers string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapUsers: |\n")
	for _, line := range strings.Split(strings.TrimRight(mapUsers, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "apply", "-f", path))
}
