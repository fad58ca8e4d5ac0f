package cli

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/kube"
)

func offlineDiagDeps() (diagDeps, *bytes.Buffer) {
	var out bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &bytes.Buffer{}, Getenv: func(string) string { return "" },
		Now: func() time.Time { return authntest.Start }}
	return diagDeps{io: s}, &out
}

func TestExplainOffline(t *testing.T) {
	files := []string{"--aws-auth", "testdata/explain/aws-auth.yaml", "--access-entries", "testdata/explain/entries.json",
		"--creator", "arn:aws:iam::111122223333:user/creator", "--cluster-name", "prod"}
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"a role mapped with a path in CONFIG_MAP", []string{"--mode", "CONFIG_MAP", "--arn", "arn:aws:sts::111122223333:assumed-role/dev/alice"}, 0, "role-path.txt"},
		{"an entry ignored in CONFIG_MAP", []string{"--mode", "CONFIG_MAP", "--arn", "arn:aws:sts::111122223333:assumed-role/admin/bob"}, 1, "entry-ignored.txt"},
		{"an access policy allows with a namespace pattern", []string{"--mode", "API_AND_CONFIG_MAP", "--arn", "arn:aws:sts::111122223333:assumed-role/admin/bob",
			"--verb", "create", "--resource", "deployments", "--api-group", "apps", "-n", "prod-eu"}, 0, "policy-allows.txt"},
		{"an RBAC Role allows pods/log", []string{"--mode", "CONFIG_MAP", "--rbac", "testdata/explain/rbac.yaml", "--arn", "arn:aws:sts::111122223333:assumed-role/dev/alice",
			"--verb", "get", "--resource", "pods", "--subresource", "log", "-n", "default"}, 0, "rbac-allows.txt"},
		{"RBAC denies and the group has no binding", []string{"--mode", "CONFIG_MAP", "--rbac", "testdata/explain/rbac.yaml", "--arn", "arn:aws:sts::111122223333:assumed-role/dev/alice",
			"--verb", "delete", "--resource", "pods", "-n", "default"}, 1, "rbac-denies.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, out := offlineDiagDeps()
			_, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(d), append(files, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			golden(t, "explain"+"/"+tt.golden, out.String())
		})
	}
}

func TestExplainOfflineJSONAndSimpleEntries(t *testing.T) {
	d, out := offlineDiagDeps()
	_, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(d), "--access-entries", "testdata/explain/entries.yaml",
		"--arn", "arn:aws:iam::111122223333:user/ops", "--verb", "list", "--resource", "pods", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r explain.Report
	if err := jsonUnmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Mode != "API" || r.Code != explain.CodeAllowedByPolicy || r.Username != "arn:aws:iam::111122223333:user/ops" {
		t.Errorf("report = %+v", r)
	}
}

func TestExplainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--aws-auth", "testdata/explain/aws-auth.yaml", "--arn", "arn:aws:iam::111122223333:user/x", "--verb", "get"},
		{"--aws-auth", "testdata/explain/nosuch.yaml", "--arn", "arn:aws:iam::111122223333:user/x"},
		{"--aws-auth", "testdata/explain/aws-auth.yaml", "--mode", "SOMETIMES", "--arn", "arn:aws:iam::111122223333:user/x"},
		{"--aws-auth", "testdata/explain/aws-auth.yaml", "-o", "yaml", "--arn", "arn:aws:iam::111122223333:user/x"},
		{"--arn", "arn:aws:iam::111122223333:user/x"}, // no server
		{"--aws-auth", "testdata/explain/aws-auth.yaml", "--arn", "arn:aws:iam::111122223333:user/x", "--verb", "get", "--resource", "pods", "--path", "/api"},
		{"--aws-auth", "testdata/explain/aws-auth.yaml", "--arn", "arn:aws:iam::111122223333:user/x", "--verb", "get", "--path", "healthz"},
	} {
		d, _ := offlineDiagDeps()
		if _, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(d), args...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, errOut)
		}
	}
}

// TestExplainOnline asks the real server as the creator, a manager.
func TestExplainOnline(t *testing.T) {
	e := newDiagEnv(t, "CONFIG_MAP", map[string]string{awsauth.KeyMapUsers: "- userarn: " + authntest.DeveloperARN + "\n  username: developer\n"})
	tok := e.sts.Token(t, e.sts.UserCredentials(t, "creator"), authntest.ClusterID)
	_, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(e.deps(e.clock.Now)), "--server", e.server, "--token", tok,
		"--arn", "arn:aws:sts::111122223333:assumed-role/admin/alice", "--verb", "get", "--resource", "pods", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r explain.Report
	if err := jsonUnmarshal(e.out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Code != explain.CodeNotMapped || r.Mode != "CONFIG_MAP" || len(r.Fixes) == 0 {
		t.Errorf("report = %+v", r)
	}
	e.out.Reset()
	// The developer is no manager.
	dev := e.sts.Token(t, e.sts.UserCredentials(t, "developer"), authntest.ClusterID)
	if _, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(e.deps(e.clock.Now)), "--server", e.server, "--token", dev,
		"--arn", authntest.DeveloperARN); code != 1 || !strings.Contains(errOut, "403") {
		t.Errorf("developer: exit %d: %s", code, errOut)
	}
}

