package token

import (
	"fmt"
	"slices"
)

// Audience says which service a token is meant for. A token for one is
// refused by the other, so that whoever sees a kubectl token (a proxy, an
// aggregated API server, a log) cannot use it to change access, and an
// access-management token cannot reach the cluster.
type Audience int

const (
	// AudienceCluster is kube-apiserver through the TokenReview webhook:
	// x-k8s-aws-id is the cluster ID, exactly as aws-iam-authenticator and
	// "aws eks get-token" sign it. It is the zero value.
	AudienceCluster Audience = iota
	// AudienceAPI is kubeiam's access-management API and its diagnosis
	// endpoints: x-k8s-aws-id is APIAudiencePrefix + the cluster ID, and
	// AudienceHeader is signed too.
	AudienceAPI
)

const (
	// APIAudiencePrefix begins the x-k8s-aws-id of an API token. EKS
	// cluster names match ^[0-9A-Za-z][A-Za-z0-9\-_]*$ (CreateCluster in
	// the EKS API reference), so a value with a colon is never a cluster
	// name, and no cluster ID can be mistaken for an API audience.
	APIAudiencePrefix = "kubeiam-api:"
	// AudienceHeader is signed into API tokens, with the value
	// APIAudienceValue. The value of x-k8s-aws-id travels in a header the
	// token does not contain, only its name is in X-Amz-SignedHeaders; this
	// header's name there lets a verifier tell an API token from a cluster
	// token before any network call, and say so precisely. It is a hint
	// for the error message only: STS's signature check over the
	// x-k8s-aws-id value the verifier sends is what binds the audience.
	AudienceHeader = "x-kubeiam-audience"
	// APIAudienceValue is the value of AudienceHeader in an API token.
	APIAudienceValue = "api"
)

// String names the audience as the CLI's --audience flag does.
func (a Audience) String() string {
	switch a {
	case AudienceCluster:
		return "cluster"
	case AudienceAPI:
		return "api"
	}
	return fmt.Sprintf("Audience(%d)", int(a))
}

// ParseAudience is the inverse of String.
func ParseAudience(s string) (Audience, error) {
	switch s {
	case "cluster":
		return AudienceCluster, nil
	case "api":
		return AudienceAPI, nil
	}
	return 0, fmt.Errorf("unknown audience %q: want cluster or api", s)
}

// Headers returns the headers a token for clusterID and a must sign, and
// a verifier must send to STS with it: x-k8s-aws-id, and for the API
// AudienceHeader.
func (a Audience) Headers(clusterID string) map[string]string {
	if a == AudienceAPI {
		return map[string]string{ClusterIDHeader: APIAudiencePrefix + clusterID, AudienceHeader: APIAudienceValue}
	}
	return map[string]string{ClusterIDHeader: clusterID}
}

// audienceOf tells the audience from the signed header names.
func audienceOf(signedHeaders []string) Audience {
	if slices.Contains(signedHeaders, AudienceHeader) {
		return AudienceAPI
	}
	return AudienceCluster
}

// checkAudience refuses a token signed for another audience than want.
func checkAudience(signedHeaders []string, want Audience) (Audience, error) {
	got := audienceOf(signedHeaders)
	switch {
	case got == want:
		return got, nil
	case got == AudienceAPI:
		return got, ErrAPIToken
	}
	return got, ErrClusterToken
}
