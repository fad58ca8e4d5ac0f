package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/api"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
)

// migrateAWSAuth maps the dev server's admin (internal/server/dev.go), a
// node role, a role whose username access entries refuse (no colon before
// {{SessionName}}), and a user.
const migrateAWSAuth = `mapRoles: |
  - rolearn: arn:aws:iam::111122223333:role/admin
    username: admin:{{SessionName}}
    groups: [system:masters]
  - rolearn: arn:aws:iam::111122223333:role/NodeRole
    username: system:node:{{EC2PrivateDNSName}}
    groups: [system:bootstrappers, system:nodes]
  - rolearn: arn:aws:iam::111122223333:role/Custom
    username: custom{{SessionName}}
    groups: [devs]
mapUsers: |
  - userarn: arn:aws:iam::111122223333:user/developer
    username: developer
    groups: [devs]
`

// migrateAPI is kubeiam's access-management API (internal/api) and the
// local STS that verifies its callers' signatures, on one loopback server.
type migrateAPI struct {
	url   string
	store *store.Store
	creds aws.Credentials
}

func newMigrateAPI(t *testing.T) *migrateAPI {
	t.Helper()
	cfg := localsts.DevConfig(rand.Reader)
	sts, err := localsts.New(cfg, localsts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	const creator = "arn:aws:iam::111122223333:user/creator"
	if _, err := st.PutCluster(access.ClusterConfig{Name: "kubeiam-dev", Region: "us-east-1", AccountID: localsts.DevAccount,
		AuthenticationMode: access.ModeConfigMap, BootstrapClusterCreatorAdminPermissions: true, CreatorARN: creator,
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, 0); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Store: st, Authenticator: api.Chain{SigV4: api.SigV4Authenticator{Verify: sts.AuthenticateRequest}}, CreatorARN: creator})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/clusters/", h)
	mux.Handle("/access-policies", h)
	mux.Handle("/", sts)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	m := &migrateAPI{url: srv.URL, store: st}
	for _, u := range cfg.Accounts[0].Users {
		if u.Name == "creator" {
			m.creds = aws.Credentials{AccessKeyID: u.AccessKeys[0].AccessKeyID, SecretAccessKey: u.AccessKeys[0].SecretAccessKey}
		}
	}
	return m
}

// runMigrate runs "migrate args..." against the API and returns stdout,
// stderr as Main prints it, and the exit code.
func runMigrate(t *testing.T, m *migrateAPI, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{}
	if m != nil {
		env = map[string]string{"KUBEIAM_ENDPOINT": m.url, "KUBEIAM_CLUSTER": "kubeiam-dev"}
	}
	s := IO{Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	d := migrateDeps{IO: s, Sleep: func(time.Duration) {},
		NewClient: func(kube.ClientOptions) (kubernetes.Interface, error) {
			return nil, errors.New("no cluster in this test")
		},
		NewEKS: func(_ context.Context, o *migrateOptions) (*eks.Client, error) {
			if m == nil {
				return nil, errors.New("no API in this test")
			}
			return eks.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, HTTPClient: &http.Client{},
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return m.creds, nil })},
				func(eo *eks.Options) { eo.BaseEndpoint = aws.String(m.url) }), nil
		},
	}
	cmd := newMigrateCommandWith(d)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code := execute(context.Background(), cmd, &errOut, args)
	return out.String(), errOut.String(), code
}

func TestMigratePlanOffline(t *testing.T) {
	file := awsAuthTempFile(t, "aws-auth.yaml", migrateAWSAuth+"mapAccounts: |\n  - \"444455556666\"\n")
	entries := awsAuthTempFile(t, "entries.json", `[
 {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:user/developer", "username": "dev", "kubernetesGroups": ["devs"], "type": "STANDARD"}},
 {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:role/admin", "username": "admin:{{SessionName}}", "type": "STANDARD"},
  "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}]}
]`)
	out, stderr, code := runMigrate(t, nil, "plan", "-f", file, "--access-entries", entries)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "awsauth/"+"migrate-plan.golden", out)

	bad := awsAuthTempFile(t, "bad.json", `{"not": "a list"}`)
	if _, stderr, code := runMigrate(t, nil, "plan", "-f", file, "--access-entries", bad); code != 2 || !strings.Contains(stderr, "describe-access-entry") {
		t.Errorf("bad entries file: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runMigrate(t, nil, "plan", "-f", file); code != 2 || !strings.Contains(stderr, "--endpoint-url is required") {
		t.Errorf("no API: exit %d: %s", code, stderr)
	}
}

