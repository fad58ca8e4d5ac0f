package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/kube/kubetest"
)

// Two changes in the same second each keep the version they replaced: the
// second backup does not overwrite the first (the clock is fixed here).
func TestAWSAuthBackupsInTheSameSecondAreKeptApart(t *testing.T) {
	f := kubetest.NewFake(2, liveAWSAuth())
	dir := t.TempDir()
	for _, u := range []string{"bob", "carol"} {
		if _, stderr, code := runAWSAuth(t, f, "add-user", "--backup-dir", dir, "--arn", "arn:aws:iam::111122223333:user/"+u, "--username", u, "--groups", "devs"); code != 0 {
			t.Fatalf("add %s: exit %d: %s", u, code, stderr)
		}
	}
	first, err1 := os.ReadFile(filepath.Join(dir, "aws-auth-backup-20260304T050607Z.yaml"))
	second, err2 := os.ReadFile(filepath.Join(dir, "aws-auth-backup-20260304T050607Z-2.yaml"))
	if err1 != nil || err2 != nil {
		t.Fatalf("backups: %v, %v", err1, err2)
	}
	if strings.Contains(string(first), "bob") || !strings.Contains(string(second), "bob") || strings.Contains(string(second), "carol") {
		t.Errorf("first backup:\n%s\nsecond backup:\n%s", first, second)
	}
}

func TestAWSAuthAppendWarnAndRemoveByUsername(t *testing.T) {
	f := kubetest.NewFake(2, liveAWSAuth())
	dir := t.TempDir()
	role := "arn:aws:iam::111122223333:role/Admin"
	if _, stderr, code := runAWSAuth(t, f, "add-role", "--backup-dir", dir, "--arn", role, "--groups", "auditors", "--append"); code != 0 {
		t.Fatalf("append: exit %d: %s", code, stderr)
	}
	cm, err := f.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{})
	if err != nil || !strings.Contains(cm.Data["mapRoles"], "system:masters") || !strings.Contains(cm.Data["mapRoles"], "auditors") {
		t.Fatalf("after append: %v\n%s", err, cm.Data["mapRoles"])
	}
	_, stderr, code := runAWSAuth(t, f, "add-user", "--backup-dir", dir, "--arn", "arn:aws:iam::111122223333:user/dave", "--username", "dave")
	if code != 0 || !strings.Contains(stderr, "warning: no --groups: the principal will authenticate but be allowed nothing") {
		t.Errorf("add-user without groups: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := runAWSAuth(t, f, "remove", "--backup-dir", dir, "--username", "dave"); code != 0 {
		t.Fatalf("remove --username: exit %d: %s", code, stderr)
	}
	if cm, _ = f.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{}); strings.Contains(cm.Data["mapUsers"], "dave") {
		t.Errorf("dave still mapped:\n%s", cm.Data["mapUsers"])
	}
	if _, stderr, code := runAWSAuth(t, f, "add-role", "--arn", role, "--groups", "x", "--retry-max-attempts", "0"); code != 2 || !strings.Contains(stderr, "--retry-max-attempts 0") {
		t.Errorf("bad retry setting: exit %d, stderr %q", code, stderr)
	}
}

// --retry-max-attempts bounds the attempts: with one attempt, a change
// that meets a conflicting writer gives up and says so.
func TestAWSAuthRetrySettingsApply(t *testing.T) {
	f := kubetest.NewFake(1, liveAWSAuth()) // a foreign write before every update
	_, stderr, code := runAWSAuth(t, f, "add-user", "--backup-dir", t.TempDir(), "--arn", "arn:aws:iam::111122223333:user/erin",
		"--username", "erin", "--groups", "devs", "--retry-max-attempts", "1")
	if code != 1 || !strings.Contains(strings.ToLower(stderr), "conflict") && !strings.Contains(stderr, "modified") {
		t.Errorf("one attempt against a conflicting writer: exit %d, stderr %q", code, stderr)
	}
}

// Commands that read aws-auth without the retry flags (migrate, the
// pre-flight of cluster update-config) get the default backoff.
func TestAWSAuthRetryZeroValueIsTheDefault(t *testing.T) {
	b, err := awsAuthRetry{}.backoffFor()
	if err != nil || b != kube.DefaultBackoff {
		t.Errorf("zero retry settings: %+v, %v; want the default backoff", b, err)
	}
}
