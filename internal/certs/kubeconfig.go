package certs

import (
	"fmt"
	"net/url"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names inside the webhook kubeconfig; kube-apiserver only follows the
// current context, the names are for the human reading the file.
const (
	kubeconfigCluster = "kubeiam"
	kubeconfigUser    = "kube-apiserver"
	kubeconfigContext = "webhook"
)

// WriteWebhookKubeconfig writes the kubeconfig that kube-apiserver reads
// with --authentication-token-webhook-config-file or
// --authorization-webhook-config-file: one cluster whose server is the full
// webhook URL (for example https://127.0.0.1:21362/authenticate) and whose
// certificate-authority-data is caPEM, one user without credentials, and a
// current context joining them.
//
// The file is written atomically with mode 0600, its directory created 0700
// if missing. clientcmd.WriteToFile is not used because it writes in place
// and keeps the mode of an existing file.
func WriteWebhookKubeconfig(path, serverURL string, caPEM []byte) error {
	return WriteWebhookKubeconfigWithClient(path, serverURL, caPEM, ClientBundle{})
}

// WriteWebhookKubeconfigWithClient is WriteWebhookKubeconfig whose user
// carries client's certificate and key (client-certificate-data,
// client-key-data), so that kube-apiserver authenticates to the webhook
// with mutual TLS. An empty client writes a user without credentials.
func WriteWebhookKubeconfigWithClient(path, serverURL string, caPEM []byte, client ClientBundle) error {
	u, err := url.Parse(serverURL)
	if err != nil {
		return fmt.Errorf("webhook URL: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("webhook URL %q: want https://host[:port]/path", serverURL)
	}
	if _, err := parseCertificates(caPEM); err != nil {
		return fmt.Errorf("webhook CA: %w", err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kubeconfigCluster] = &clientcmdapi.Cluster{
		Server:                   serverURL,
		CertificateAuthorityData: caPEM,
	}
	user := &clientcmdapi.AuthInfo{}
	if len(client.CertPEM) > 0 {
		if _, err := client.Certificate(); err != nil {
			return fmt.Errorf("webhook client certificate: %w", err)
		}
		user.ClientCertificateData, user.ClientKeyData = client.CertPEM, client.KeyPEM
	}
	cfg.AuthInfos[kubeconfigUser] = user
	cfg.Contexts[kubeconfigContext] = &clientcmdapi.Context{
		Cluster:  kubeconfigCluster,
		AuthInfo: kubeconfigUser,
	}
	cfg.CurrentContext = kubeconfigContext
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("encode webhook kubeconfig: %w", err)
	}
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	return writeAtomic(path, data, configMode)
}
