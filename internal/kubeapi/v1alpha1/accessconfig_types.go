package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccessConfigName is the name of the one AccessConfig a cluster has.
const AccessConfigName = "cluster"

// AccessConfig is the cluster's access configuration, like the accessConfig
// of an EKS cluster: its authentication mode, which only moves forwards
// (CONFIG_MAP → API_AND_CONFIG_MAP → API), and its creator. There is one,
// named "cluster". Its metadata.generation is the configuration's version
// for optimistic concurrency.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=kubeiam
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.authenticationMode`
// +kubebuilder:printcolumn:name="Creator",type=string,JSONPath=`.spec.clusterCreatorArn`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == 'cluster'",message="the AccessConfig must be named cluster"
type AccessConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AccessConfigSpec `json:"spec"`
	// Status records the cluster's recent updates. There is no status
	// subresource: a mode change and its update record are one write.
	//
	// +optional
	Status AccessConfigStatus `json:"status,omitempty"`
}

// AccessConfigStatus is what the access-management API records about the
// cluster.
type AccessConfigStatus struct {
	// Updates are the recent updates (authentication mode changes), oldest
	// first, as DescribeUpdate and ListUpdates report them.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Updates []ClusterUpdate `json:"updates,omitempty"`
}

// ClusterUpdate is one update of the cluster, as the EKS API's Update.
type ClusterUpdate struct {
	// ID is the update's UUID.
	//
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// Status is InProgress, Successful or Failed.
	//
	// +required
	// +kubebuilder:validation:Enum=InProgress;Successful;Failed
	Status string `json:"status"`
	// Type is the EKS update type, such as AccessConfigUpdate.
	//
	// +required
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type"`
	// Params are the update's parameters.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Params []ClusterUpdateParam `json:"params,omitempty"`
	// CreatedAt is when the update was accepted, RFC 3339 with nanoseconds.
	//
	// +required
	// +kubebuilder:validation:Format=date-time
	CreatedAt string `json:"createdAt"`
	// Errors say why a Failed update failed.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Errors []ClusterUpdateError `json:"errors,omitempty"`
	// ClientRequestToken is the idempotency token of the request that made
	// the update.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ClientRequestToken string `json:"clientRequestToken,omitempty"`
}

// ClusterUpdateParam is one parameter of an update.
type ClusterUpdateParam struct {
	// +required
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type"`
	// +required
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value"`
}

// ClusterUpdateError is why an update failed.
type ClusterUpdateError struct {
	// +required
	// +kubebuilder:validation:MaxLength=64
	Code string `json:"code"`
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// AccessConfigSpec is the cluster's access configuration.
//
// +kubebuilder:validation:XValidation:rule="self.authenticationMode != 'CONFIG_MAP' || self.bootstrapClusterCreatorAdminPermissions",message="bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"
// +kubebuilder:validation:XValidation:rule="!self.bootstrapClusterCreatorAdminPermissions || (has(self.clusterCreatorArn) && size(self.clusterCreatorArn) > 0)",message="bootstrapClusterCreatorAdminPermissions needs a clusterCreatorArn"
type AccessConfigSpec struct {
	// ClusterName is the cluster's name in the EKS API's paths and ARNs.
	// Immutable.
	//
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterName is immutable"
	ClusterName string `json:"clusterName"`

	// Region and AccountID place the cluster in access entry ARNs.
	// Immutable.
	//
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{0,31}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="region is immutable"
	Region string `json:"region"`
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9]{12}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="accountId is immutable"
	AccountID string `json:"accountId"`

	// AuthenticationMode says which sources of principal mappings count:
	// the aws-auth ConfigMap, access entries, or both. One-way, one step at
	// a time, as in EKS.
	//
	// +required
	// +kubebuilder:validation:Enum=CONFIG_MAP;API_AND_CONFIG_MAP;API
	// +kubebuilder:validation:XValidation:rule="self == oldSelf || (oldSelf == 'CONFIG_MAP' && self == 'API_AND_CONFIG_MAP') || (oldSelf == 'API_AND_CONFIG_MAP' && self == 'API')",message="authentication mode changes are one-way and one step at a time (CONFIG_MAP → API_AND_CONFIG_MAP → API)"
	AuthenticationMode string `json:"authenticationMode"`

	// BootstrapClusterCreatorAdminPermissions gives the creator cluster
	// admin: implicitly in CONFIG_MAP mode, as an access entry in the API
	// modes.
	//
	// +optional
	BootstrapClusterCreatorAdminPermissions bool `json:"bootstrapClusterCreatorAdminPermissions"`

	// ClusterCreatorARN is the IAM user, role or assumed-role session that
	// created the cluster.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:.+$`
	ClusterCreatorARN string `json:"clusterCreatorArn,omitempty"`

	// CreatedAt is when the cluster was created, RFC 3339 with nanoseconds.
	//
	// +optional
	// +kubebuilder:validation:Format=date-time
	CreatedAt string `json:"createdAt,omitempty"`

	// Tags are the cluster's AWS tags.
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=50
	Tags map[string]string `json:"tags,omitempty"`
}

// AccessConfigList is a list of AccessConfig.
//
// +kubebuilder:object:root=true
type AccessConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AccessConfig `json:"items"`
}
