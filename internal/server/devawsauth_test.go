package server

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/migrate"
)

// The dev server's own aws-auth example (role/admin, username
// admin:{{SessionName}}, system:masters) migrates to an access entry with
// that username and AmazonEKSClusterAdminPolicy at cluster scope: EKS
// accepts a session name template after a colon, and system:masters, which
// no access entry may have as a group, becomes the cluster admin policy.
func TestDevAWSAuthMigrates(t *testing.T) {
	var data map[string]string
	if err := yaml.Unmarshal([]byte(devAWSAuth), &data); err != nil {
		t.Fatal(err)
	}
	doc, _, err := awsauth.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	plan := migrate.NewPlan(doc, nil)
	if len(plan.Items) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	it := plan.Items[0]
	if it.Action != migrate.ActionCreate || it.Entry.Username != "admin:{{SessionName}}" || len(it.Entry.KubernetesGroups) != 0 ||
		len(it.Associations) != 1 || it.Associations[0].PolicyARN != authz.ClusterAdminPolicyARN || it.Associations[0].Scope.Type != authz.ScopeCluster {
		t.Fatalf("plan item = %+v", it)
	}
}