// Against the server, a request no access policy allows is decided with the
// live cluster's RBAC, read through the kubeconfig, and the output says so.
func TestExplainOnlineLiveRBAC(t *testing.T) {
	e := newDiagEnv(t, "CONFIG_MAP", map[string]string{awsauth.KeyMapUsers: "- userarn: " + authntest.DeveloperARN + "\n  username: developer\n  groups: [devs]\n"})
	tok := e.sts.Token(t, e.sts.UserCredentials(t, "creator"), authntest.ClusterID)
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "devs-view", Namespace: "default"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: "devs"}}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}}
	other := binding.DeepCopy()
	other.Subjects[0].Name = "ops"
	tests := []struct {
		name    string
		objects []runtime.Object
		connect error
		code    int
		want    explain.Code
		source  string
	}{
		{"a live RoleBinding of the caller's group allows it", []runtime.Object{binding}, nil, 0, explain.CodeAllowedByRBAC, "live (kubeconfig, context lab)"},
		{"no live binding names the caller's group", []runtime.Object{other}, nil, 1, explain.CodeNotAllowed, "live (kubeconfig, context lab)"},
		{"the cluster cannot be reached: RBAC decides, and explain says it could not look", nil, errors.New("no kubeconfig"), 0, explain.CodeRBACDecides, "none: no kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.out.Reset()
			d := e.deps(e.clock.Now)
			d.newKubeClient = func(o kube.ClientOptions) (kubernetes.Interface, error) {
				if o.Context != "lab" {
					t.Errorf("context %q, want lab", o.Context)
				}
				if tt.connect != nil {
					return nil, tt.connect
				}
				return fake.NewSimpleClientset(tt.objects...), nil
			}
			_, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(d), "--server", e.server, "--token", tok, "--context", "lab",
				"--arn", authntest.DeveloperARN, "--verb", "get", "--resource", "pods", "-n", "default", "-o", "json")
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			var r explain.Report
			if err := jsonUnmarshal(e.out.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			if r.Code != tt.want || r.RBACSource != tt.source {
				t.Errorf("code %s from %q, want %s from %q", r.Code, r.RBACSource, tt.want, tt.source)
			}
			if tt.want == explain.CodeNotAllowed && !slices.ContainsFunc(r.Findings, func(f explain.Finding) bool { return f.Code == explain.CodeGroupWithoutBinding }) {
				t.Errorf("findings %+v, want %s found live", r.Findings, explain.CodeGroupWithoutBinding)
			}
		})
	}
}

// Input files that are not what they should be are refused in words, as
// "kubeiam aws-auth validate" refuses them, never with the decoder's Go
// types (struct { Kind string "json:\"kind\"" ... }), and a key given twice
// is refused rather than resolved to one of its values.
func TestExplainRefusesBadInputFilesInWords(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const who = "arn:aws:iam::111122223333:user/x"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--aws-auth", file("scalar.yaml", "just garbage")}, "want a ConfigMap manifest or a map of data keys, got a YAML scalar"},
		{[]string{"--aws-auth", file("utf16.yaml", "\xff\xfe garbage")}, "not UTF-8 text (an invalid byte at offset 0)"},
		{[]string{"--aws-auth", file("list.yaml", "- a\n- b\n")}, "want a ConfigMap manifest or a map of data keys, got a YAML list"},
		{[]string{"--aws-auth", file("twice.yaml", "mapUsers: |\n  []\nmapUsers: |\n  - userarn: "+who+"\n    username: x\n    groups: [system:masters]\n")}, "mapUsers"},
		{[]string{"--aws-auth", file("secret.yaml", "apiVersion: v1\nkind: Secret\ndata: {}\n")}, "not a v1 ConfigMap"},
		{[]string{"--aws-auth", file("ok.yaml", "{}"), "--rbac", file("rbac.yaml", "just a string")}, `want RBAC objects (Role, ClusterRole, RoleBinding, ClusterRoleBinding) or a List of them, as "kubectl get ... -o yaml" prints, got a YAML scalar`},
	} {
		d, _ := offlineDiagDeps()
		args := append(tt.args, "--arn", who, "--mode", "CONFIG_MAP")
		_, errOut, code := runDiagCmd(t, newExplainCommandWithDeps(d), args...)
		if code != 2 || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "Go value") || strings.Contains(errOut, "struct {") {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 saying %q", args, code, errOut, tt.want)
		}
	}
}
