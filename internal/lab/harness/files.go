package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// Region is the AWS region of every profile and of the local STS.
const Region = "us-east-1"

// AWSProfile is one profile of the AWS files the harness writes: an IAM user
// of the local STS with its long-term key.
type AWSProfile = localsts.Profile

// awsFiles are the shared credentials and config files, one profile per
// IAM user of the local STS, named after the user.
type awsFiles struct{ localsts.AWSFiles }

func writeAWSFiles(dir string, cfg *localsts.Config) (awsFiles, error) {
	f, err := cfg.WriteAWSFiles(dir, Region)
	return awsFiles{f}, err
}

// awsEnv is the environment that points the AWS CLI, the AWS SDKs and
// "kubeiam token" at the harness's files and nothing else: no instance
// metadata, no profile from the caller's environment.
func (f awsFiles) awsEnv(profile string) []string {
	env := []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + f.Credentials,
		"AWS_CONFIG_FILE=" + f.Config,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	if profile != "" {
		env = append(env, "AWS_PROFILE="+profile)
	}
	return env
}

// minimalEnv is the environment of the servers the harness starts: only
// PATH, so nothing of the caller's environment (proxies, AWS or kubectl
// settings) changes their behaviour.
func minimalEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH")}
}

// kubeconfig describes one kubeconfig file: a cluster entry for
// kube-apiserver and a user whose credentials are a static token, an exec
// plugin, or nothing.
type kubeconfig struct {
	// cluster names the kubeconfig's cluster and context.
	cluster string
	server  string
	caPEM   []byte
	user    string
	token   string
	exec    *clientcmdapi.ExecConfig
}

func (k kubeconfig) write(path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[k.cluster] = &clientcmdapi.Cluster{Server: k.server, CertificateAuthorityData: k.caPEM}
	cfg.AuthInfos[k.user] = &clientcmdapi.AuthInfo{Token: k.token, Exec: k.exec}
	cfg.Contexts[k.cluster] = &clientcmdapi.Context{Cluster: k.cluster, AuthInfo: k.user, Namespace: "default"}
	cfg.CurrentContext = k.cluster
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

// execPlugin is the user entry of a per-profile kubeconfig, in the form
// "kubeiam kubeconfig" writes: the slim kubeiam-token with --cluster-name
// (which hands over to the kubeiam next to it on a cache miss), or, when
// the harness has no kubeiam-token, the equivalent "kubeiam token". The AWS
// environment is in the kubeconfig itself, so the file works from any shell.
func (b plugin) execPlugin(clusterID string, files awsFiles, profile string) *clientcmdapi.ExecConfig {
	var env []clientcmdapi.ExecEnvVar
	for _, kv := range files.awsEnv(profile) {
		name, value, _ := strings.Cut(kv, "=")
		env = append(env, clientcmdapi.ExecEnvVar{Name: name, Value: value})
	}
	command, args := b.tokenPlugin, []string{"--cluster-name", clusterID}
	if command == "" {
		command, args = b.kubeiam, append([]string{"token"}, args...)
	}
	return &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1beta1",
		Command:         command,
		Args:            args,
		Env:             env,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}
}

// plugin is the binaries a per-profile kubeconfig runs.
type plugin struct{ kubeiam, tokenPlugin string }

// TokenPluginName is the slim exec plugin's binary (cmd/kubeiam-token).
const TokenPluginName = "kubeiam-token"

// TokenPluginNextTo returns the kubeiam-token next to the kubeiam binary
// (symbolic links resolved, as kubeiam-token resolves its own path to find
// kubeiam), or "" when there is none: only that one hands a cache miss over
// to this very kubeiam.
func TokenPluginNextTo(kubeiam string) string {
	if kubeiam == "" {
		return ""
	}
	if real, err := filepath.EvalSymlinks(kubeiam); err == nil {
		kubeiam = real
	}
	p := filepath.Join(filepath.Dir(kubeiam), TokenPluginName)
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return ""
	}
	return p
}
