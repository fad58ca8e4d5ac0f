package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// The fixes "kubeiam explain" prints are run verbatim, through sh -c, as a
// cluster manager would paste them, and the user's original command must
// then succeed: a fix that leaves the user Forbidden is no fix.

var developerARN = "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser

// firstFix returns the command of the first fix in explain's text output:
// its kubeiam line, or its kubectl line when it has no kubeiam one.
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

// paste runs a printed fix through sh -c as the cluster's administrator:
// kubeiam and kubectl on PATH, the admin kubeconfig in KUBECONFIG.
func paste(t *testing.T, c *harness.Cluster, fix string) {
	t.Helper()
	env := append(c.Env(localsts.DevCreatorUser), "KUBECONFIG="+c.AdminKubeconfig,
		"PATH="+filepath.Dir(kubeiamBinary())+":"+filepath.Dir(kubectlPath)+":/usr/bin:/bin")
	// In a directory of its own: a live aws-auth change writes its backup
	// to the working directory.
	mustSucceed(t, run(t, env, "/bin/sh", "-c", "cd "+t.TempDir()+" && "+fix))
}

// explainAsManager runs the diagnosis a cluster manager runs for the
// developer's request, with live RBAC read through the admin kubeconfig.
func explainAsManager(t *testing.T, c *harness.Cluster, request ...string) result {
	t.Helper()
	args := append([]string{"explain", "--arn", developerARN, "--color", "never", "--kubeconfig", c.AdminKubeconfig}, request...)
	return run(t, c.Env(localsts.DevCreatorUser), kubeiamBinary(), append(args, serverFlags(c)...)...)
}

// untilSucceeds waits for the developer's command to succeed (the aws-auth
// watch applies a change within moments).
func untilSucceeds(t *testing.T, c *harness.Cluster, args ...string) {
	t.Helper()
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	eventually(t, "the developer's kubectl "+strings.Join(args, " "), func() string {
		if r := kubectl(t, c, localsts.DevDeveloperUser, kc, args...); r.Code != 0 {
			return fmt.Sprintf("exit %d: %s", r.Code, r.Stderr)
		}
		return ""
	})
}

// Not mapped: the fix maps the developer in aws-auth in a group, and binds
// that group to the least ClusterRole that allows the request.
func TestPastedFixNotMapped(t *testing.T) {
	c := freshCluster(t)
	want := []string{"get", "pods", "-n", "default"}
	// kubectl words a 401 differently until it has cached discovery.
	mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser), "get", "svc"))
	if r := kubectl(t, c, localsts.DevDeveloperUser, c.Kubeconfig(localsts.DevDeveloperUser), want...); r.Stderr != unauthorized {
		t.Fatalf("before the fix: exit %d %q, want Unauthorized", r.Code, r.Stderr)
	}
	r := explainAsManager(t, c, "--verb", "get", "--resource", "pods", "--namespace", "default")
	if r.Code != 1 || !strings.Contains(r.Stdout, "ARN_NOT_MAPPED") {
		t.Fatalf("explain: exit %d, want 1 and ARN_NOT_MAPPED:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	fix := firstFix(t, r.Stdout)
	if strings.Contains(fix, "system:masters") {
		t.Errorf("the default fix grants system:masters: %s", fix)
	}
	paste(t, c, fix)
	untilSucceeds(t, c, want...)
}

// Group without RBAC binding, found live: the developer is mapped in a
// group nothing binds, so kubectl says Forbidden; the fix binds the group.
func TestPastedFixGroupWithoutBinding(t *testing.T) {
	c := freshCluster(t)
	applyAWSAuthUsers(t, c, "- userarn: "+developerARN+"\n  username: developer\n  groups: [devs]\n")
	want := []string{"get", "pods", "-n", "default"}
	kc := c.Kubeconfig(localsts.DevDeveloperUser)
	eventually(t, "the developer to be Forbidden", func() string {
		if r := kubectl(t, c, localsts.DevDeveloperUser, kc, want...); !strings.HasPrefix(r.Stderr, forbiddenPrefix) {
			return fmt.Sprintf("exit %d %q", r.Code, r.Stderr)
		}
		return ""
	})
	r := explainAsManager(t, c, "--verb", "get", "--resource", "pods", "--namespace", "default")
	for _, w := range []string{"GROUP_WITHOUT_BINDING", "RBAC from:      live"} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("explain output lacks %q:\n%s%s", w, r.Stdout, r.Stderr)
		}
	}
	paste(t, c, firstFix(t, r.Stdout))
	untilSucceeds(t, c, want...)
}
