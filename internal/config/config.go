// Package config is the server's configuration: one pipeline that reads an
// optional YAML file, lets flags override it, applies defaults and validates
// each section with errors that name the bad field.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/boundedfile"
	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/sts"
)

// Server is the configuration of "kubeiam server".
type Server struct {
	// ClusterID is the value every token must have signed in x-k8s-aws-id.
	ClusterID string `json:"clusterID"`
	// Partition is the AWS partition of the STS endpoints tokens may name.
	Partition string `json:"partition"`
	// Region is reported by the access-management API (ARNs of entries).
	Region string `json:"region"`
	// AccountID owns the cluster (access entry ARNs); defaults to the creator's.
	AccountID string `json:"accountID"`
	// STSEndpoint, when set, receives every STS request (a VPC endpoint, a
	// proxy, the local STS) while the signed Host stays the AWS host name.
	STSEndpoint string `json:"stsEndpoint"`
	// InsecureAllowHTTPSTSEndpoint lets STSEndpoint be plain http to a host
	// that is not loopback. Presigned tokens (credentials for 15 minutes)
	// and unauthenticated identity answers then cross the network in the
	// clear; the server warns at start.
	InsecureAllowHTTPSTSEndpoint bool `json:"insecureAllowHTTPSTSEndpoint"`
	// STSTimeout bounds one STS call.
	STSTimeout Duration `json:"stsTimeout"`
	// Listen is the address of the TLS listener (webhooks, API, health).
	Listen string `json:"listen"`
	// StateDir holds generated certificates, the embedded store and keys.
	StateDir string `json:"stateDir"`
	// TLS overrides the generated serving certificate.
	TLS TLS `json:"tls"`
	// ClusterCreatorARN is the administrator who needs no mapping.
	ClusterCreatorARN string `json:"clusterCreatorARN"`
	// AuthenticationMode is the initial mode of a new cluster record; an
	// existing record's mode changes only through the API.
	AuthenticationMode string `json:"authenticationMode"`
	// BootstrapClusterCreatorAdminPermissions, as EKS's CreateCluster
	// accessConfig: when true (the default), the creator is an
	// administrator, implicitly in CONFIG_MAP and through a cluster-admin
	// access entry created with an API mode; when false the creator gets no
	// access entry, and CONFIG_MAP is refused. It applies to a new cluster
	// record only, like AuthenticationMode.
	BootstrapClusterCreatorAdminPermissions *bool `json:"bootstrapClusterCreatorAdminPermissions"`
	// Managers may call the access-management API besides the creator.
	Managers []string `json:"managers"`
	// Kubernetes describes the cluster's API server as DescribeCluster
	// reports it (endpoint and certificate authority), so that "kubeiam
	// kubeconfig" and "aws eks update-kubeconfig" can write a kubeconfig
	// from the access-management API alone, as on EKS. Optional.
	Kubernetes Kubernetes `json:"kubernetes"`
	// AWSAuth says where the aws-auth mapping comes from.
	AWSAuth AWSAuth `json:"awsAuth"`
	// Store says where access entries and the access configuration live.
	Store Store `json:"store"`
	// Log configures logging.
	Log Log `json:"log"`
	// DecisionLogSize is how many recent decisions stay in memory.
	DecisionLogSize int `json:"decisionLogSize"`
	// CacheSize is how many verified identities stay cached.
	CacheSize int `json:"cacheSize"`
	// EC2 configures the EC2 lookups behind {{EC2PrivateDNSName}}.
	EC2 EC2 `json:"ec2"`
	// IAM configures the principal-ID lookups of CreateAccessEntry.
	IAM IAM `json:"iam"`
	// Hardening holds the authentication limits (cache TTL, audiences,
	// binding lifetime, STS rate limit); its keys are top-level.
	Hardening
}

