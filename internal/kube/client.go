package kube

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ClientOptions say how to reach the cluster, as kubectl's flags do.
type ClientOptions struct {
	// Kubeconfig is an explicit kubeconfig file (--kubeconfig); empty
	// follows the usual rules: $KUBECONFIG, then ~/.kube/config, then the
	// in-cluster config of a pod's service account.
	Kubeconfig string
	// Context is the kubeconfig context to use; empty for the current one.
	Context string
	// Getenv reads $KUBECONFIG; nil means the variable is not consulted
	// beyond client-go's own defaults.
	Getenv func(string) string
}

// RESTConfig loads the client configuration with clientcmd's loading rules.
func RESTConfig(o ClientOptions) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Getenv != nil {
		if v := o.Getenv(clientcmd.RecommendedConfigPathEnvVar); v != "" {
			rules.Precedence = filepath.SplitList(v)
		}
	}
	rules.ExplicitPath = o.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config or in-cluster): %w", err)
	}
	return cfg, nil
}

// NewClient returns a clientset for the cluster the options name.
func NewClient(o ClientOptions) (kubernetes.Interface, error) {
	cfg, err := RESTConfig(o)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return cs, nil
}
