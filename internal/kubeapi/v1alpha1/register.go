package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The API group and version of kubeiam's resources.
const (
	Group   = "kubeiam.io"
	Version = "v1alpha1"
)

// The resources (plural names) of the kinds, as in REST paths and RBAC rules.
const (
	AccessEntryResource  = "accessentries"
	AccessConfigResource = "accessconfigs"
	RequestTokenResource = "requesttokens"
)

// GroupVersion returns kubeiam.io/v1alpha1.
func GroupVersion() schema.GroupVersion { return schema.GroupVersion{Group: Group, Version: Version} }

// AccessEntryGVR and AccessConfigGVR name the resources for dynamic clients.
func AccessEntryGVR() schema.GroupVersionResource {
	return GroupVersion().WithResource(AccessEntryResource)
}

// AccessConfigGVR names the AccessConfig resource.
func AccessConfigGVR() schema.GroupVersionResource {
	return GroupVersion().WithResource(AccessConfigResource)
}

// RequestTokenGVR names the RequestToken resource.
func RequestTokenGVR() schema.GroupVersionResource {
	return GroupVersion().WithResource(RequestTokenResource)
}

// AddToScheme registers the kinds of kubeiam.io/v1alpha1 with s.
func AddToScheme(s *runtime.Scheme) error {
	gv := GroupVersion()
	s.AddKnownTypes(gv, &AccessEntry{}, &AccessEntryList{}, &AccessConfig{}, &AccessConfigList{}, &RequestToken{}, &RequestTokenList{})
	metav1.AddToGroupVersion(s, gv)
	return nil
}
