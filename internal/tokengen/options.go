package tokengen

import (
	"errors"
	"fmt"
	"time"

	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
)

// MaxClusterIDLength is the longest cluster ID accepted; EKS cluster names
// are at most 100 characters.
const MaxClusterIDLength = 100

// Errors of Options.Validate, wrapped with detail. Compare with errors.Is.
var (
	ErrClusterID = errors.New("invalid cluster ID")
	ErrRegion    = errors.New("invalid region")
	ErrGlobal    = errors.New("no global STS endpoint")
	ErrNoClock   = errors.New("tokengen: Options.Now is not set")
)

// Options describe the token to generate.
type Options struct {
	// ClusterID is the value of the signed x-k8s-aws-id header: the EKS
	// cluster name, or the cluster ID the verifier is configured with.
	ClusterID string
	// Region selects the regional STS endpoint sts.REGION.DNSSUFFIX and
	// the signing region.
	Region string
	// Global presigns for the global endpoint sts.amazonaws.com, signed
	// for us-east-1, instead of the regional one. Only the commercial
	// partition has a global endpoint.
	Global bool
	// Audience is what the token is for: the cluster (the zero value,
	// what kubectl sends) or kubeiam's access-management API, whose
	// tokens sign x-k8s-aws-id = token.APIAudiencePrefix + ClusterID.
	Audience token.Audience
	// Now is the clock; it must be set.
	Now func() time.Time
}

// Validate checks the options without any I/O.
func (o Options) Validate() error {
	_, err := o.endpoint()
	return err
}

// ValidateClusterID checks a cluster ID: 1 to MaxClusterIDLength printable
// ASCII characters, no white space. It travels as an HTTP header value, so
// anything else would be mangled or refused on the way.
func ValidateClusterID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrClusterID)
	}
	if len(id) > MaxClusterIDLength {
		return fmt.Errorf("%w: %d characters, at most %d allowed", ErrClusterID, len(id), MaxClusterIDLength)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w %q: white space, control or non-ASCII character at offset %d", ErrClusterID, id, i)
		}
	}
	return nil
}

// ValidateRegion checks that region is a well-formed region name of a known
// partition and returns that partition.
func ValidateRegion(region string) (partition.Partition, error) {
	if region == "" {
		return partition.Partition{}, fmt.Errorf("%w: empty", ErrRegion)
	}
	p, err := partition.New().ForRegion(region)
	if err != nil {
		return partition.Partition{}, fmt.Errorf("%w: %w", ErrRegion, err)
	}
	return p, nil
}

// endpoint is where a token is presigned for.
type endpoint struct {
	host          string
	signingRegion string
}

// endpoint validates o, cheapest check first, and returns the STS endpoint.
func (o Options) endpoint() (endpoint, error) {
	if err := ValidateClusterID(o.ClusterID); err != nil {
		return endpoint{}, err
	}
	p, err := ValidateRegion(o.Region)
	if err != nil {
		return endpoint{}, err
	}
	if o.Now == nil {
		return endpoint{}, ErrNoClock
	}
	if !o.Global {
		return endpoint{host: p.STSHost(o.Region), signingRegion: o.Region}, nil
	}
	host := p.GlobalSTSHost()
	if host == "" {
		return endpoint{}, fmt.Errorf("%w in partition %s (region %s): use the regional endpoint", ErrGlobal, p.ID, o.Region)
	}
	return endpoint{host: host, signingRegion: p.DefaultRegion}, nil
}
