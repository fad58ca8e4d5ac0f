package tokenplugin

import (
	"encoding/json"
	"fmt"
	"time"
)

// ExecInfoEnv is the variable through which kubectl tells an exec plugin
// which ExecCredential apiVersion it wants and whether it may prompt.
const ExecInfoEnv = "KUBERNETES_EXEC_INFO"

// The ExecCredential apiVersions kubeiam speaks (client-go's
// client.authentication.k8s.io API group, "Client-go credential plugins"
// in the Kubernetes authentication docs).
const (
	APIVersionV1      = "client.authentication.k8s.io/v1"
	APIVersionV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// ExecInfo is what kubectl says about the call.
type ExecInfo struct {
	// APIVersion is the ExecCredential version to answer with.
	APIVersion string
	// Interactive: kubectl lets the plugin use the terminal
	// (spec.interactive; the exec config's interactiveMode decides).
	Interactive bool
	// FromKubectl: KUBERNETES_EXEC_INFO was set. When it is not, the
	// plugin was run by hand (or by kubectl older than 1.22).
	FromKubectl bool
}

// ParseExecInfo reads KUBERNETES_EXEC_INFO: v1beta1 when the variable is
// unset, as aws-iam-authenticator does, since kubectl older than 1.22 sets
// nothing.
func ParseExecInfo(execInfo string) (ExecInfo, error) {
	if execInfo == "" {
		return ExecInfo{APIVersion: APIVersionV1beta1}, nil
	}
	var info struct {
		APIVersion string `json:"apiVersion"`
		Spec       struct {
			Interactive bool `json:"interactive"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(execInfo), &info); err != nil {
		return ExecInfo{}, usagef("%s is not an ExecCredential in JSON: %w", ExecInfoEnv, err)
	}
	switch info.APIVersion {
	case APIVersionV1, APIVersionV1beta1:
		return ExecInfo{APIVersion: info.APIVersion, Interactive: info.Spec.Interactive, FromKubectl: true}, nil
	}
	return ExecInfo{}, usagef("kubectl asked for ExecCredential apiVersion %q (%s), kubeiam supports %s and %s: set exec.apiVersion in your kubeconfig to one of them",
		info.APIVersion, ExecInfoEnv, APIVersionV1, APIVersionV1beta1)
}

// execCredential is client-go's ExecCredential as it marshals (the same
// field order, spec.interactive always present, the expiry in RFC 3339 UTC
// seconds as metav1.Time writes it), declared here so that printing a
// token does not link the Kubernetes API types. A test compares it with
// client-go's own encoding.
type execCredential struct {
	Kind       string               `json:"kind"`
	APIVersion string               `json:"apiVersion"`
	Spec       execCredentialSpec   `json:"spec"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialSpec struct {
	Interactive bool `json:"interactive"`
}

type execCredentialStatus struct {
	ExpirationTimestamp string `json:"expirationTimestamp"`
	Token               string `json:"token"`
}

// EncodeExecCredential returns the ExecCredential for tok, one line of JSON
// with a trailing newline, or the bare token and a newline when tokenOnly.
// It is the only place a token is ever written.
func EncodeExecCredential(apiVersion string, tokenOnly bool, tok string, exp time.Time) ([]byte, error) {
	if tokenOnly {
		return []byte(tok + "\n"), nil
	}
	b, err := json.Marshal(execCredential{
		Kind: "ExecCredential", APIVersion: apiVersion,
		Status: execCredentialStatus{ExpirationTimestamp: exp.UTC().Format(time.RFC3339), Token: tok},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding ExecCredential: %w", err)
	}
	return append(b, '\n'), nil
}
