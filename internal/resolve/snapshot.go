package resolve

import (
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// Snapshot is a consistent view of every mapping source at one moment. It
// is immutable once built: a change builds a new Snapshot.
type Snapshot struct {
	// Mode is the cluster's authentication mode, for notes and explain
	// ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API").
	Mode string
	// UseAWSAuth and UseAccessEntries say which sources the mode consults.
	UseAWSAuth       bool
	UseAccessEntries bool
	// CreatorARN is the cluster creator. In CONFIG_MAP mode the creator is an
	// administrator without any mapping (CreatorImplicit); in the API modes
	// the creator's access comes from its bootstrapped access entry.
	CreatorARN      string
	CreatorKey      string
	CreatorImplicit bool
	// AWSAuth is the aws-auth mapping in force; nil means empty.
	AWSAuth *awsauth.Index
	// Entries are the access entries by principal key (arn.Key).
	Entries map[string]Entry
	// Generation identifies the snapshot, for logs.
	Generation uint64
}

// Entry is an access entry as the resolver needs it.
type Entry struct {
	PrincipalARN string
	// PrincipalID is the IAM unique ID the entry was created for; empty
	// when unknown, and the entry then matches by ARN alone.
	PrincipalID string
	// Username may hold templates ({{SessionName}}, {{EC2PrivateDNSName}}).
	Username string
	Groups   []string
	Type     string
	Grants   []authz.Grant
}

// CreatorUsername is the username the implicit creator mapping gives, the
// one EKS gives the cluster creator.
const CreatorUsername = "kubernetes-admin"

// CreatorGroups are the implicit creator's groups.
var creatorGroups = []string{"system:masters"}

// CreatorGroups returns the groups of the implicit creator mapping.
func CreatorGroups() []string { return append([]string(nil), creatorGroups...) }
