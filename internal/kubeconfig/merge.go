// Package kubeconfig writes kubeiam's cluster, user and context into a
// kubeconfig file the way "aws eks update-kubeconfig" does: merged into
// what is there, every other entry kept, under the lock kubectl takes,
// replaced atomically.
package kubeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrConflict: an entry of the same name exists and points elsewhere.
var ErrConflict = errors.New("kubeconfig entry exists with other settings")

// Entry is what to write: one cluster, one user whose credentials come
// from the exec plugin, and a context joining them.
type Entry struct {
	// ClusterEntry, UserEntry and Context are the entries' names.
	ClusterEntry, UserEntry, Context string
	// Server is the API server URL; CAData the PEM CA bundle that signs
	// its certificate (empty: the system roots).
	Server string
	CAData []byte
	// Exec is the user's exec plugin.
	Exec *clientcmdapi.ExecConfig
}

// Merge puts e into cfg and makes its context current. An entry of the
// same name with other settings is an ErrConflict unless overwrite.
// Nothing in cfg changes when Merge fails.
func Merge(cfg *clientcmdapi.Config, e Entry, overwrite bool) error {
	cluster := clientcmdapi.NewCluster()
	cluster.Server, cluster.CertificateAuthorityData = e.Server, e.CAData
	user := clientcmdapi.NewAuthInfo()
	user.Exec = e.Exec
	ctx := clientcmdapi.NewContext()
	ctx.Cluster, ctx.AuthInfo = e.ClusterEntry, e.UserEntry
	if !overwrite {
		var conflicts []string
		if old, ok := cfg.Clusters[e.ClusterEntry]; ok && !sameCluster(old, cluster) {
			conflicts = append(conflicts, fmt.Sprintf("cluster %q (server %s)", e.ClusterEntry, old.Server))
		}
		if old, ok := cfg.AuthInfos[e.UserEntry]; ok && !sameUser(old, user) {
			conflicts = append(conflicts, fmt.Sprintf("user %q (%s)", e.UserEntry, describeUser(old)))
		}
		if old, ok := cfg.Contexts[e.Context]; ok && (old.Cluster != ctx.Cluster || old.AuthInfo != ctx.AuthInfo) {
			conflicts = append(conflicts, fmt.Sprintf("context %q (cluster %q, user %q)", e.Context, old.Cluster, old.AuthInfo))
		}
		if len(conflicts) > 0 {
			return fmt.Errorf("%w: %s", ErrConflict, strings.Join(conflicts, ", "))
		}
	}
	if old, ok := cfg.Contexts[e.Context]; ok {
		// Keep what the user set on the context (its namespace).
		ctx.Namespace, ctx.Extensions = old.Namespace, old.Extensions
	}
	cfg.Clusters[e.ClusterEntry] = cluster
	cfg.AuthInfos[e.UserEntry] = user
	cfg.Contexts[e.Context] = ctx
	cfg.CurrentContext = e.Context
	return nil
}

func sameCluster(a, b *clientcmdapi.Cluster) bool {
	return a.Server == b.Server && bytes.Equal(a.CertificateAuthorityData, b.CertificateAuthorityData) && a.CertificateAuthority == "" &&
		!a.InsecureSkipTLSVerify && a.ProxyURL == "" && a.TLSServerName == ""
}

func sameUser(a, b *clientcmdapi.AuthInfo) bool {
	if a.Exec == nil || b.Exec == nil || a.Token != "" || a.TokenFile != "" || len(a.ClientCertificateData) > 0 || a.ClientCertificate != "" || a.Username != "" {
		return false
	}
	x, y := a.Exec, b.Exec
	if x.Command != y.Command || x.APIVersion != y.APIVersion || strings.Join(x.Args, "\x00") != strings.Join(y.Args, "\x00") || len(x.Env) != len(y.Env) {
		return false
	}
	for i := range x.Env {
		if x.Env[i] != y.Env[i] {
			return false
		}
	}
	return true
}

func describeUser(u *clientcmdapi.AuthInfo) string {
	if u.Exec != nil {
		return "exec " + strings.Join(append([]string{u.Exec.Command}, u.Exec.Args...), " ")
	}
	return "other credentials"
}
