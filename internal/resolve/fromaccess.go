package resolve

import (
	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// SnapshotOf translates stored access state and the aws-auth mapping in
// force (nil for none) into the snapshot Resolve reads. The authentication
// mode decides the sources: aws-auth in CONFIG_MAP and API_AND_CONFIG_MAP,
// access entries in the API modes, and the creator's implicit
// administrator mapping in CONFIG_MAP only (in the API modes the creator
// has a visible access entry instead). No mode stored means CONFIG_MAP, the
// mode of a cluster created before access entries existed.
//
// The server's mapper and the tests' snapshots both use it, so that what
// the tests resolve against is what the server resolves against.
func SnapshotOf(a access.Snapshot, awsAuth *awsauth.Index) *Snapshot {
	c := a.Cluster
	mode := c.AuthenticationMode
	if mode == "" {
		mode = access.ModeConfigMap
	}
	s := &Snapshot{
		Mode:             string(mode),
		UseAWSAuth:       mode.UsesConfigMap(),
		UseAccessEntries: mode.UsesAccessEntries(),
		CreatorARN:       c.CreatorARN,
		CreatorImplicit:  mode == access.ModeConfigMap,
		AWSAuth:          awsAuth,
		Entries:          make(map[string]Entry, len(a.Entries)),
		Generation:       a.Generation,
	}
	if k, err := arn.Key(c.CreatorARN); err == nil {
		s.CreatorKey = k
	}
	for key, e := range a.Entries {
		s.Entries[key] = Entry{
			PrincipalARN: e.PrincipalARN, PrincipalID: e.PrincipalID, Username: e.Username, Groups: e.KubernetesGroups,
			Type: string(e.Type), Grants: access.Grants(a.Associations[key]),
		}
	}
	return s
}
