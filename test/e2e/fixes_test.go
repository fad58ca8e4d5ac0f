package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// The fixes "kubeiam explain" prints for a cluster manager are run
// verbatim, through sh -c, as the manager would paste them, and the user's
// original command must then succeed: a fix that leaves the user Forbidden
// is no fix (issue 11, "Done means").

var developerARN = "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser

// listPods is the developer's original command: "kubectl get pods" lists,
// so explain is asked about the verb list.
var (
	listPods       = []string{"get", "pods", "-n", "default"}
	listPodsReview = []string{"--verb", "list", "--resource", "pods", "--namespace", "default"}
)

// firstFix returns the command of the first fix in explain's text output
// (internal/explain/render.go): its "kubeiam:" line, or its "kubectl:"
// line when it has no kubeiam one.
func firstFix(t *testing.T, out string) string {
	t.Helper()
	_, fixes, ok := strings.Cut(out, "\nfixes\n")
	if !ok {
		t.Fatalf("explain printed no fixes:\n%s", out)
	}
	var kubectlLine string
	for i, line := range strings.Split(fixes, "\n") {
		line = strings.TrimSpace(line)
		if i > 0 && strings.HasPrefix(line, "2. ") {
			break
		}
		if cmd, ok := strings.CutPrefix(line, "kubeiam: "); ok {
			return cmd
		}
		if cmd, ok := strings.CutPrefix(line, "kubectl: "); ok && kubectlLine == "" {
			kubectlLine = cmd
		}
	}
	if kubectlLine == "" {
		t.Fatalf("the first fix has no command:\n%s", fixes)
	}
	return kubectlLine
}

// managerEnv is the shell of the cluster's manager: the creator's AWS
// profile, the admin kubeconfig in KUBECONFIG, kubeiam and kubectl on PATH.
// It exports what the lab's env files export (internal/lab/exercise.go),
// so that a printed kubeiam command runs with no extra flag.
func managerEnv(c *harness.Cluster) []string {
	return onPath(append(c.Env(localsts.DevCreatorUser), "KUBECONFIG="+c.AdminKubeconfig,
		"KUBEIAM_CLUSTER="+c.ClusterID, "KUBEIAM_ENDPOINT="+c.STSURL, "AWS_ENDPOINT_URL_STS="+c.STSURL,
		"KUBEIAM_WEBHOOK="+c.Kubeiam.URL(""), "KUBEIAM_CA="+c.Kubeiam.Bundle().CAFile))
}

// paste runs a printed fix through sh -c in the manager's shell, in a
// directory of its own (a live aws-auth change writes its backup to the
// working directory).
func paste(t *testing.T, c *harness.Cluster, fix string) {
	t.Helper()
	mustSucceed(t, shell(t, managerEnv(c), "cd "+t.TempDir()+" && "+fix))
}

// explainAsManager runs the diagnosis a cluster manager runs for the
// developer's request, with live RBAC read through the admin kubeconfig.
func explainAsManager(t *testing.T, c *harness.Cluster, arn string, request ...string) result {
	t.Helper()
	args := append([]string{"explain", "--arn", arn, "--color", "never", "--kubeconfig", c.AdminKubeconfig}, request...)
	return run(t, managerEnv(c), kubeiamBinary(), append(args, serverFlags(c)...)...)
}

