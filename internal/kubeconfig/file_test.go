package kubeconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const otherConfig = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example.com
contexts:
- name: other
  context:
    cluster: other
    user: other
    namespace: team
users:
- name: other
  user:
    token: secret-token
current-context: other
preferences: {}
`

func entry(server string) Entry {
	return Entry{ClusterEntry: "prod", UserEntry: "prod", Context: "prod", Server: server, CAData: []byte("-----BEGIN CERTIFICATE-----\n"),
		Exec: &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1beta1", Command: "kubeiam-token",
			Args: []string{"--cluster-name", "prod"}, InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode}}
}

func TestUpdateMergesKeepsOthersAndRefusesConflicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(otherConfig), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(path, entry("https://prod.example.com"), false, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "prod" || cfg.Clusters["prod"].Server != "https://prod.example.com" || cfg.AuthInfos["prod"].Exec.Command != "kubeiam-token" {
		t.Errorf("prod not written: %+v", cfg)
	}
	if cfg.Clusters["other"].Server != "https://other.example.com" || cfg.AuthInfos["other"].Token != "secret-token" || cfg.Contexts["other"].Namespace != "team" {
		t.Error("the other entries changed")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640 kept", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind: %v", err)
	}
	before, _ := os.ReadFile(path)

	// The same again: nothing to refuse.
	if _, err := Update(path, entry("https://prod.example.com"), false, false); err != nil {
		t.Errorf("idempotent run: %v", err)
	}
	// Elsewhere: refused, file untouched; --overwrite replaces.
	if _, err := Update(path, entry("https://evil.example.com"), false, false); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `cluster "prod"`) {
		t.Errorf("conflict: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a refused update changed the file")
	}
	if _, err := Update(path, entry("https://new.example.com"), true, false); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := clientcmd.LoadFromFile(path); cfg.Clusters["prod"].Server != "https://new.example.com" {
		t.Error("--overwrite did not replace")
	}
}

func TestUpdateNewFileIsPrivateAndDryRunWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".kube", "config")
	out, err := Update(path, entry("https://prod.example.com"), false, true)
	if err != nil || !strings.Contains(string(out), "command: kubeiam-token") || !strings.Contains(string(out), "current-context: prod") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("dry run wrote the file")
	}
	if _, err := Update(path, entry("https://prod.example.com"), false, false); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
}

// TestUpdateWaitsForKubectlsLock: while kubectl holds FILE.lock, nothing
// is written; the error says what to do.
func TestUpdateWaitsForKubectlsLock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the lock timeout")
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(path, entry("https://prod.example.com"), false, false); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path+".lock") {
		t.Errorf("error = %v, want ErrLocked naming the lock file", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("written despite the lock")
	}
}

func TestPathIsTheFirstKubeconfigFile(t *testing.T) {
	env := map[string]string{"KUBECONFIG": string(os.PathListSeparator) + "/a/one" + string(os.PathListSeparator) + "/b/two", "HOME": "/home/u"}
	if p, _ := Path(func(k string) string { return env[k] }); p != "/a/one" {
		t.Errorf("Path = %q", p)
	}
	delete(env, "KUBECONFIG")
	if p, _ := Path(func(k string) string { return env[k] }); p != "/home/u/.kube/config" {
		t.Errorf("Path = %q", p)
	}
}