// EC2 configures resolving {{EC2PrivateDNSName}} through EC2
// DescribeInstances, with credentials from the AWS default chain.
type EC2 struct {
	// Enabled turns the lookups on; without them a mapping that uses
	// {{EC2PrivateDNSName}} denies with EC2_PRIVATE_DNS_UNAVAILABLE.
	Enabled bool `json:"enabled"`
	// Region is where the nodes run; defaults to the server's region.
	Region string `json:"region"`
	// Endpoint, when set, receives every EC2 call (a VPC endpoint, a proxy).
	Endpoint string `json:"endpoint"`
}

// IAM configures looking up, with IAM GetRole and GetUser and credentials
// from the AWS default chain, the unique ID CreateAccessEntry records with
// an entry, so that a principal deleted and recreated with the same ARN does
// not inherit it, as in EKS.
type IAM struct {
	// PrincipalIDs turns the lookups on; without them entries record no ID
	// and match by ARN alone.
	PrincipalIDs bool `json:"principalIDs"`
	// Endpoint, when set, receives every IAM call (a proxy).
	Endpoint string `json:"endpoint"`
}

// Kubernetes is the cluster's API server as clients reach it.
type Kubernetes struct {
	// Endpoint is its https URL.
	Endpoint string `json:"endpoint"`
	// CAFile is the PEM file of the CA that signs its serving certificate.
	CAFile string `json:"caFile"`
}

// TLS names a serving certificate and key.
type TLS struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	// ClientCAFile adds CAs whose client certificates may call the
	// webhooks, besides the client CA kubeiam generates in the state dir.
	ClientCAFile string `json:"clientCAFile"`
	// RequireClientCert makes /authenticate and /authorize refuse callers
	// without a verified client certificate (mutual TLS); default true.
	RequireClientCert *bool `json:"requireClientCert"`
}

// AWSAuth selects the aws-auth sources.
type AWSAuth struct {
	// File is an aws-auth ConfigMap manifest or data map, reloaded on change.
	File string `json:"file"`
	// ConfigMap watches kube-system/aws-auth through the Kubernetes API.
	ConfigMap bool `json:"configMap"`
	// Kubeconfig is used for the ConfigMap source; empty means in-cluster.
	Kubeconfig string `json:"kubeconfig"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

// The store types.
const (
	// StoreBolt is the embedded store, a file in the state directory.
	StoreBolt = "bolt"
	// StoreKubernetes keeps the state in kubeiam.io resources of the
	// cluster's own API, shared by every replica.
	StoreKubernetes = "kubernetes"
)

// Store selects the access management store.
type Store struct {
	// Type is bolt (the default) or kubernetes.
	Type string `json:"type"`
	// Kubeconfig holds kubeiam's own credentials to kube-apiserver for the
	// kubernetes store; defaults to awsAuth.kubeconfig, and empty means
	// in-cluster.
	Kubeconfig string `json:"kubeconfig"`
	// StaleAfter is how long the kubernetes store's watch may be broken
	// before /readyz reports it (the last synced state keeps serving).
	StaleAfter Duration `json:"staleAfter"`
}

// Log configures logging.
type Log struct {
	Format string `json:"format"` // text or json
	Level  string `json:"level"`  // debug, info, warn, error
}

// Duration is a time.Duration written as "5s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", s, err)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Load reads a YAML config file. Unknown fields are errors, so a typo never
// silently falls back to a default.
func Load(path string) (Server, error) {
	var c Server
	data, err := boundedfile.Read(path, maxFileSize, "a kubeiam configuration")
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return c, fmt.Errorf("config %s: %s", path, decodeMessage(err))
	}
	return c, nil
}

// maxFileSize bounds a configuration file: a few kilobytes of settings;
// anything larger is a wrong path (/dev/zero), refused instead of read.
const maxFileSize = 1 << 20

var (
	// decoderPrefixes are what the YAML-to-JSON decoder puts before the
	// message that says what is wrong.
	decoderPrefixes = regexp.MustCompile(`^(?:error (?:unmarshaling|converting YAML to) JSON: )?(?:while decoding JSON: )?(?:json: )?`)
	// wrongType is encoding/json's message for a value of the wrong type,
	// which names Go types; the setting's name is what the reader wrote.
	wrongType = regexp.MustCompile(`cannot unmarshal (\w+) into Go struct field [\w]+\.([\w.]+) of type (\S+)`)
	notAMap   = regexp.MustCompile(`cannot unmarshal (\w+) into Go value of type \S+`)
	// section is a setting that holds settings, such as awsAuth.
	section      = regexp.MustCompile(`want a \*?config\.\w+ value`)
	unknownField = regexp.MustCompile(`^unknown field ("[^"]*")$`)
)

