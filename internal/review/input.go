// Package review answers "who can": which IAM principals, or principal
// patterns (a role and any session of it, an IAM Identity Center
// permission set, a whole account), a cluster lets do a request, and by
// which path: the implicit cluster creator, an aws-auth mapping and its
// groups' RBAC bindings, system:masters, an access entry's groups and
// bindings, or an access entry's access policies. It is pure: the caller
// hands it every source; it does no I/O.
package review

import (
	"fmt"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

// Input is every source of access, as the cluster has it.
type Input struct {
	// Mode is the authentication mode; empty is CONFIG_MAP.
	Mode access.Mode
	// CreatorARN is the cluster creator, if known.
	CreatorARN string
	// AWSAuth is the aws-auth document in force; nil is none.
	AWSAuth *awsauth.Document
	// Entries and Associations are the access entries and their policies.
	Entries      []access.AccessEntry
	Associations []access.AccessPolicyAssociation
	// RBAC is the cluster's RBAC; nil counts only the bootstrap roles
	// through access policies and system:masters.
	RBAC *rbaceval.RBAC
}

// Request is what to ask about: a resource request (Verb, Resource, ...)
// or a non-resource one (Verb and Path).
type Request struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Path        string `json:"path,omitempty"`
}

// Validate checks the request describes something.
func (q Request) Validate() error {
	switch {
	case q.Verb == "":
		return fmt.Errorf("request: no verb")
	case q.Resource == "" && q.Path == "":
		return fmt.Errorf("request: no resource or non-resource path")
	case q.Resource != "" && q.Path != "":
		return fmt.Errorf("request: a resource and a non-resource path")
	}
	return nil
}

// attributes are the request as authz and RBAC see it.
func (q Request) attributes() authz.Attributes {
	a := authz.Attributes{Verb: q.Verb}
	if q.Path != "" {
		a.NonResourcePath = q.Path
		return a
	}
	a.ResourceRequest = true
	a.APIGroup, a.Resource, a.Subresource, a.Name, a.Namespace = q.APIGroup, q.Resource, q.Subresource, q.Name, q.Namespace
	return a
}

// String is the request in words: `delete pods in namespace "prod"`.
func (q Request) String() string { return q.attributes().String() }

func (in Input) mode() (access.Mode, error) {
	m := in.Mode
	if m == "" {
		m = access.ModeConfigMap
	}
	if !m.Valid() {
		return "", fmt.Errorf("authentication mode %q: want CONFIG_MAP, API_AND_CONFIG_MAP or API", in.Mode)
	}
	return m, nil
}
