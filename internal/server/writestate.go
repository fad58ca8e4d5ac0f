package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/certs"
	"github.com/kubeiam/kubeiam/internal/config"
)

// initRecordFile records the choices of "kubeiam init" (the webhook URL and
// extra hosts), so that "kubeiam server" on the same state directory keeps
// writing the files kube-apiserver was pointed at.
const initRecordFile = "init.json"

// DefaultServerURL is the base URL kube-apiserver reaches the webhooks at
// when nothing else is said: the default listen address.
const DefaultServerURL = "https://127.0.0.1:21362"

// StateOptions say what WriteState writes.
type StateOptions struct {
	// Dir is the state directory.
	Dir string
	// ServerURL is the base URL (https://host:port) kube-apiserver uses to
	// reach the webhooks; /authenticate and /authorize are appended. When
	// empty, the URL recorded by "kubeiam init" is used, else FallbackURL.
	ServerURL, FallbackURL string
	// Hosts are extra names and addresses the serving certificate covers,
	// besides loopback and ServerURL's host.
	Hosts []string
	// TLS names a user-provided serving certificate (config tls.*); empty
	// means generated in Dir/tls.
	TLS config.TLS
	// Record stores ServerURL and Hosts in the state directory so that
	// later starts of the server keep them ("kubeiam init" sets it).
	Record bool
	Now    func() time.Time
}

// State is what WriteState wrote or kept.
type State struct {
	ServerURL string
	Serving   certs.Bundle
	Client    certs.ClientBundle
	// AuthnKubeconfig and AuthzKubeconfig are the files for
	// kube-apiserver's --authentication-token-webhook-config-file and
	// --authorization-webhook-config-file.
	AuthnKubeconfig, AuthzKubeconfig string
}

// initRecord is the content of initRecordFile.
type initRecord struct {
	ServerURL string   `json:"serverURL"`
	Hosts     []string `json:"hosts,omitempty"`
}

// WriteState writes the state kube-apiserver needs to use kubeiam as its
// webhooks: the serving certificate (and its CA), the client CA and the
// client certificate for mutual TLS, and the two webhook kubeconfigs that
// carry the CA and the client certificate. Valid material is kept (see
// certs.EnsureServing, certs.EnsureClient); the kubeconfigs are rewritten
// every time, atomically. "kubeiam server" calls it at every start and
// "kubeiam init" before the first, so both produce exactly the same files.
func WriteState(o StateOptions) (State, error) {
	rec, err := readInitRecord(o.Dir)
	if err != nil {
		return State{}, err
	}
	if o.ServerURL == "" {
		o.ServerURL = rec.ServerURL
	}
	if o.ServerURL == "" {
		o.ServerURL = o.FallbackURL
	}
	o.ServerURL = strings.TrimSuffix(o.ServerURL, "/")
	if !o.Record {
		o.Hosts = append(o.Hosts, rec.Hosts...)
	}
	host, err := webhookHost(o.ServerURL)
	if err != nil {
		return State{}, err
	}
	st := State{ServerURL: o.ServerURL,
		AuthnKubeconfig: filepath.Join(o.Dir, authnKubeconfig), AuthzKubeconfig: filepath.Join(o.Dir, authzKubeconfig)}
	if o.TLS.CertFile != "" {
		st.Serving, err = certs.LoadServing(o.TLS.CertFile, o.TLS.KeyFile, "")
	} else {
		hosts := []string{"localhost", "127.0.0.1", "::1"}
		for _, h := range append(o.Hosts, host) {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
		st.Serving, err = certs.EnsureServing(filepath.Join(o.Dir, tlsDir), hosts, o.Now)
	}
	if err != nil {
		return State{}, fmt.Errorf("tls: %w", err)
	}
	if st.Client, err = certs.EnsureClient(filepath.Join(o.Dir, tlsDir), o.Now); err != nil {
		return State{}, fmt.Errorf("tls client certificate: %w", err)
	}
	for file, path := range map[string]string{st.AuthnKubeconfig: "/authenticate", st.AuthzKubeconfig: "/authorize"} {
		if err := certs.WriteWebhookKubeconfigWithClient(file, o.ServerURL+path, st.Serving.CAPEM, st.Client); err != nil {
			return State{}, fmt.Errorf("write webhook kubeconfig: %w", err)
		}
	}
	if o.Record {
		// The key that binds a token review to the authorization checks
		// of the same user (see bindingKey) is written now too, so that
		// replicas given copies of this directory share it: with
		// kube-apiserver reaching them through one Service URL, one
		// replica may review the token and another authorize it.
		if _, err := bindingKey(o.Dir); err != nil {
			return State{}, err
		}
		data, _ := json.MarshalIndent(initRecord{ServerURL: o.ServerURL, Hosts: o.Hosts}, "", "  ")
		if err := os.WriteFile(filepath.Join(o.Dir, initRecordFile), append(data, '\n'), 0o600); err != nil {
			return State{}, fmt.Errorf("record init choices: %w", err)
		}
	}
	return st, nil
}

// webhookHost checks a base webhook URL and returns its host.
func webhookHost(serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("webhook server URL %q: want https://HOST[:PORT], without a path", serverURL)
	}
	return u.Hostname(), nil
}

// readInitRecord reads what "kubeiam init" recorded; none is no error.
func readInitRecord(dir string) (initRecord, error) {
	var rec initRecord
	data, err := os.ReadFile(filepath.Join(dir, initRecordFile))
	if errors.Is(err, fs.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("read %s: %w", initRecordFile, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("%s in %s is not valid (delete it, or run kubeiam init again): %w", initRecordFile, dir, err)
	}
	return rec, nil
}

// listenerURL is the base URL of a listener's address.
func listenerURL(addr net.Addr) string { return "https://" + addr.String() }
