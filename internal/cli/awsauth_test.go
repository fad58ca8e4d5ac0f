package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/awsauthedit"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/kube/kubetest"
)

var awsAuthNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const awsAuthFile = `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  # people
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/Admin
      username: admin:{{SessionName}}
      groups: [system:masters]
    - rolearn: arn:aws:iam::111122223333:role/teams/Dev
      username: dev
      groups: [devs]
  mapUsers: |
    - userarn: arn:aws:iam::111122223333:user/alice
      username: alice
      groups: [devs]
`

// runAWSAuth runs "aws-auth args..." with client as the cluster and returns
// stdout, stderr as Main prints it, and the exit code.
func runAWSAuth(t *testing.T, client kubernetes.Interface, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := IO{Out: &out, Err: &errOut, Getenv: func(string) string { return "" }, Now: func() time.Time { return awsAuthNow }}
	cmd := newAWSAuthCommandWith(awsAuthDeps{IO: s, NewClient: func(kube.ClientOptions) (kubernetes.Interface, error) {
		if client == nil {
			return nil, errors.New("no cluster in this test")
		}
		return client, nil
	}})
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code := execute(context.Background(), cmd, &errOut, args)
	return out.String(), errOut.String(), code
}

func awsAuthTempFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAWSAuthGetGolden(t *testing.T) {
	path := awsAuthTempFile(t, "aws-auth.yaml", awsAuthFile)
	for _, format := range []string{"table", "json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			out, stderr, code := runAWSAuth(t, nil, "get", "-f", path, "-o", format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, "awsauth/"+"get."+format, out)
		})
	}
}

func TestAWSAuthFileEdits(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"add-role-sso-path", []string{"add-role", "--arn", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_View_0123456789abcdef", "--username", "view", "--groups", "viewers,auditors", "--groups", "ops"}},
		{"add-role-assumed", []string{"add-role", "--arn", "arn:aws:sts::111122223333:assumed-role/Ops/alice", "--groups", "ops"}},
		{"add-user", []string{"add-user", "--arn", "arn:aws:iam::111122223333:user/bob", "--username", "bob", "--groups", "devs"}},
		{"add-account", []string{"add-account", "--account", "444455556666"}},
		{"add-sso", []string{"add-sso", "--permission-set", "Admin", "--account", "111122223333", "--username", "admin:{{SessionName}}", "--groups", "system:masters"}},
		{"remove", []string{"remove", "--arn", "arn:aws:iam::111122223333:role/Dev"}},
		{"update", []string{"add-user", "--arn", "arn:aws:iam::111122223333:user/alice", "--username", "alice", "--groups", "ops", "--update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := awsAuthTempFile(t, "aws-auth.yaml", awsAuthFile)
			out, stderr, code := runAWSAuth(t, nil, append(tt.args, "-f", path)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			written, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out = strings.ReplaceAll(out, path, "aws-auth.yaml")
			golden(t, "awsauth/"+tt.name+".golden", out+"=== aws-auth.yaml ===\n"+string(written))
		})
	}
}

func TestAWSAuthDryRunWritesNothing(t *testing.T) {
	path := awsAuthTempFile(t, "aws-auth.yaml", awsAuthFile)
	out, _, code := runAWSAuth(t, nil, "add-user", "-f", path, "--arn", "arn:aws:iam::111122223333:user/bob", "--username", "bob", "--dry-run")
	if code != 0 || !strings.Contains(out, "+- userarn: arn:aws:iam::111122223333:user/bob") || !strings.Contains(out, "dry run") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if b, _ := os.ReadFile(path); string(b) != awsAuthFile {
		t.Errorf("dry run wrote:\n%s", b)
	}
}

func TestAWSAuthCreatesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.yaml")
	if _, stderr, code := runAWSAuth(t, nil, "add-role", "-f", path, "--arn", "arn:aws:iam::111122223333:role/Admin", "--username", "admin", "--groups", "system:masters"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "apiVersion: v1\nkind: ConfigMap\n") || !strings.Contains(string(b), "role/Admin") {
		t.Fatalf("err %v:\n%s", err, b)
	}
}

func TestAWSAuthRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"duplicate", []string{"add-role", "--arn", "arn:aws:iam::111122223333:role/Dev", "--username", "x"}, 1, "pass --update"},
		{"last admin", []string{"remove", "--arn", "arn:aws:iam::111122223333:role/Admin"}, 1, "map another administrator first, or pass --force"},
		{"invalid result", []string{"add-user", "--arn", "arn:aws:iam::111122223333:user/x", "--username", "system:x"}, 1, "reserved-username"},
		{"missing arn", []string{"add-role", "--username", "x"}, 2, "--arn is required"},
		{"user to add-role", []string{"add-role", "--arn", "arn:aws:iam::111122223333:user/x"}, 2, "add-user"},
		{"not mapped", []string{"remove", "--arn", "arn:aws:iam::111122223333:user/nobody"}, 1, "aws-auth get"},
		{"bad output", []string{"get", "-o", "xml"}, 2, "want table, json or yaml"},
		{"no cluster", []string{"get", "-f", ""}, 1, "pass -f aws-auth.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := awsAuthTempFile(t, "aws-auth.yaml", awsAuthFile)
			args := append(tt.args, "-f", path)
			if tt.name == "no cluster" {
				args = tt.args
			}
			_, stderr, code := runAWSAuth(t, nil, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want %d; stderr %q, want %q", code, tt.code, stderr, tt.want)
			}
			if b, _ := os.ReadFile(path); string(b) != awsAuthFile {
				t.Errorf("refused change wrote the file")
			}
		})
	}
}

func TestAWSAuthValidate(t *testing.T) {
	bad := awsAuthTempFile(t, "aws-auth.yaml", `mapRoles: |
  - rolearn: arn:aws:iam::111122223333:role/Admin
    username: admin
    groups: [system:masters]
  - rolearn: arn:aws:sts::111122223333:assumed-role/Dev/alice
    username: dev
  - rolearn: arn:aws:iam::111122223333:role/team/Ops
    username: ops
`)
	out, stderr, code := runAWSAuth(t, nil, "validate", "-f", bad)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	out = strings.ReplaceAll(out+stderr, bad, "aws-auth.yaml")
	golden(t, "awsauth/"+"validate-errors.golden", out)

	syntax := awsAuthTempFile(t, "aws-auth.yaml", "mapUsers: |\n  - userarn: x\n    groups: [a\n")
	// A YAML error comes in the problems' format, on their stream, at
	// its file line.
	out, stderr, code = runAWSAuth(t, nil, "validate", "-f", syntax)
	if code != 1 || !strings.HasPrefix(out, syntax+":3: mapUsers: error yaml: ") || !strings.Contains(stderr, "1 error") {
		t.Errorf("exit %d: stdout %q, stderr %q", code, out, stderr)
	}
	// Issue 10 item 8: a duplicate key is refused with its line, and a
	// template some session can expand into system: is an error.
	dup := awsAuthTempFile(t, "aws-auth.yaml", "mapRoles: '[]'\nmapUsers: '[]'\nmapRoles: '[]'\n")
	out, stderr, code = runAWSAuth(t, nil, "validate", "-f", dup)
	if code != 1 || out != dup+`:3: error yaml: key "mapRoles" given twice (first on line 1); keep one`+"\n" || !strings.Contains(stderr, "1 error") {
		t.Errorf("duplicate key: exit %d: stdout %q, stderr %q", code, out, stderr)
	}
	tmpl := awsAuthTempFile(t, "aws-auth.yaml", "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/Dev\n    username: dev\n    groups: ['system:{{SessionName}}']\n")
	out, _, code = runAWSAuth(t, nil, "validate", "-f", tmpl)
	// Line 3 of mapRoles is line 4 of the file.
	if code != 1 || !strings.Contains(out, tmpl+":4: mapRoles: error reserved-template:") {
		t.Errorf("reserved template: exit %d: %s", code, out)
	}
	good := awsAuthTempFile(t, "aws-auth.yaml", awsAuthFile)
	if out, _, code := runAWSAuth(t, nil, "validate", "-f", good); code != 0 || !strings.Contains(out, "valid (1 warning)") {
		t.Errorf("exit %d: %s", code, out)
	}
}

func liveAWSAuth() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "aws-auth", ResourceVersion: "3", Labels: map[string]string{"team": "platform"}},
		Data: map[string]string{
			"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n",
			"other":    "kept",
		},
	}
}

