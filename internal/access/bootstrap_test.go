package access

import (
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
)

func TestBootstrapCreatorEntry(t *testing.T) {
	tests := []struct {
		name, creator, principal, username, policy string
	}{
		{"role session becomes its role", "arn:aws:sts::111122223333:assumed-role/Admin/alice",
			"arn:aws:iam::111122223333:role/Admin", "arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}", authz.ClusterAdminPolicyARN},
		{"role keeps its path", "arn:aws:iam::111122223333:role/ops/Admin",
			"arn:aws:iam::111122223333:role/ops/Admin", "arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}", authz.ClusterAdminPolicyARN},
		{"user", "arn:aws:iam::111122223333:user/alice",
			"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/alice", authz.ClusterAdminPolicyARN},
		{"GovCloud policy ARN", "arn:aws-us-gov:iam::111122223333:role/Admin",
			"arn:aws-us-gov:iam::111122223333:role/Admin", "arn:aws-us-gov:sts::111122223333:assumed-role/Admin/{{SessionName}}",
			"arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.CreatorARN = tt.creator
			cfg.Region = regionOf(strings.Split(tt.creator, ":")[1])
			entry, assoc, err := BootstrapCreatorEntry(cfg, t0)
			if err != nil {
				t.Fatalf("BootstrapCreatorEntry: %v", err)
			}
			if entry.PrincipalARN != tt.principal || entry.Username != tt.username || entry.Type != EntryStandard || len(entry.KubernetesGroups) != 0 {
				t.Errorf("entry = %+v", entry)
			}
			if assoc.PrincipalARN != entry.PrincipalARN || assoc.PolicyARN != tt.policy || assoc.Scope.Type != authz.ScopeCluster || !assoc.AssociatedAt.Equal(t0) {
				t.Errorf("association = %+v", assoc)
			}
			// The creator's sessions find the entry.
			p, _ := arn.Parse(tt.creator)
			if k, _ := EntryKey(entry.PrincipalARN); k != p.Key() {
				t.Errorf("entry key %q does not match the creator's %q", k, p.Key())
			}
		})
	}
}

func TestBootstrapCreatorEntryRefuses(t *testing.T) {
	cfg := validConfig()
	cfg.BootstrapClusterCreatorAdminPermissions = false
	_, _, err := BootstrapCreatorEntry(cfg, t0)
	wantError(t, err, InvalidRequestException,
		"The cluster has bootstrapClusterCreatorAdminPermissions set to false; there is no creator access entry to create.")
	cfg = validConfig()
	cfg.CreatorARN = "arn:aws:iam::111122223333:root"
	_, _, err = BootstrapCreatorEntry(cfg, t0)
	wantError(t, err, InvalidParameterException, `The cluster creator ARN "arn:aws:iam::111122223333:root" is invalid...`)
}
