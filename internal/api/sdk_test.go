package api

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// TestSDKOperations drives every operation through the Go SDK's EKS client
// with BaseEndpoint, the way kubeiam's CLI and any Go program call EKS.
func TestSDKOperations(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	name := aws.String(testCluster)

	dc, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil {
		t.Fatalf("DescribeCluster: %v", err)
	}
	cl := dc.Cluster
	if aws.ToString(cl.Arn) != "arn:aws:eks:us-east-1:111122223333:cluster/kubeiam-dev" || cl.Status != types.ClusterStatusActive ||
		cl.AccessConfig.AuthenticationMode != types.AuthenticationModeConfigMap ||
		!aws.ToBool(cl.AccessConfig.BootstrapClusterCreatorAdminPermissions) || !cl.CreatedAt.Equal(t0.Add(-60*60e9)) {
		t.Errorf("DescribeCluster = %+v", cl)
	}
	// The endpoint and the base64 of the CA's PEM, as EKS reports them
	// (what "aws eks update-kubeconfig" writes into a kubeconfig).
	if ca := cl.CertificateAuthority; aws.ToString(cl.Endpoint) != testKubernetesEndpoint || ca == nil ||
		aws.ToString(ca.Data) != base64.StdEncoding.EncodeToString([]byte(testKubernetesCA)) {
		t.Errorf("DescribeCluster endpoint %q, certificateAuthority %+v", aws.ToString(cl.Endpoint), ca)
	}

	// Entry operations need an API mode.
	_, err = c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name})
	if code := apiErrorCode(t, err); code != "InvalidRequestException" {
		t.Errorf("ListAccessEntries in CONFIG_MAP: %v", err)
	}

	up, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name,
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap}})
	if err != nil {
		t.Fatalf("UpdateClusterConfig: %v", err)
	}
	if u := up.Update; u.Status != types.UpdateStatusInProgress || u.Type != types.UpdateTypeAccessConfigUpdate || len(u.Params) != 1 ||
		u.Params[0].Type != types.UpdateParamTypeAuthenticationMode || aws.ToString(u.Params[0].Value) != "API_AND_CONFIG_MAP" || aws.ToString(u.Id) == "" {
		t.Errorf("Update = %+v", u)
	}

	// The creator's bootstrapped entry exists, with cluster admin.
	assoc, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: name, PrincipalArn: aws.String(creatorARN)})
	if err != nil || len(assoc.AssociatedAccessPolicies) != 1 || aws.ToString(assoc.AssociatedAccessPolicies[0].PolicyArn) != adminPolicy ||
		assoc.AssociatedAccessPolicies[0].AccessScope.Type != types.AccessScopeTypeCluster {
		t.Fatalf("creator's associations = %+v, %v", assoc, err)
	}

	created, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(developerARN),
		KubernetesGroups: []string{"devs"}, Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatalf("CreateAccessEntry: %v", err)
	}
	e := created.AccessEntry
	if aws.ToString(e.PrincipalArn) != developerARN || aws.ToString(e.Username) != developerARN || aws.ToString(e.Type) != "STANDARD" ||
		!reflect.DeepEqual(e.KubernetesGroups, []string{"devs"}) || e.Tags["team"] != "a" || !e.CreatedAt.Equal(t0) ||
		aws.ToString(e.ClusterName) != testCluster || aws.ToString(e.AccessEntryArn) == "" {
		t.Errorf("created entry = %+v", e)
	}
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(developerARN)})
	if code := apiErrorCode(t, err); code != "ResourceInUseException" {
		t.Errorf("second CreateAccessEntry: %v", err)
	}
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("the SDK must decode ResourceInUseException into its modeled type: %T", err)
	}

	desc, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(developerARN)})
	if err != nil || aws.ToString(desc.AccessEntry.PrincipalArn) != developerARN {
		t.Errorf("DescribeAccessEntry = %+v, %v", desc, err)
	}
	upd, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(developerARN),
		Username: aws.String("dev:{{SessionName}}"), KubernetesGroups: []string{"a", "b"}})
	if err != nil || aws.ToString(upd.AccessEntry.Username) != "dev:{{SessionName}}" || !reflect.DeepEqual(upd.AccessEntry.KubernetesGroups, []string{"a", "b"}) {
		t.Errorf("UpdateAccessEntry = %+v, %v", upd, err)
	}

	as, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(developerARN),
		PolicyArn: aws.String(viewPolicyARN), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"dev"}}})
	if err != nil || aws.ToString(as.PrincipalArn) != developerARN || aws.ToString(as.ClusterName) != testCluster ||
		aws.ToString(as.AssociatedAccessPolicy.PolicyArn) != viewPolicyARN || !reflect.DeepEqual(as.AssociatedAccessPolicy.AccessScope.Namespaces, []string{"dev"}) {
		t.Errorf("AssociateAccessPolicy = %+v, %v", as, err)
	}

	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name})
	if err != nil || !reflect.DeepEqual(list.AccessEntries, []string{creatorARN, developerARN}) || list.NextToken != nil {
		t.Errorf("ListAccessEntries = %+v, %v", list, err)
	}
	filtered, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name, AssociatedPolicyArn: aws.String(viewPolicyARN)})
	if err != nil || !reflect.DeepEqual(filtered.AccessEntries, []string{developerARN}) {
		t.Errorf("ListAccessEntries(view) = %+v, %v", filtered, err)
	}

	policies, err := c.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{})
	if err != nil || len(policies.AccessPolicies) != 9 || aws.ToString(policies.AccessPolicies[0].Name) != "AmazonAIOpsAssistantPolicy" {
		t.Errorf("ListAccessPolicies = %+v, %v", policies, err)
	}

	if _, err := c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(developerARN),
		PolicyArn: aws.String(viewPolicyARN)}); err != nil {
		t.Errorf("DisassociateAccessPolicy: %v", err)
	}
	_, err = c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(developerARN),
		PolicyArn: aws.String(viewPolicyARN)})
	if code := apiErrorCode(t, err); code != "ResourceNotFoundException" {
		t.Errorf("second DisassociateAccessPolicy: %v", err)
	}

	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(developerARN)}); err != nil {
		t.Errorf("DeleteAccessEntry: %v", err)
	}
	_, err = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(developerARN)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeAccessEntry after delete: %v", err)
	}
}

// TestDeleteCascades checks that deleting an entry deletes its
// associations: a new entry for the same principal starts with none.
func TestDeleteCascades(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	name, dev := aws.String(testCluster), aws.String(developerARN)
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: dev}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{viewPolicyARN, adminPolicy} {
		if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: dev, PolicyArn: aws.String(p),
			AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: name, PrincipalArn: dev}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: name, PrincipalArn: dev})
	if code := apiErrorCode(t, err); code != "ResourceNotFoundException" {
		t.Errorf("associations of a deleted entry: %v", err)
	}
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: dev}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: name, PrincipalArn: dev})
	if err != nil || len(out.AssociatedAccessPolicies) != 0 {
		t.Errorf("a recreated entry has associations: %+v, %v", out, err)
	}
}