func TestAWSAuthLiveChangeBackupAndRestore(t *testing.T) {
	f := kubetest.NewFake(2, liveAWSAuth())
	dir := t.TempDir()
	out, stderr, code := runAWSAuth(t, f, "add-user", "--backup-dir", dir, "--arn", "arn:aws:iam::111122223333:user/bob", "--username", "bob", "--groups", "devs")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	backup := filepath.Join(dir, "aws-auth-backup-20260304T050607Z.yaml")
	out = strings.ReplaceAll(out, dir, "DIR")
	golden(t, "awsauth/"+"live-add-user.golden", out)
	cm, err := f.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cm.Data["mapUsers"], "user/bob") || cm.Data["other"] != "kept" || cm.Labels["team"] != "platform" {
		t.Fatalf("ConfigMap = %+v", cm)
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "awsauth/"+"backup.yaml", string(b))

	if _, stderr, code := runAWSAuth(t, f, "restore", backup, "--backup-dir", dir); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	cm, err = f.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := liveAWSAuth()
	if len(cm.Data) != len(want.Data) || cm.Data["mapRoles"] != want.Data["mapRoles"] || cm.Data["other"] != "kept" {
		t.Errorf("restored data = %v", cm.Data)
	}
}

func TestAWSAuthLiveCreatesTheConfigMap(t *testing.T) {
	f := kubetest.NewFake(0)
	_, stderr, code := runAWSAuth(t, f, "add-role", "-n", "auth", "--name", "map", "--backup-dir", t.TempDir(), "--arn", "arn:aws:iam::111122223333:role/Admin", "--username", "admin", "--groups", "system:masters")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cm, err := f.CoreV1().ConfigMaps("auth").Get(context.Background(), "map", metav1.GetOptions{})
	if err != nil || !strings.Contains(cm.Data["mapRoles"], "role/Admin") {
		t.Fatalf("err %v, cm %+v", err, cm)
	}
	out, _, code := runAWSAuth(t, f, "validate", "-n", "auth", "--name", "map")
	if code != 0 || !strings.Contains(out, "configmap/auth/map: valid") {
		t.Errorf("validate: exit %d: %s", code, out)
	}
}

func TestAWSAuthDiffCommandWritesNothing(t *testing.T) {
	path := awsAuthTempFile(t, "aws-auth.yaml", awsAuthFile)
	out, _, code := runAWSAuth(t, nil, "diff", "remove", "-f", path, "--arn", "arn:aws:iam::111122223333:user/alice")
	if code != 0 || !strings.Contains(out, "-- userarn: arn:aws:iam::111122223333:user/alice") {
		t.Fatalf("exit %d, want the removal's diff:\n%s", code, out)
	}
	if b, _ := os.ReadFile(path); string(b) != awsAuthFile {
		t.Fatalf("diff changed the file:\n%s", b)
	}
	if _, stderr, code := runAWSAuth(t, nil, "diff"); code != 2 || !strings.Contains(stderr, "diff needs the change to show") {
		t.Errorf("bare diff: exit %d, stderr %q", code, stderr)
	}
}

// A path that is not an aws-auth file, such as /dev/zero, is refused at
// awsauthedit.MaxFileSize by every command that reads one, instead of being
// read into memory until the machine runs out of it.
func TestAWSAuthCommandsRefuseAFileLargerThanTheLimit(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, awsauthedit.MaxFileSize+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	paths := []string{huge}
	if _, err := os.Stat("/dev/zero"); err == nil {
		paths = append(paths, "/dev/zero")
	}
	for _, path := range paths {
		for _, args := range [][]string{
			{"validate", "-f", path},
			{"get", "-f", path},
			{"add-user", "-f", path, "--arn", "arn:aws:iam::111122223333:user/bob", "--username", "bob", "--dry-run"},
			{"restore", path, "-f", filepath.Join(t.TempDir(), "aws-auth.yaml")},
		} {
			_, stderr, code := runAWSAuth(t, nil, args...)
			if code != 1 || !strings.Contains(stderr, "larger than") {
				t.Errorf("aws-auth %q: exit %d, stderr %q; want exit 1 refusing a file larger than %d bytes", args, code, stderr, awsauthedit.MaxFileSize)
			}
		}
	}
}