func TestMigrateApplyAgainstTheAPI(t *testing.T) {
	m := newMigrateAPI(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "aws-auth.yaml")
	if err := os.WriteFile(file, []byte(migrateAWSAuth), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runMigrate(t, m, "plan", "-f", file)
	if code != 0 || strings.Count(out, "  create: ") != 3 || !strings.Contains(out, "  manual: username custom{{SessionName}}: aws-auth takes {{SessionName}} anywhere, an access entry username only after a colon") {
		t.Fatalf("plan: exit %d: %s\n%s", code, stderr, out)
	}

	out, stderr, code = runMigrate(t, m, "apply", "-f", file)
	if code != 0 {
		t.Fatalf("apply: exit %d: %s\n%s", code, stderr, out)
	}
	for _, want := range []string{
		"mode: CONFIG_MAP → API_AND_CONFIG_MAP",
		"created arn:aws:iam::111122223333:role/NodeRole: EC2_LINUX entry",
		"associated arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy with arn:aws:iam::111122223333:role/admin at cluster scope",
		"not migrated: mapRoles[2] arn:aws:iam::111122223333:role/Custom: manual",
		"  kubeiam aws-auth remove --arn arn:aws:iam::111122223333:user/developer",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	cfg, err := m.store.GetCluster()
	if err != nil || cfg.AuthenticationMode != access.ModeAPIAndConfigMap {
		t.Fatalf("mode = %s, err %v", cfg.AuthenticationMode, err)
	}
	node, err := m.store.GetEntry("arn:aws:iam::111122223333:role/NodeRole")
	if err != nil || node.Type != access.EntryEC2Linux {
		t.Errorf("node entry = %+v, err %v", node, err)
	}
	admin, err := m.store.ListAssociations("arn:aws:iam::111122223333:role/admin")
	if err != nil || len(admin) != 1 {
		t.Errorf("admin associations = %+v, err %v", admin, err)
	}
	if e, err := m.store.GetEntry("arn:aws:iam::111122223333:role/admin"); err != nil || e.Username != "admin:{{SessionName}}" {
		t.Errorf("admin entry = %+v, err %v", e, err)
	}

	// Idempotent: a second run creates nothing; --final refuses while a
	// mapping has no counterpart.
	out, stderr, code = runMigrate(t, m, "apply", "-f", file, "--final")
	if code != 1 || strings.Contains(out, "created ") || !strings.Contains(stderr, "not switching to API mode: 1 mapping") ||
		!strings.HasSuffix(out, "  kubeiam aws-auth remove --arn arn:aws:iam::111122223333:user/developer\n\n") {
		t.Fatalf("final with a manual mapping: exit %d: %s\n%s", code, stderr, out)
	}

	// Once the manual mapping is gone from aws-auth, --final switches.
	if _, stderr, code := runAWSAuth(t, nil, "remove", "-f", file, "--arn", "arn:aws:iam::111122223333:role/Custom"); code != 0 {
		t.Fatalf("remove: %s", stderr)
	}
	out, stderr, code = runMigrate(t, m, "apply", "-f", file, "--final")
	if code != 0 || !strings.Contains(out, "mode: API_AND_CONFIG_MAP → API") {
		t.Fatalf("final: exit %d: %s\n%s", code, stderr, out)
	}
	if cfg, _ := m.store.GetCluster(); cfg.AuthenticationMode != access.ModeAPI {
		t.Errorf("mode = %s", cfg.AuthenticationMode)
	}
	if out, _, code := runMigrate(t, m, "apply", "-f", file, "--final"); code != 0 || !strings.Contains(out, "mode: already API") {
		t.Errorf("final again: exit %d:\n%s", code, out)
	}
}
