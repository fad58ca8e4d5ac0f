package admission

import (
	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// AccessConfig checks the cluster's AccessConfig being created, or updated
// from old: its name, its fields as CreateCluster checks them, and, on
// update, the one-way authentication mode (UpdateClusterConfig's rule;
// the CRD's CEL transition rule says the same, this is belt and braces)
// and the fields that never change.
func (v Validator) AccessConfig(op Operation, obj, old *v1alpha1.AccessConfig) error {
	if obj.Name != v1alpha1.AccessConfigName {
		return invalid("The AccessConfig must be named %s, not %s: a cluster has one.", v1alpha1.AccessConfigName, obj.Name)
	}
	if err := clusterConfig(obj.Spec).Validate(); err != nil {
		return err
	}
	if op != Update || old == nil {
		return nil
	}
	from, to := access.Mode(old.Spec.AuthenticationMode), access.Mode(obj.Spec.AuthenticationMode)
	if from != to {
		if err := access.ValidateModeChange(from, to); err != nil {
			return err
		}
	}
	o, n := old.Spec, obj.Spec
	for _, f := range []struct {
		name     string
		old, new any
	}{
		{"clusterName", o.ClusterName, n.ClusterName},
		{"region", o.Region, n.Region},
		{"accountId", o.AccountID, n.AccountID},
		{"clusterCreatorArn", o.ClusterCreatorARN, n.ClusterCreatorARN},
		{"bootstrapClusterCreatorAdminPermissions", o.BootstrapClusterCreatorAdminPermissions, n.BootstrapClusterCreatorAdminPermissions},
	} {
		if f.old != f.new {
			return invalid("The %s of the cluster's AccessConfig cannot be changed (from %v to %v).", f.name, f.old, f.new)
		}
	}
	return nil
}

func clusterConfig(s v1alpha1.AccessConfigSpec) access.ClusterConfig {
	return access.ClusterConfig{
		Name: s.ClusterName, Region: s.Region, AccountID: s.AccountID,
		AuthenticationMode:                      access.Mode(s.AuthenticationMode),
		BootstrapClusterCreatorAdminPermissions: s.BootstrapClusterCreatorAdminPermissions,
		CreatorARN:                              s.ClusterCreatorARN,
	}
}
