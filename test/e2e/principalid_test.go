package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// EKS binds an access entry to the principal's unique ID: a role deleted
// and recreated with the same name does not inherit its access entry until
// the entry is recreated (EKS API reference, AccessEntry, principalArn).
// Here the role is recreated in the local STS: the old entry no longer lets
// it in, "kubeiam explain" names why and prints the fix, and the pasted fix
// (the entry recreated) lets it in again.
func TestRecreatedRoleNeedsItsEntryRecreated(t *testing.T) {
	c := freshCluster(t)
	role := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", role))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", role,
		"--policy-arn", "AmazonEKSClusterAdminPolicy", "--scope", "cluster"))
	// --no-cache: every kubectl call assumes the role anew, as a session of
	// whichever role exists now.
	roleArgs := []string{"--role-arn", role, "--session-name", "vic", "--sts-endpoint", c.STSURL, "--no-cache"}
	kc, err := c.WriteKubeconfig("recreated-role", localsts.DevDeveloperUser, roleArgs...)
	if err != nil {
		t.Fatal(err)
	}
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, "get", "namespaces")

	if _, err := c.RecreateRole(role); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the recreated role to be Unauthorized", func() string {
		if r := kubectl(t, c, localsts.DevDeveloperUser, kc, "get", "namespaces"); r.Code != 1 || r.Stderr != unauthorized {
			return fmt.Sprintf("exit %d stderr %q, want %q", r.Code, r.Stderr, unauthorized)
		}
		return ""
	})
	if line := logLine(c.KubeiamLog(), `msg="access denied"`, "assumed-role/admin/vic"); !strings.Contains(line, "PRINCIPAL_RECREATED") {
		t.Errorf("the denial does not say the principal was recreated:\n%s", line)
	}

	// The user's own doctor says what happened and who fixes it.
	if r := doctor(t, c, c.Env(localsts.DevDeveloperUser), kc); !strings.Contains(r.Stdout+r.Stderr, "was deleted and recreated since its access entry was created") {
		t.Errorf("doctor does not name the recreated principal: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}

	// The manager explains the role session's token: STS's UserId shows
	// the recreated role.
	tok := strings.TrimSpace(mustSucceed(t, run(t, c.Env(localsts.DevDeveloperUser), kubeiamBinary(),
		append([]string{"token", "-i", c.ClusterID, "--token-only"}, roleArgs...)...)).Stdout)
	args := append([]string{"explain", "--token", tok, "--color", "never", "--live-rbac=false"}, serverFlags(c)...)
	r := run(t, managerEnv(c), kubeiamBinary(), args...)
	if r.Code != 1 {
		t.Errorf("explain of the recreated role: exit %d, want 1\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{"PRINCIPAL_RECREATED", "deleted and recreated", "recreate the access entry"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, r.Stdout)
		}
	}
	fix := firstFix(t, r.Stdout)
	want := "kubeiam access-entry delete --principal-arn " + role + " && kubeiam access-entry create --principal-arn " + role +
		" && kubeiam access-policy associate --principal-arn " + role
	if !strings.HasPrefix(fix, want) {
		t.Fatalf("fix = %q, want it to begin %q", fix, want)
	}
	paste(t, c, fix)
	untilSucceeds(t, c, localsts.DevDeveloperUser, kc, "get", "namespaces")
}