// decodeMessage is a decoding error of a configuration file in the
// reader's terms: the setting and the kind of value, not Go's types.
func decodeMessage(err error) string {
	msg := decoderPrefixes.ReplaceAllString(err.Error(), "")
	msg = wrongType.ReplaceAllString(msg, "setting $2: want a $3 value, got a YAML $1")
	msg = notAMap.ReplaceAllString(msg, "want a YAML mapping of settings (clusterID: prod, stsEndpoint: ..., see kubeiam server --help), got a YAML $1")
	msg = section.ReplaceAllString(msg, "want a mapping")
	msg = unknownField.ReplaceAllString(msg, "unknown setting $1 (settings are named as the flags are, see kubeiam server --help)")
	return strings.NewReplacer("want a []string value", "want a list of strings", "want a string value", "want a string",
		"YAML array", "YAML list", "YAML object", "YAML mapping").Replace(msg)
}

// Defaults fills in every unset field.
func (c *Server) Defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Partition, "aws")
	def(&c.Region, "us-east-1")
	def(&c.EC2.Region, c.Region)
	def(&c.Listen, "127.0.0.1:21362")
	def(&c.StateDir, "/var/lib/kubeiam")
	def(&c.AuthenticationMode, "CONFIG_MAP")
	if c.BootstrapClusterCreatorAdminPermissions == nil {
		yes := true
		c.BootstrapClusterCreatorAdminPermissions = &yes
	}
	def(&c.AWSAuth.Namespace, "kube-system")
	def(&c.AWSAuth.Name, "aws-auth")
	def(&c.Store.Type, StoreBolt)
	def(&c.Store.Kubeconfig, c.AWSAuth.Kubeconfig)
	if c.Store.StaleAfter.Duration == 0 {
		c.Store.StaleAfter.Duration = 30 * time.Second
	}
	def(&c.Log.Format, "text")
	def(&c.Log.Level, "info")
	if c.STSTimeout.Duration == 0 {
		c.STSTimeout.Duration = 5 * time.Second
	}
	if c.DecisionLogSize == 0 {
		c.DecisionLogSize = 1000
	}
	if c.CacheSize == 0 {
		c.CacheSize = 10000
	}
	c.Hardening.defaults()
	if c.TLS.RequireClientCert == nil {
		on := true
		c.TLS.RequireClientCert = &on
	}
	if c.AccountID == "" && c.ClusterCreatorARN != "" {
		if p, err := arn.Parse(c.ClusterCreatorARN); err == nil {
			c.AccountID = p.Account
		}
	}
}

// BootstrapCreator reports BootstrapClusterCreatorAdminPermissions, true
// when unset.
func (c *Server) BootstrapCreator() bool {
	return c.BootstrapClusterCreatorAdminPermissions == nil || *c.BootstrapClusterCreatorAdminPermissions
}

