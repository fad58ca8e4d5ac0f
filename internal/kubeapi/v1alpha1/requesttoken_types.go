package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RequestToken claims the clientRequestToken of one CreateAccessEntry
// request for the cluster. It is created before the AccessEntry the request
// makes, and its name is derived from the token (RequestTokenName), so the
// API server lets exactly one of two requests with one token create it:
// the other is the same request sent again (same entry, same digest), which
// gets the entry, or a different one, which is refused. It is labelled
// AccessEntryLabel with the name of the AccessEntry the request makes;
// kubeiam deletes it with that entry, and when the request fails. It is bookkeeping, not state to manage, so
// it is not in the kubeiam category ("kubectl get kubeiam").
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:printcolumn:name="Operation",type=string,JSONPath=`.spec.operation`
// +kubebuilder:printcolumn:name="Principal",type=string,JSONPath=`.spec.principalArn`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RequestToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec RequestTokenSpec `json:"spec"`
}

// RequestTokenSpec is the request that used the token. Immutable.
//
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a RequestToken is immutable"
type RequestTokenSpec struct {
	// Operation is the EKS operation of the request: CreateAccessEntry.
	//
	// +required
	// +kubebuilder:validation:Enum=CreateAccessEntry
	Operation string `json:"operation"`

	// ClientRequestToken is the token, as the caller sent it.
	//
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ClientRequestToken string `json:"clientRequestToken"`

	// PrincipalARN is the principal of the access entry the request makes.
	//
	// +required
	// +kubebuilder:validation:MaxLength=2048
	PrincipalARN string `json:"principalArn"`

	// RequestDigest is the SHA-256, in hex, of what the request asks for:
	// the same request sent again has the same digest.
	//
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{64}$`
	RequestDigest string `json:"requestDigest"`
}

// RequestTokenList is a list of RequestToken.
//
// +kubebuilder:object:root=true
type RequestTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RequestToken `json:"items"`
}
