package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/review"
)

func offlineWhoCanDeps() (whoCanDeps, *bytes.Buffer) {
	var out bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &bytes.Buffer{}, Getenv: func(string) string { return "" },
		Now: func() time.Time { return authntest.Start }}
	return whoCanDeps{io: s}, &out
}

var whoCanFileArgs = []string{"--aws-auth", "testdata/explain/aws-auth.yaml", "--access-entries", "testdata/explain/entries.json",
	"--rbac", "testdata/explain/rbac.yaml", "--creator", "arn:aws:iam::111122223333:user/creator"}

func TestWhoCanOffline(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"CONFIG_MAP: creator and an aws-auth group bound to edit", []string{"delete", "pods", "-n", "default", "--mode", "CONFIG_MAP"}, 0, "config-map.txt"},
		{"API_AND_CONFIG_MAP: an access policy with a namespace pattern", []string{"create", "deployments.apps", "-n", "prod-eu", "--mode", "API_AND_CONFIG_MAP"}, 0, "policy.txt"},
		{"a Role allows a subresource", []string{"get", "pods/log", "-n", "default", "--mode", "API"}, 1, "nobody.txt"},
		{"the full access review", []string{"--all", "--mode", "API_AND_CONFIG_MAP"}, 0, "all.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, out := offlineWhoCanDeps()
			_, errOut, code := runDiagCmd(t, newWhoCanCommandWithDeps(d), append(slicesClone(whoCanFileArgs), tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			golden(t, "whocan/"+tt.golden, out.String())
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func TestWhoCanOfflineJSON(t *testing.T) {
	d, out := offlineWhoCanDeps()
	_, errOut, code := runDiagCmd(t, newWhoCanCommandWithDeps(d), append(slicesClone(whoCanFileArgs),
		"get", "pods/log", "-n", "default", "--mode", "CONFIG_MAP", "-o", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r review.Result
	if err := jsonUnmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Request.Subresource != "log" || len(r.Allowed) != 3 {
		t.Fatalf("result = %+v", r)
	}
	got := map[string]string{}
	for _, a := range r.Allowed {
		got[a.Principal.Principal] = string(a.Paths[0].Kind)
	}
	want := map[string]string{
		"arn:aws:iam::111122223333:user/creator": "creator",
		"arn:aws:iam::111122223333:role/dev":     "rbac", // devs → RoleBinding devs-logs → Role log-reader
		"arn:aws:iam::111122223333:user/ops":     "rbac", // ops → RoleBinding ops-edit → ClusterRole edit
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: path %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestWhoCanUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"get"},
		{"get", "pods", "extra"},
		{"--all", "get", "pods"},
		{"get", "pods/log", "--subresource", "exec"},
		{"get", "pods", "-o", "yaml"},
		{"get", "pods", "--mode", "SOMETIMES"},
	} {
		d, _ := offlineWhoCanDeps()
		_, errOut, code := runDiagCmd(t, newWhoCanCommandWithDeps(d), append(slicesClone(whoCanFileArgs), args...)...)
		if code != 2 || !strings.HasPrefix(errOut, "error: ") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and an error", args, code, errOut)
		}
	}
}
