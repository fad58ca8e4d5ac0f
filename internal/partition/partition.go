// Package partition describes the AWS partitions kubeiam understands: their
// names, the regions that belong to them and the DNS names of their STS
// endpoints. It is pure data and does no I/O.
package partition

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Partition is one AWS partition ("aws", "aws-cn", ...).
type Partition struct {
	// ID is the partition name as it appears in ARNs.
	ID string
	// DNSSuffix is the suffix of the partition's classic endpoints.
	DNSSuffix string
	// DualStackSuffix is the suffix of the partition's dual-stack endpoints,
	// empty where the partition has none.
	DualStackSuffix string
	// GlobalSTS reports whether the partition has a global, region-less STS
	// endpoint (sts.amazonaws.com). Only the commercial partition has one.
	GlobalSTS bool
	// DefaultRegion is the region a global endpoint signs for.
	DefaultRegion string
	// regions matches the region names of the partition.
	regions *regexp.Regexp
}

// The partitions, keyed by ID. The region patterns follow the AWS SDK's
// endpoint rules; they are deliberately strict (lowercase, one digit suffix).
func table() map[string]Partition {
	return map[string]Partition{
		"aws": {ID: "aws", DNSSuffix: "amazonaws.com", DualStackSuffix: "api.aws", GlobalSTS: true, DefaultRegion: "us-east-1",
			regions: regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d$`)},
		"aws-cn": {ID: "aws-cn", DNSSuffix: "amazonaws.com.cn", DualStackSuffix: "api.amazonwebservices.com.cn", DefaultRegion: "cn-north-1",
			regions: regexp.MustCompile(`^cn-[a-z]+-\d$`)},
		"aws-us-gov": {ID: "aws-us-gov", DNSSuffix: "amazonaws.com", DualStackSuffix: "api.aws", DefaultRegion: "us-gov-west-1",
			regions: regexp.MustCompile(`^us-gov-[a-z]+-\d$`)},
		"aws-iso": {ID: "aws-iso", DNSSuffix: "c2s.ic.gov", DefaultRegion: "us-iso-east-1",
			regions: regexp.MustCompile(`^us-iso-[a-z]+-\d$`)},
		"aws-iso-b": {ID: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov", DefaultRegion: "us-isob-east-1",
			regions: regexp.MustCompile(`^us-isob-[a-z]+-\d$`)},
		"aws-iso-e": {ID: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk", DefaultRegion: "eu-isoe-west-1",
			regions: regexp.MustCompile(`^eu-isoe-[a-z]+-\d$`)},
		"aws-iso-f": {ID: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov", DefaultRegion: "us-isof-south-1",
			regions: regexp.MustCompile(`^us-isof-[a-z]+-\d$`)},
		"aws-eusc": {ID: "aws-eusc", DNSSuffix: "amazonaws.eu", DefaultRegion: "eusc-de-east-1",
			regions: regexp.MustCompile(`^eusc-[a-z]+-[a-z]+-\d$`)},
	}
}

// Set is an immutable lookup table of partitions. Build one with New and
// share it; it is safe for concurrent use.
type Set struct {
	byID map[string]Partition
}

// New returns the set of all known partitions.
func New() *Set { return &Set{byID: table()} }

// Lookup returns the partition with the given ID.
func (s *Set) Lookup(id string) (Partition, bool) {
	p, ok := s.byID[id]
	return p, ok
}

// IDs returns the known partition IDs, sorted.
func (s *Set) IDs() []string {
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ForRegion returns the partition a region belongs to.
func (s *Set) ForRegion(region string) (Partition, error) {
	// The more specific partitions first: "us-gov-west-1" also looks like an
	// "aws" region to a loose pattern.
	for _, id := range []string{"aws-us-gov", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-iso", "aws-cn", "aws-eusc", "aws"} {
		p := s.byID[id]
		if p.HasRegion(region) {
			return p, nil
		}
	}
	return Partition{}, fmt.Errorf("region %q belongs to no known partition", region)
}

// HasRegion reports whether region is a well-formed region name of p.
func (p Partition) HasRegion(region string) bool {
	if p.regions == nil || !p.regions.MatchString(region) {
		return false
	}
	// "us-gov-west-1" and "us-iso-east-1" match the commercial pattern's
	// shape but belong elsewhere.
	if p.ID == "aws" && (strings.HasPrefix(region, "us-gov-") || strings.HasPrefix(region, "us-iso")) {
		return false
	}
	return true
}

// STSHost returns the regional STS host name for region in p.
func (p Partition) STSHost(region string) string {
	return "sts." + region + "." + p.DNSSuffix
}

// GlobalSTSHost returns the global STS host name, or "" where the partition
// has no global endpoint.
func (p Partition) GlobalSTSHost() string {
	if !p.GlobalSTS {
		return ""
	}
	return "sts." + p.DNSSuffix
}

// STSEndpoint describes what an STS host name says about itself.
type STSEndpoint struct {
	Host      string
	Region    string // the region the host serves; DefaultRegion for the global endpoint
	Global    bool
	FIPS      bool
	DualStack bool
}

// ParseSTSHost recognises host as one of p's STS endpoints: regional
// (sts.REGION.SUFFIX), FIPS (sts-fips.REGION.SUFFIX), dual-stack
// (sts[-fips].REGION.DUALSTACKSUFFIX) or, in the commercial partition only,
// global (sts.amazonaws.com). Anything else, including upper case, ports,
// trailing dots and look-alikes, is refused.
func (p Partition) ParseSTSHost(host string) (STSEndpoint, error) {
	if host == "" {
		return STSEndpoint{}, fmt.Errorf("empty host")
	}
	if g := p.GlobalSTSHost(); g != "" && host == g {
		return STSEndpoint{Host: host, Region: p.DefaultRegion, Global: true}, nil
	}
	ep := STSEndpoint{Host: host}
	var rest string
	switch {
	case strings.HasPrefix(host, "sts-fips."):
		ep.FIPS, rest = true, strings.TrimPrefix(host, "sts-fips.")
	case strings.HasPrefix(host, "sts."):
		rest = strings.TrimPrefix(host, "sts.")
	default:
		return STSEndpoint{}, fmt.Errorf("host %q is not an STS endpoint", host)
	}
	region, suffix, ok := strings.Cut(rest, ".")
	if !ok {
		return STSEndpoint{}, fmt.Errorf("host %q is not an STS endpoint", host)
	}
	switch {
	case suffix == p.DNSSuffix:
	case p.DualStackSuffix != "" && suffix == p.DualStackSuffix:
		ep.DualStack = true
	default:
		return STSEndpoint{}, fmt.Errorf("host %q is not an STS endpoint of partition %s", host, p.ID)
	}
	if !p.HasRegion(region) {
		return STSEndpoint{}, fmt.Errorf("host %q names region %q, which is not in partition %s", host, region, p.ID)
	}
	ep.Region = region
	return ep, nil
}
