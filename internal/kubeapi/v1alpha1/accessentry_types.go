package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccessEntry grants one IAM principal a Kubernetes identity on the cluster,
// like an EKS access entry, with the access policies associated with it.
// There is at most one per principal: its name must be
// AccessEntryName(spec.principalArn); kubeiam ignores (and its admission
// webhook refuses) an AccessEntry named otherwise.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=ae,categories=kubeiam
// +kubebuilder:printcolumn:name="Principal",type=string,JSONPath=`.spec.principalArn`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Username",type=string,JSONPath=`.spec.username`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AccessEntry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AccessEntrySpec `json:"spec"`
}

// AccessEntrySpec is the access entry, in the EKS API's terms.
//
// +kubebuilder:validation:XValidation:rule="self.type == 'STANDARD' || self.type == 'EC2' || !has(self.accessPolicies) || size(self.accessPolicies) == 0",message="access policies can only be associated with access entries of type STANDARD (and AmazonEKSAutoNodePolicy with type EC2)"
// +kubebuilder:validation:XValidation:rule="self.type != 'EC2' || !has(self.accessPolicies) || self.accessPolicies.all(p, p.policyArn.endsWith('/AmazonEKSAutoNodePolicy'))",message="access entries of type EC2 take only the AmazonEKSAutoNodePolicy access policy"
// +kubebuilder:validation:XValidation:rule="self.type == 'EC2' || !has(self.accessPolicies) || self.accessPolicies.all(p, !p.policyArn.endsWith('/AmazonEKSAutoNodePolicy'))",message="AmazonEKSAutoNodePolicy can only be associated with access entries of type EC2"
// +kubebuilder:validation:XValidation:rule="self.type != 'STANDARD' || !has(self.username) || !self.username.contains('{{SessionName') || self.username.substring(0, self.username.indexOf('{{SessionName')).contains(':')",message="a username with {{SessionName}} or {{SessionNameRaw}} must include a colon before it"
// +kubebuilder:validation:XValidation:rule="self.type != 'STANDARD' || !has(self.kubernetesGroups) || self.kubernetesGroups.all(g, !g.startsWith('system:'))",message="kubernetesGroups cannot start with system:"
// +kubebuilder:validation:XValidation:rule="self.type != 'STANDARD' || !has(self.username) || !['system:', 'eks:', 'aws:', 'amazon:', 'iam:'].exists(p, self.username.startsWith(p))",message="username cannot start with system:, eks:, aws:, amazon: or iam:"
type AccessEntrySpec struct {
	// PrincipalARN is the IAM user or role the entry is for, as it was
	// given (with or without a path; matching ignores the path and the case
	// of the name). Immutable.
	//
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/.+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="principalArn is immutable"
	PrincipalARN string `json:"principalArn"`

	// PrincipalID is the principal's IAM unique ID (AROA... for a role,
	// AIDA... for a user) when the entry was created; kubeiam looks it up
	// with IAM GetRole or GetUser. A caller whose STS UserId names another
	// ID is a recreated principal and the entry does not match it, as in
	// EKS. Empty: the entry matches by ARN alone. Immutable: recreate the
	// entry to bind it to a recreated principal.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Z0-9]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="principalId is immutable"
	PrincipalID string `json:"principalId,omitempty"`

	// Type is STANDARD for people and workloads; the others are for the IAM
	// roles of nodes (of the cluster's account), whose username and groups
	// are fixed. Immutable.
	//
	// +optional
	// +kubebuilder:default=STANDARD
	// +kubebuilder:validation:Enum=STANDARD;EC2_LINUX;EC2_WINDOWS;FARGATE_LINUX;HYBRID_LINUX;HYPERPOD_LINUX;EC2
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="type is immutable"
	Type string `json:"type,omitempty"`

	// Username is the Kubernetes username, possibly a template such as
	// {{SessionName}}. Empty means EKS's default for the principal.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Username string `json:"username,omitempty"`

	// KubernetesGroups are the Kubernetes groups of the principal.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	KubernetesGroups []string `json:"kubernetesGroups,omitempty"`

	// Tags are the entry's AWS tags.
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=50
	Tags map[string]string `json:"tags,omitempty"`

	// ClientRequestToken is the idempotency token of the CreateAccessEntry
	// that made the entry: a retry with it gets the entry back.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ClientRequestToken string `json:"clientRequestToken,omitempty"`

	// UpdateTokens are the clientRequestTokens of the entry's latest
	// UpdateAccessEntry requests, oldest first, each with the digest of its
	// request: a retry of one of them changes nothing.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	UpdateTokens []TokenUse `json:"updateTokens,omitempty"`

	// AccessPolicies are the access policies associated with the entry, at
	// most one per policy ARN.
	//
	// +optional
	// +listType=map
	// +listMapKey=policyArn
	// +kubebuilder:validation:MaxItems=100
	AccessPolicies []AccessPolicy `json:"accessPolicies,omitempty"`

	// AccessEntryARN is the entry's EKS-style ARN; kubeiam sets it when it
	// creates the entry, and derives it when an applied entry has none.
	//
	// +optional
	AccessEntryARN string `json:"accessEntryArn,omitempty"`

	// CreatedAt and ModifiedAt are RFC 3339 times with nanoseconds; when
	// absent kubeiam uses the object's creationTimestamp.
	//
	// +optional
	// +kubebuilder:validation:Format=date-time
	CreatedAt string `json:"createdAt,omitempty"`
	// +optional
	// +kubebuilder:validation:Format=date-time
	ModifiedAt string `json:"modifiedAt,omitempty"`
}

// TokenUse is a clientRequestToken and the SHA-256, in hex, of the request
// that used it.
type TokenUse struct {
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Token string `json:"token"`
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{64}$`
	RequestDigest string `json:"requestDigest"`
}

// AccessPolicy is one access policy association of the entry.
type AccessPolicy struct {
	// PolicyARN is the access policy, for example
	// arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy.
	//
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^arn:aws(-[a-z]+)*:eks::aws:cluster-access-policy/[A-Za-z0-9]+$`
	PolicyARN string `json:"policyArn"`

	// AccessScope says where the policy applies.
	//
	// +required
	AccessScope AccessScope `json:"accessScope"`

	// AssociatedAt and ModifiedAt are RFC 3339 times with nanoseconds.
	//
	// +optional
	// +kubebuilder:validation:Format=date-time
	AssociatedAt string `json:"associatedAt,omitempty"`
	// +optional
	// +kubebuilder:validation:Format=date-time
	ModifiedAt string `json:"modifiedAt,omitempty"`
}

// AccessScope is the scope of an access policy association: the whole
// cluster, or the listed namespaces.
//
// +kubebuilder:validation:XValidation:rule="self.type == 'namespace' ? (has(self.namespaces) && size(self.namespaces) > 0) : (!has(self.namespaces) || size(self.namespaces) == 0)",message="a namespace scope needs at least one namespace and a cluster scope takes none"
type AccessScope struct {
	// Type is cluster or namespace.
	//
	// +required
	// +kubebuilder:validation:Enum=cluster;namespace
	Type string `json:"type"`

	// Namespaces are namespace names, in which '*' matches any run of
	// characters ("dev-*"). Only namespace scopes have them.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$`
	Namespaces []string `json:"namespaces,omitempty"`
}

// AccessEntryList is a list of AccessEntry.
//
// +kubebuilder:object:root=true
type AccessEntryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AccessEntry `json:"items"`
}
