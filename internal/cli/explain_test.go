package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/explain"
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
