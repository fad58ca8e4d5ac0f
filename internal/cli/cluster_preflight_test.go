package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A switch to API mode while aws-auth maps an administrator role and a user
// with no access entry is refused, naming them (the admin flagged) and the
// commands that keep them; the printed "kubeiam migrate apply" keeps them,
// after which the same switch goes through.
func TestUpdateConfigToAPIPreflight(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	dir := t.TempDir()
	file := filepath.Join(dir, "aws-auth.yaml")
	writeDiagFile(t, file, `apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/Admin
      username: admin
      groups: [system:masters]
  mapUsers: |
    - userarn: `+devARN+`
      username: developer
      groups: [devs]
`)
	// Without aws-auth there is no check: refused, saying how to give it.
	_, errOut, code := runAccess(t, endpoint, newClusterCommand, "update-config", "--authentication-mode", "API", "--kubeconfig", filepath.Join(dir, "none"))
	if code != 1 || !strings.Contains(errOut, "cannot read aws-auth") || !strings.Contains(errOut, "--aws-auth-file FILE") || !strings.Contains(errOut, "--force") {
		t.Errorf("without aws-auth: exit %d, stderr:\n%s", code, errOut)
	}
	out, errOut, code := runAccess(t, endpoint, newClusterCommand, "update-config", "--authentication-mode", "API", "--aws-auth-file", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (refused); stderr:\n%s", code, errOut)
	}
	golden(t, "accessmgmt/cluster-update-config-api-refused.txt", strings.ReplaceAll(out+errOut, file, "AWS_AUTH_FILE"))
	if out, _, _ := runAccess(t, endpoint, newClusterCommand, "describe"); !strings.Contains(out, "CONFIG_MAP") || strings.Contains(out, " API ") {
		t.Fatalf("the refused switch changed the mode:\n%s", out)
	}
	var migrateLine string
	for _, line := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(line, "  kubeiam migrate apply ") {
			migrateLine = line
			break
		}
	}
	args := strings.Fields(strings.TrimPrefix(migrateLine, "  kubeiam migrate "))
	if len(args) == 0 {
		t.Fatalf("no migrate command printed:\n%s", errOut)
	}
	if _, errOut, code := runAccess(t, endpoint, newMigrateCommand, args...); code != 0 {
		t.Fatalf("%s: exit %d\n%s", migrateLine, code, errOut)
	}
	if out, errOut, code := runAccess(t, endpoint, newClusterCommand, "update-config", "--authentication-mode", "API", "--aws-auth-file", file); code != 0 {
		t.Fatalf("after migrate apply: exit %d\n%s%s", code, out, errOut)
	}
}

// --force skips the check, as the API itself does.
func TestUpdateConfigToAPIForce(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	file := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := os.WriteFile(file, []byte("mapUsers: |\n  - userarn: "+devARN+"\n    groups: [devs]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"API_AND_CONFIG_MAP", "API"} {
		if out, errOut, code := runAccess(t, endpoint, newClusterCommand, "update-config", "--authentication-mode", mode, "--aws-auth-file", file, "--force"); code != 0 {
			t.Fatalf("%s --force: exit %d\n%s%s", mode, code, out, errOut)
		}
	}
}