// explainGolden compares explain's text output with testdata/name, with
// what changes from run to run (times, the ConfigMap's resourceVersion)
// replaced by names.
func explainGolden(t *testing.T, c *harness.Cluster, name, out string) {
	t.Helper()
	out = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`).ReplaceAllString(normalize(c, out), "$$TIME")
	// Whether kube-apiserver may still hold a cached login depends on how
	// long ago the caller last succeeded, which a loaded machine stretches:
	// the finding is not part of what the golden file pins.
	out = regexp.MustCompile(`(?m)^  info KUBE_APISERVER_CACHE: .*\n`).ReplaceAllString(out, "")
	goldenE2E(t, name, regexp.MustCompile(`version \d+`).ReplaceAllString(out, "version $$N"))
}

// untilSucceeds waits for the command, run with kubeconfig as the AWS
// profile, to succeed: the aws-auth watch applies a change within moments,
// and kube-apiserver keeps a denial for its webhook cache's TTL.
func untilSucceeds(t *testing.T, c *harness.Cluster, profile, kubeconfig string, args ...string) {
	t.Helper()
	eventually(t, "kubectl "+strings.Join(args, " ")+" as "+profile, func() string {
		if r := kubectl(t, c, profile, kubeconfig, args...); r.Code != 0 {
			return fmt.Sprintf("exit %d: %s", r.Code, r.Stderr)
		}
		return ""
	})
}

// untilForbidden waits until kubectl, run as profile, is Forbidden.
func untilForbidden(t *testing.T, c *harness.Cluster, profile, kubeconfig string, args ...string) {
	t.Helper()
	eventually(t, "kubectl "+strings.Join(args, " ")+" as "+profile+" to be Forbidden", func() string {
		if r := kubectl(t, c, profile, kubeconfig, args...); !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			return fmt.Sprintf("exit %d %q", r.Code, r.Stderr)
		}
		return ""
	})
}

// Not mapped: the fix maps the developer in aws-auth in a group, and binds
// that group to the least ClusterRole that allows the request.
func TestFixNotMapped(t *testing.T) {
	c := freshCluster(t)
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	untilUnauthorized(t, c.Env(""), kc)
	r := explainAsManager(t, c, developerARN, listPodsReview...)
	if r.Code != 1 || !strings.Contains(r.Stdout, "ARN_NOT_MAPPED") {
		t.Fatalf("explain: exit %d, want 1 and ARN_NOT_MAPPED:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	explainGolden(t, c, "explain-fix-not-mapped.txt", r.Stdout)
	fix := firstFix(t, r.Stdout)
	if strings.Contains(fix, "system:masters") {
		t.Errorf("the default fix grants system:masters: %s", fix)
	}
	paste(t, c, fix)
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
}

// Group without RBAC binding, found live: the developer is mapped in a
// group nothing binds, so kubectl says Forbidden; the fix binds the group.
func TestFixGroupWithoutBinding(t *testing.T) {
	c := freshCluster(t)
	applyAWSAuthUsers(t, c, "- userarn: "+developerARN+"\n  username: developer\n  groups: [devs]\n")
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	untilForbidden(t, c, localsts.DevDeveloperUser, kc, listPods...)
	r := explainAsManager(t, c, developerARN, listPodsReview...)
	for _, w := range []string{"GROUP_WITHOUT_BINDING", "RBAC from:      live"} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("explain output lacks %q:\n%s%s", w, r.Stdout, r.Stderr)
		}
	}
	explainGolden(t, c, "explain-fix-group-without-binding.txt", r.Stdout)
	paste(t, c, firstFix(t, r.Stdout))
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
}

// ssoSessionARN is the session ARN STS returns for the Identity Center
// role: no path, as a manager reads it in the server's log.
var ssoSessionARN = "arn:aws:sts::" + localsts.DevAccount + ":assumed-role/" + localsts.DevSSORole + "/bob"

// ssoKubeconfig is a kubeconfig that assumes the Identity Center role by
// its ARN with the path, as the developer.
func ssoKubeconfig(t *testing.T, c *harness.Cluster) string {
	t.Helper()
	kc, err := c.WriteKubeconfig("h-sso", localsts.DevDeveloperUser,
		"--role-arn", ssoRolePathARN, "--session-name", "bob", "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// Identity Center role, not mapped: the fix maps the role (without its
// path, as EKS requires) and binds its group.
func TestFixIdentityCenterRole(t *testing.T) {
	c := freshCluster(t)
	kc := ssoKubeconfig(t, c)
	untilUnauthorized(t, c.Env(""), kc)
	r := explainAsManager(t, c, ssoSessionARN, listPodsReview...)
	if r.Code != 1 || !strings.Contains(r.Stdout, "ARN_NOT_MAPPED") {
		t.Fatalf("explain: exit %d, want 1 and ARN_NOT_MAPPED:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	explainGolden(t, c, "explain-fix-identity-center-role.txt", r.Stdout)
	fix := firstFix(t, r.Stdout)
	if strings.Contains(fix, "aws-reserved") || strings.Contains(fix, "system:masters") {
		t.Errorf("the fix maps the role with its path, or grants system:masters: %s", fix)
	}
	paste(t, c, fix)
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
}

// Role mapped with its path: kubeiam accepts it, EKS would not. explain
// warns and prints one "add-role --update" step, which the last-admin
// guard accepts for the only system:masters mapping; pasted, the mapping
// has no path and the role still administers the cluster.
func TestFixRoleMappedWithPath(t *testing.T) {
	c := freshCluster(t)
	applyAWSAuth(t, c, "- rolearn: "+ssoRolePathARN+"\n  username: sso:{{SessionName}}\n  groups: [system:masters]\n")
	kc := ssoKubeconfig(t, c)
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, "get", "namespaces")
	r := explainAsManager(t, c, ssoSessionARN, "--verb", "list", "--resource", "namespaces")
	if !strings.Contains(r.Stdout, "ROLE_PATH_IN_MAPPING") {
		t.Fatalf("explain: exit %d, want ROLE_PATH_IN_MAPPING:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	explainGolden(t, c, "explain-fix-role-path.txt", r.Stdout)
	fix := firstFix(t, r.Stdout)
	paste(t, c, fix)
	cm := mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "get", "configmap", "aws-auth", "-n", "kube-system", "-o", "jsonpath={.data.mapRoles}"))
	if strings.Contains(cm.Stdout, "aws-reserved") || !strings.Contains(cm.Stdout, ":role/"+localsts.DevSSORole) {
		t.Errorf("after %q, mapRoles still has the path or lost the role:\n%s", fix, cm.Stdout)
	}
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, "get", "namespaces")
}

// Mapped only in aws-auth while the mode is API: the fix is the access
// entry that does what the ignored mapping did.
func TestFixMappedOnlyInAWSAuthInAPIMode(t *testing.T) {
	c := freshCluster(t)
	applyAWSAuthUsers(t, c, "- userarn: "+developerARN+"\n  username: developer\n  groups: [h-devs]\n")
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "clusterrolebinding", "h-devs-view", "--clusterrole", "view", "--group", "h-devs"))
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	// --force: cutting the developer off is the state under test.
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API", "--force"))
	untilUnauthorized(t, c.Env(""), kc)
	r := explainAsManager(t, c, developerARN, listPodsReview...)
	if r.Code != 1 || !strings.Contains(r.Stdout, "AWS_AUTH_IGNORED_API_MODE") {
		t.Fatalf("explain: exit %d, want 1 and AWS_AUTH_IGNORED_API_MODE:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	explainGolden(t, c, "explain-fix-aws-auth-api-mode.txt", r.Stdout)
	paste(t, c, firstFix(t, r.Stdout))
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
}

// Creator identity no longer usable: after the switch to
// API_AND_CONFIG_MAP the creator's admin is an access entry; deleted, the
// creator is Unauthorized. The creator runs explain about itself (the
// access-management API stays open to it) and pastes the fix.
func TestFixCreatorNoLongerUsable(t *testing.T) {
	c := freshCluster(t)
	creator, _ := c.Profile(localsts.DevCreatorUser)
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "delete", "--principal-arn", creator.ARN))
	kc := c.Kubeconfig(localsts.DevCreatorUser)
	untilUnauthorized(t, c.Env(""), kc)
	r := explainAsManager(t, c, creator.ARN, "--verb", "list", "--resource", "namespaces")
	if r.Code != 1 || !strings.Contains(r.Stdout, "CREATOR_NOT_IMPLICIT") {
		t.Fatalf("explain: exit %d, want 1 and CREATOR_NOT_IMPLICIT:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	explainGolden(t, c, "explain-fix-creator.txt", r.Stdout)
	paste(t, c, firstFix(t, r.Stdout))
	untilSucceeds(t, c, localsts.DevCreatorUser, kc, "get", "namespaces")
}

// Token for another cluster: the kubeconfig's plugin mints tokens for
// another cluster ID, which STS refuses as SignatureDoesNotMatch. doctor
// names WRONG_CLUSTER_ID and prints the kubectl command that sets the
// right ID; pasted, the user's kubectl works.
func TestFixTokenForAnotherCluster(t *testing.T) {
	c := cluster(t)
	kc, err := c.WriteKubeconfig("h-other-cluster", localsts.DevCreatorUser)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	arg := regexp.MustCompile(`(- --cluster-(?:id|name)\n\s*- )` + regexp.QuoteMeta(c.ClusterID) + `\n`)
	if !arg.Match(b) {
		t.Fatalf("no --cluster-name %s in the plugin's args:\n%s", c.ClusterID, b)
	}
	if err := os.WriteFile(kc, arg.ReplaceAll(b, []byte("${1}another-cluster\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	env := onPath(c.Env(""))
	untilUnauthorized(t, env, kc)
	r := doctor(t, c, env, kc)
	if r.Code != 1 || !strings.Contains(r.Stdout, "WRONG_CLUSTER_ID") {
		t.Fatalf("doctor: exit %d, want 1 and WRONG_CLUSTER_ID\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	goldenE2E(t, "doctor-fix-token-for-another-cluster.txt", normalize(c, failure(r.Stdout), kc, "$KUBECONFIG"))
	fix := printedFix(t, failure(r.Stdout), "kubectl ")
	mustSucceed(t, shell(t, env, fix))
	untilOK(t, env, kc, "get", "svc")
}

// Rejected aws-auth edit: the edit that adds the developer has an
// unclosed bracket, the server keeps the last good version, and the
// developer stays Unauthorized. explain names the rejected version and
// prints the edit to make and the check to run; the printed kubectl edit is
// pasted with an editor that makes the correction a user would type, then
// the printed check passes and the developer's kubectl works.
func TestFixRejectedAWSAuthEdit(t *testing.T) {
	c := freshCluster(t)
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "clusterrolebinding", "h-devs-view", "--clusterrole", "view", "--group", "h-devs"))
	applyAWSAuthUsers(t, c, "- userarn: "+developerARN+"\n  username: developer\n  groups: [h-devs\n")
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	untilUnauthorized(t, c.Env(""), kc)
	var r result
	eventually(t, "explain to name the rejected version", func() string {
		r = explainAsManager(t, c, developerARN, listPodsReview...)
		if r.Code != 1 || !strings.Contains(r.Stdout, "AWS_AUTH_VERSION_REJECTED") {
			return fmt.Sprintf("exit %d:\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		return ""
	})
	explainGolden(t, c, "explain-fix-rejected-aws-auth.txt", r.Stdout)
	_, fixes, _ := strings.Cut(r.Stdout, "\nfixes\n")
	edit, check := printedFix(t, fixes, "kubectl edit "), printedFix(t, fixes, "kubeiam aws-auth validate")
	env := append(managerEnv(c), `KUBE_EDITOR=sed -i -e 's/\[h-devs$/[h-devs]/'`)
	mustSucceed(t, run(t, env, "/bin/sh", "-c", edit))
	mustSucceed(t, shell(t, managerEnv(c), check))
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
}
