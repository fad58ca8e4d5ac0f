package lab

import (
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
)

// The exercise suggests only fixes the cluster's authentication mode can
// apply: no aws-auth edit in API (which ignores aws-auth), access entries
// in CONFIG_MAP only after the mode change that makes them count, and
// never system:masters for the developer.
func TestFixStepsFitTheMode(t *testing.T) {
	for _, tt := range []struct {
		mode      access.Mode
		want, not []string
	}{
		{access.ModeConfigMap,
			[]string{"# 3. Fix it in aws-auth", "apply -f $KUBEIAM_LAB/aws-auth.yaml", "--groups developers", "# 4. Or fix it with access entries",
				"update-config --profile creator --authentication-mode API_AND_CONFIG_MAP\n  k access-entry create", "# 5. All of it in the web console"},
			[]string{"system:masters\n", "--authentication-mode API\n", "# 6."}},
		{access.ModeAPIAndConfigMap,
			[]string{"# 3. Fix it in aws-auth", "# 4. Or fix it with access entries", "k access-entry create", "# 5. All of it"},
			[]string{"system:masters\n", "update-config", "# 6."}},
		{access.ModeAPI,
			[]string{"# 3. Fix it with access entries", "which ignores aws-auth", "k access-entry create", "AmazonEKSViewPolicy", "# 4. All of it"},
			[]string{"aws-auth add-user", "apply -f", "configmap", "update-config", "# 5."}},
	} {
		t.Run(string(tt.mode), func(t *testing.T) {
			got := fixSteps(fixInput{mode: tt.mode, admin: "$KUBEIAM_LAB/admin.kubeconfig", awsAuthFile: "$KUBEIAM_LAB/aws-auth.yaml",
				kubeiam: "k", developer: "arn:aws:iam::111122223333:user/developer", server: "https://127.0.0.1:1", caFile: "/ca.crt"})
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("suggests %q, which does not apply in %s:\n%s", n, tt.mode, got)
				}
			}
		})
	}
}

// The aws-auth fix maps the developer in a group bound to view, not in
// system:masters.
func TestAWSAuthFixIsLeastAccess(t *testing.T) {
	m := exercise{developer: harness.AWSProfile{Name: "developer", ARN: "arn:aws:iam::111122223333:user/developer"}}.awsAuthManifest()
	for _, w := range []string{"- userarn: arn:aws:iam::111122223333:user/developer", "- developers\n", "kind: ClusterRoleBinding", "name: view", "name: developers\n"} {
		if !strings.Contains(m, w) {
			t.Errorf("the aws-auth fix lacks %q:\n%s", w, m)
		}
	}
	if strings.Contains(m, "- system:masters") {
		t.Errorf("the aws-auth fix maps the developer in system:masters:\n%s", m)
	}
}
