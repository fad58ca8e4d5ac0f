package harness

import (
	"fmt"
	"os"
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

// execPlugin runs "kubeiam token" for the cluster as profile. The AWS
// environment is in the kubeconfig itself, so the file works from any shell.
func execPlugin(kubeiamBinary, clusterID string, files awsFiles, profile string) *clientcmdapi.ExecConfig {
	var env []clientcmdapi.ExecEnvVar
	for _, kv := range files.awsEnv(profile) {
		name, value, _ := strings.Cut(kv, "=")
		env = append(env, clientcmdapi.ExecEnvVar{Name: name, Value: value})
	}
	return &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1beta1",
		Command:         kubeiamBinary,
		Args:            []string{"token", "--cluster-id", clusterID},
		Env:             env,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}
}