// Validate checks every field, naming the first bad one of each section.
func (c *Server) Validate() error {
	var errs []error
	add := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.ClusterID == "" {
		add("clusterID", "required: the cluster ID tokens are minted for (kubeiam token -i ID)")
	} else if len(c.ClusterID) > 100 || strings.ContainsAny(c.ClusterID, " \t\r\n") {
		add("clusterID", "%q must be at most 100 characters without white space", c.ClusterID)
	} else if access.ValidateClusterName(c.ClusterID) != nil {
		// The cluster record could never be stored: refuse it before
		// anything starts, as EKS names clusters.
		add("clusterID", "%q must be 1 to 100 letters, digits, hyphens and underscores, beginning with a letter or digit (an EKS cluster name)", c.ClusterID)
	}
	parts := partition.New()
	if p, ok := parts.Lookup(c.Partition); !ok {
		add("partition", "unknown partition %q (known: %s)", c.Partition, strings.Join(parts.IDs(), ", "))
	} else if !p.HasRegion(c.Region) {
		add("region", "%q is not a region of partition %s", c.Region, c.Partition)
	}
	if p, ok := parts.Lookup(c.Partition); ok && !p.HasRegion(c.EC2.Region) {
		add("ec2.region", "%q is not a region of partition %s", c.EC2.Region, c.Partition)
	}
	if e := c.Kubernetes.Endpoint; e != "" {
		if u, err := url.Parse(e); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			add("kubernetes.endpoint", "%q must be an https://HOST[:PORT] URL, as DescribeCluster reports it", e)
		}
	}
	if c.Kubernetes.CAFile != "" && c.Kubernetes.Endpoint == "" {
		add("kubernetes.caFile", "goes with kubernetes.endpoint")
	}
	if c.IAM.Endpoint != "" {
		if err := validURL(c.IAM.Endpoint); err != nil {
			add("iam.endpoint", "%v", err)
		}
	}
	if c.EC2.Endpoint != "" {
		if err := validURL(c.EC2.Endpoint); err != nil {
			add("ec2.endpoint", "%v", err)
		}
	}
	if c.AccountID != "" && !arn.ValidAccount(c.AccountID) {
		add("accountID", "%q is not a 12-digit account ID", c.AccountID)
	}
	if c.STSEndpoint != "" {
		if err := sts.CheckEndpoint(c.STSEndpoint, c.InsecureAllowHTTPSTSEndpoint); err != nil {
			add("stsEndpoint", "%v", err)
		}
	}
	if c.STSTimeout.Duration < 100*time.Millisecond || c.STSTimeout.Duration > time.Minute {
		add("stsTimeout", "%s must be between 100ms and 1m", c.STSTimeout.Duration)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "%q is not host:port: %v", c.Listen, err)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls", "certFile and keyFile go together")
	}
	c.Hardening.validate(add)
	if c.ClusterCreatorARN != "" {
		if p, err := arn.Parse(c.ClusterCreatorARN); err != nil {
			add("clusterCreatorARN", "%v", err)
		} else if !p.IsIAM() && p.Kind != arn.KindAssumedRole {
			add("clusterCreatorARN", "%q must be an IAM user or role", c.ClusterCreatorARN)
		}
	}
	switch c.AuthenticationMode {
	case "CONFIG_MAP", "API_AND_CONFIG_MAP", "API":
	default:
		add("authenticationMode", "%q must be CONFIG_MAP, API_AND_CONFIG_MAP or API", c.AuthenticationMode)
	}
	if b := c.BootstrapClusterCreatorAdminPermissions; b != nil && !*b && c.AuthenticationMode == "CONFIG_MAP" {
		// EKS's CreateCluster refuses the same, in these words.
		add("bootstrapClusterCreatorAdminPermissions", "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
	}
	switch c.Store.Type {
	case StoreBolt, StoreKubernetes:
	default:
		add("store.type", "%q must be bolt or kubernetes", c.Store.Type)
	}
	if c.Store.StaleAfter.Duration < time.Second {
		add("store.staleAfter", "%s must be at least 1s", c.Store.StaleAfter.Duration)
	}
	for i, m := range c.Managers {
		if _, err := arn.Parse(m); err != nil {
			add(fmt.Sprintf("managers[%d]", i), "%v", err)
		}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "%q must be text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if c.DecisionLogSize < 1 || c.DecisionLogSize > 1_000_000 {
		add("decisionLogSize", "%d must be between 1 and 1000000", c.DecisionLogSize)
	}
	if c.CacheSize < 1 || c.CacheSize > 10_000_000 {
		add("cacheSize", "%d must be between 1 and 10000000", c.CacheSize)
	}
	return errors.Join(errs...)
}

func validURL(s string) error {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" {
		return fmt.Errorf("%q must be an http:// or https:// URL", s)
	}
	return nil
}
