package e2e

import (
	"fmt"
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
func managerEnv(c *harness.Cluster) []string {
	return onPath(append(c.Env(localsts.DevCreatorUser), "KUBECONFIG="+c.AdminKubeconfig))
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
	paste(t, c, firstFix(t, r.Stdout))
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, listPods...)
}
