package lab

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// The files the exercise uses, in the lab's directory, besides those of
// package harness (admin.kubeconfig, creator.kubeconfig, ...).
const (
	creatorEnv   = "creator.env"
	developerEnv = "developer.env"
	awsAuthFix   = "aws-auth.yaml"
)

// exercise is what the lab prints once it is ready.
type exercise struct {
	c                  *harness.Cluster
	command            string // how to spell kubeiam
	creator, developer harness.AWSProfile
}

// writeExercise writes the environment files and the aws-auth fix the
// exercise refers to.
func writeExercise(c *harness.Cluster, command string) (exercise, error) {
	ex := exercise{c: c, command: command}
	var ok1, ok2 bool
	ex.creator, ok1 = c.Profile(localsts.DevCreatorUser)
	ex.developer, ok2 = c.Profile(localsts.DevDeveloperUser)
	if !ok1 || !ok2 {
		return ex, fmt.Errorf("lab: the local STS has no %s or %s user", localsts.DevCreatorUser, localsts.DevDeveloperUser)
	}
	files := []struct{ name, text string }{
		{creatorEnv, ex.env(ex.creator, "the cluster creator, an administrator without any mapping")},
		{developerEnv, ex.env(ex.developer, "the developer, mapped nowhere until you fix it")},
	}
	if c.Kubeiam.Cluster().AuthenticationMode.UsesConfigMap() {
		files = append(files, struct{ name, text string }{awsAuthFix, ex.awsAuthManifest()})
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(c.Dir, f.name), []byte(f.text), 0o600); err != nil {
			return ex, fmt.Errorf("lab: %w", err)
		}
	}
	return ex, nil
}

// env is an environment file that makes kubectl, the AWS CLI and kubeiam's
// access-management commands act as profile, against the lab only.
func (ex exercise) env(p harness.AWSProfile, who string) string {
	credentials, config := ex.c.AWSFiles()
	vars := [][2]string{
		{"KUBECONFIG", ex.c.Kubeconfig(p.Name)},
		{"AWS_PROFILE", p.Name},
		{"AWS_SHARED_CREDENTIALS_FILE", credentials},
		{"AWS_CONFIG_FILE", config},
		{"AWS_REGION", harness.Region},
		{"AWS_EC2_METADATA_DISABLED", "true"},
		{"KUBEIAM_CLUSTER", ex.c.ClusterID},
		// The access-management API (kubeiam cluster, access-entry, ...).
		{"KUBEIAM_ENDPOINT", ex.c.STSURL},
		// The STS the AWS CLI, the SDKs and kubeiam doctor, whoami,
		// explain and verify call.
		{"AWS_ENDPOINT_URL_STS", ex.c.STSURL},
		// The kubeiam server of whoami, explain, logs and doctor, and its CA.
		{"KUBEIAM_WEBHOOK", ex.c.Kubeiam.URL("")},
		{"KUBEIAM_CA", ex.c.Kubeiam.Bundle().CAFile},
		{"KUBEIAM_LAB", ex.c.Dir},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by kubeiam lab: %s (%s).\n# Source it: . %s\n", p.Name, who, shellQuote(ex.path(p.Name+".env")))
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	return b.String()
}

// awsAuthManifest is the aws-auth ConfigMap that maps the developer in the
// group developers, and the binding that lets that group read (the view
// ClusterRole): the least that makes "kubectl get svc" work, as the fixes
// of "kubeiam explain" are, never system:masters.
func (ex exercise) awsAuthManifest() string {
	return `# The kubeiam lab's aws-auth fix: map the IAM user developer to the Kubernetes
# user developer in the group developers, and let that group read everything
# (ClusterRole view). Apply it with the lab's admin kubeconfig.
apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapUsers: |
    - userarn: ` + ex.developer.ARN + `
      username: developer
      groups:
        - ` + developersGroup + `
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ` + developersBinding + `
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: ` + developersGroup + `
`
}

// The group the aws-auth fix maps the developer to, and its binding.
const (
	developersGroup   = "developers"
	developersBinding = "developers-view"
)

func (ex exercise) path(name string) string { return filepath.Join(ex.c.Dir, name) }

// labPath spells a lab file for a shell in which an env file is sourced.
func (ex exercise) labPath(name string) string {
	if shellQuote(ex.c.Dir) != ex.c.Dir {
		return `"$KUBEIAM_LAB/` + name + `"`
	}
	return "$KUBEIAM_LAB/" + name
}

func (ex exercise) print(w io.Writer) {
	cluster := ex.c.Kubeiam.Cluster()
	kubeiamLog, apiserverLog, etcdLog := ex.c.LogPaths()
	server, ca := ex.c.Kubeiam.URL(""), shellQuote(ex.c.Kubeiam.Bundle().CAFile)
	files := "creator.env, developer.env, *.kubeconfig, aws/"
	if cluster.AuthenticationMode.UsesConfigMap() {
		files += ", " + awsAuthFix
	}
	fmt.Fprintf(w, `
kubeiam lab is ready: etcd, kube-apiserver and kubeiam, on 127.0.0.1.
Every start is a fresh cluster.

  kube-apiserver   %[1]s
  AWS endpoint     %[2]s   (local STS + access-management API)
  kubeiam server   %[13]s   (webhooks; whoami, explain, logs, doctor)
  its CA           %[14]s
  cluster          %[3]s, authentication mode %[4]s
  creator          %[5]s   (an administrator without any mapping)
  developer        %[6]s   (mapped nowhere)
  files            %[7]s   (%[15]s)
                   each .env exports KUBECONFIG, AWS_PROFILE, AWS_ENDPOINT_URL_STS, KUBEIAM_CLUSTER,
                   KUBEIAM_ENDPOINT, KUBEIAM_WEBHOOK and KUBEIAM_CA: every kubeiam command works as is
  logs             %[8]s
                   %[9]s
                   %[10]s

Reproduce and fix the classic Unauthorized, in another shell:

  # 1. The cluster creator can do anything, with no mapping at all:
  . %[11]s
  kubectl get svc

  # 2. The developer is mapped nowhere:
  . %[12]s
  kubectl get svc
  #    error: You must be logged in to the server (Unauthorized)
  #    (kubectl says "(the server has asked for the client to provide credentials)" instead,
  #    after a few memcache.go lines, when it has not cached the API's discovery: skip step 1 and see.)
  #    kubeiam says why, here and in kubeiam.log: access denied ... error="ARN is not mapped"

%[16]s
Stop with Ctrl-C: kube-apiserver, etcd and kubeiam stop; the files stay.
`, ex.c.APIServerURL, ex.c.STSURL, cluster.Name, cluster.AuthenticationMode,
		ex.creator.ARN, ex.developer.ARN, ex.c.Dir, kubeiamLog, apiserverLog, etcdLog,
		shellQuote(ex.path(creatorEnv)), shellQuote(ex.path(developerEnv)), server, ca, files,
		fixSteps(fixInput{mode: cluster.AuthenticationMode, admin: ex.labPath("admin.kubeconfig"), awsAuthFile: ex.labPath(awsAuthFix),
			kubeiam: ex.command, developer: ex.developer.ARN, server: server, caFile: ca}))
}

// shellQuote quotes s for a POSIX shell, leaving plain words as they are.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:,=+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
