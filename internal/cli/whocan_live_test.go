package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/console"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/review"
)

// liveCluster is the Kubernetes side of a live who-can: aws-auth maps the
// admin role into group ops, bound in prod to edit.
func liveCluster() kubernetes.Interface {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data: map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/admin\n  username: ops\n  groups: [ops]\n"}}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops-edit", Namespace: "prod"},
		RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"},
		Subjects: []rbacv1.Subject{{Kind: "Group", Name: "ops"}}}
	return fake.NewClientset(cm, rb)
}

// TestWhoCanLive reads the mode and entries through the real API (over
// loopback, as the creator) and aws-auth and RBAC through a clientset.
func TestWhoCanLive(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	for _, args := range [][]string{
		{"update-config", "--authentication-mode", "API_AND_CONFIG_MAP"},
	} {
		if _, errOut, code := runAccess(t, endpoint, newClusterCommand, args...); code != 0 {
			t.Fatal(errOut)
		}
	}
	if _, errOut, code := runAccess(t, endpoint, newAccessEntryCommand, "create", "--principal-arn", devARN); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := runAccess(t, endpoint, newAccessPolicyCommand, "associate", "--principal-arn", devARN,
		"--policy-arn", "AmazonEKSViewPolicy", "--scope", "namespace", "--namespaces", "prod"); code != 0 {
		t.Fatal(errOut)
	}
	var out, errOut bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Now: time.Now,
		Getenv: func(k string) string {
			switch k {
			case "KUBEIAM_ENDPOINT":
				return endpoint
			case "KUBEIAM_CLUSTER":
				return "kubeiam-dev"
			}
			return ""
		}}
	d := defaultWhoCanDeps(s)
	d.kube = func(kube.ClientOptions) (kubernetes.Interface, error) { return liveCluster(), nil }
	code := execute(context.Background(), newWhoCanCommandWithDeps(d), &errOut, []string{"get", "pods", "-n", "prod", "-o", "json"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r review.Result
	if err := jsonUnmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]review.PathKind{}
	for _, a := range r.Allowed {
		got[a.Principal.Principal] = a.Paths[0].Kind
	}
	want := map[string]review.PathKind{
		"arn:aws:iam::111122223333:user/creator": review.PathAccessPolicy, // its bootstrap entry
		devARN:                                   review.PathAccessPolicy,
		"arn:aws:iam::111122223333:role/admin":   review.PathRBAC,
	}
	if r.Mode != "API_AND_CONFIG_MAP" || len(got) != len(want) {
		t.Fatalf("mode %s, allowed %v, want %v", r.Mode, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// TestConsoleBackendUsesTheAPI runs the console's backend against the real
// API: a change, the list, and an EKS error as the CLI shows it.
func TestConsoleBackendUsesTheAPI(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	s := IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Now: time.Now, Getenv: func(string) string { return "" }}
	f := &consoleFlags{}
	f.eks = eksOptions{endpoint: endpoint, clusterName: "kubeiam-dev", auth: "token", output: "table"}
	wc := defaultWhoCanDeps(s)
	wc.kube = func(kube.ClientOptions) (kubernetes.Interface, error) { return liveCluster(), nil }
	f.kubeconfig = "fake"
	b := &consoleBackend{d: defaultDiagDeps(s), wc: wc, f: f}
	b.eks = func(ctx context.Context) (*eks.Client, error) { return wc.eks(ctx, &f.eks) }
	ctx := context.Background()
	var _ console.Backend = b
	err := b.CreateEntry(ctx, console.EntryRequest{PrincipalARN: devARN})
	if err == nil || !strings.Contains(err.Error(), "InvalidRequestException") {
		t.Fatalf("create in CONFIG_MAP: %v, want the EKS error", err)
	}
	if err := b.SetMode(ctx, "API_AND_CONFIG_MAP"); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateEntry(ctx, console.EntryRequest{PrincipalARN: devARN, Groups: []string{"devs"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Associate(ctx, devARN, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}); err != nil {
		t.Fatal(err)
	}
	es, err := b.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var dev *console.Entry
	for i := range es {
		if es[i].PrincipalARN == devARN {
			dev = &es[i]
		}
	}
	if dev == nil || len(dev.Policies) != 1 || dev.Policies[0].Scope.String() != "namespace [dev]" {
		t.Fatalf("entries = %+v", es)
	}
	a, err := b.AWSAuth(ctx)
	if err != nil || a.Document == nil || len(a.Document.Roles) != 1 {
		t.Fatalf("aws-auth = %+v, %v", a, err)
	}
	in, err := b.ReviewInput(ctx)
	if err != nil || in.Mode != "API_AND_CONFIG_MAP" || in.RBAC == nil || len(in.Entries) != 2 {
		t.Fatalf("review input = %+v, %v", in, err)
	}
	if err := b.DeleteEntry(ctx, devARN); err != nil {
		t.Fatal(err)
	}
}
