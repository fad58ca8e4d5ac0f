package kube

import (
	"os"
	"path/filepath"
	"testing"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443"}
- name: b
  cluster: {server: "https://127.0.0.2:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: ctx-a
  context: {cluster: a, user: u}
- name: ctx-b
  context: {cluster: b, user: u}
current-context: ctx-a
`

func TestRESTConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "KUBECONFIG" {
			return path
		}
		return ""
	}
	for _, tt := range []struct {
		name string
		o    ClientOptions
		want string
	}{
		{"explicit file, current context", ClientOptions{Kubeconfig: path}, "https://127.0.0.1:6443"},
		{"explicit context", ClientOptions{Kubeconfig: path, Context: "ctx-b"}, "https://127.0.0.2:6443"},
		{"KUBECONFIG", ClientOptions{Getenv: env, Context: "ctx-b"}, "https://127.0.0.2:6443"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := RESTConfig(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tt.want {
				t.Errorf("host = %s, want %s", cfg.Host, tt.want)
			}
		})
	}
	if _, err := RESTConfig(ClientOptions{Kubeconfig: path, Context: "nope"}); err == nil {
		t.Error("unknown context accepted")
	}
}
