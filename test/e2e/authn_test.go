package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// unauthorized is what kubectl prints when kube-apiserver answers 401.
const unauthorized = "error: You must be logged in to the server (Unauthorized)\n"

// kubernetesService is "kubectl get svc" listing only the kubernetes
// service, whatever its age.
var kubernetesService = regexp.MustCompile(`^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE\n` +
	`kubernetes +ClusterIP +10\.0\.0\.1 +<none> +443/TCP +\S+\n$`)

// Scenario 1: the cluster creator is an administrator without any mapping:
// the real kubectl, with "kubeiam token" as its exec plugin, lists services.
func TestCreatorListsServicesWithoutMapping(t *testing.T) {
	c := cluster(t)

	// "Without any mapping": there is no aws-auth ConfigMap at all.
	r := kubectl(t, c, "", c.AdminKubeconfig, "get", "configmap", "aws-auth", "-n", "kube-system")
	if want := `Error from server (NotFound): configmaps "aws-auth" not found` + "\n"; r.Code != 1 || r.Stderr != want {
		t.Fatalf("aws-auth lookup: exit %d, stderr %q; want exit 1, %q", r.Code, r.Stderr, want)
	}

	r = mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser), "get", "svc"))
	if !kubernetesService.MatchString(r.Stdout) || r.Stderr != "" {
		t.Errorf("kubectl get svc as creator:\nstdout %q\nstderr %q\nwant stdout matching %s", r.Stdout, r.Stderr, kubernetesService)
	}

	r = mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser),
		"auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"))
	if want := `kubernetes-admin ["system:masters","system:authenticated"]`; r.Stdout != want {
		t.Errorf("kubectl auth whoami as creator = %q, want %q", r.Stdout, want)
	}

	creator, _ := c.Profile(localsts.DevCreatorUser)
	granted := c.Kubeiam.Decisions().Query(decisionlog.Filter{ARN: creator.ARN, Decision: decisionlog.Granted}, 0)
	if len(granted) == 0 {
		t.Fatalf("no granted decision for %s in the decision log", creator.ARN)
	}
	if got := granted[len(granted)-1]; got.Username != "kubernetes-admin" || !strings.Contains(strings.Join(got.Groups, ","), "system:masters") {
		t.Errorf("creator decision: username %q groups %v, want kubernetes-admin in system:masters", got.Username, got.Groups)
	}
}

// Scenario 2: an IAM user mapped nowhere is Unauthorized, and kubeiam's log
// says why.
func TestUnmappedDeveloperIsUnauthorized(t *testing.T) {
	c := cluster(t)
	developer, _ := c.Profile(localsts.DevDeveloperUser)
	waitUnmapped(t, c, localsts.DevDeveloperUser)

	r := kubectl(t, c, localsts.DevDeveloperUser, c.Kubeconfig(localsts.DevDeveloperUser), "get", "svc")
	if r.Code != 1 || r.Stdout != "" || r.Stderr != unauthorized {
		t.Errorf("kubectl get svc as developer: exit %d\nstdout %q\nstderr %q\nwant exit 1 and stderr %q", r.Code, r.Stdout, r.Stderr, unauthorized)
	}

	denied := c.Kubeiam.Decisions().Query(decisionlog.Filter{ARN: developer.ARN, Decision: decisionlog.Denied}, 0)
	if len(denied) == 0 || denied[len(denied)-1].Error != "ARN is not mapped" {
		t.Errorf("decision log for %s: %+v, want a denial with error \"ARN is not mapped\"", developer.ARN, denied)
	}
	line := logLine(c.KubeiamLog(), `msg="access denied"`, "arn="+developer.ARN)
	if line == "" {
		t.Fatalf("kubeiam logged no access denied for %s; log:\n%s", developer.ARN, c.KubeiamLog())
	}
	if !strings.Contains(line, `error="ARN is not mapped"`) {
		t.Errorf("kubeiam's denial of %s does not say the ARN is not mapped:\n%s", developer.ARN, line)
	}
}

// logLine returns the last line of log containing every one of parts, or "".
func logLine(log string, parts ...string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(lines[i], p)
		}
		if ok {
			return lines[i]
		}
	}
	return ""
}
