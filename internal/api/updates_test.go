package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kubeiam/kubeiam/internal/access"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestSDKUpdates: UpdateClusterConfig answers with an InProgress update
// with a random ID; DescribeUpdate then reports it Successful, which is
// what the SDK's DescribeUpdate waiter (named
// CertificateAuthorityUpdateComplete, the only waiter the eks package has
// on DescribeUpdate; it waits for any update to leave InProgress) waits
// for; ListUpdates lists it.
func TestSDKUpdates(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	name := aws.String(testCluster)

	up, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name,
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap}})
	if err != nil {
		t.Fatalf("UpdateClusterConfig: %v", err)
	}
	first := up.Update
	if first.Status != types.UpdateStatusInProgress || !uuidV4.MatchString(aws.ToString(first.Id)) || !first.CreatedAt.Equal(t0) {
		t.Errorf("Update = %+v", first)
	}

	w := eks.NewCertificateAuthorityUpdateCompleteWaiter(c, func(o *eks.CertificateAuthorityUpdateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	done, err := w.WaitForOutput(ctx, &eks.DescribeUpdateInput{Name: name, UpdateId: first.Id}, time.Minute)
	if err != nil {
		t.Fatalf("waiting for the update: %v", err)
	}
	if u := done.Update; u.Status != types.UpdateStatusSuccessful || aws.ToString(u.Id) != aws.ToString(first.Id) ||
		u.Type != types.UpdateTypeAccessConfigUpdate || len(u.Params) != 1 || aws.ToString(u.Params[0].Value) != "API_AND_CONFIG_MAP" || len(u.Errors) != 0 {
		t.Errorf("DescribeUpdate = %+v", u)
	}

	// The same change again with the SDK's own token is a new request: the
	// mode is already there.
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name,
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap}})
	if code := apiErrorCode(t, err); code != "InvalidParameterException" {
		t.Errorf("a repeated change with a new token: %v", err)
	}

	// A retry with the token of the first request gets its update back; a
	// different change with that token is refused.
	token := aws.String("retry-token-1")
	second, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ClientRequestToken: token,
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi}})
	if err != nil {
		t.Fatalf("UpdateClusterConfig(API): %v", err)
	}
	retried, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ClientRequestToken: token,
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi}})
	if err != nil || aws.ToString(retried.Update.Id) != aws.ToString(second.Update.Id) || retried.Update.Status != types.UpdateStatusSuccessful {
		t.Errorf("retried UpdateClusterConfig = %+v, %v; want update %s, Successful", retried, err, aws.ToString(second.Update.Id))
	}
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ClientRequestToken: token,
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeConfigMap}})
	var invalid *types.InvalidRequestException
	if !errors.As(err, &invalid) || !strings.Contains(aws.ToString(invalid.Message), "clientRequestToken was already used") {
		t.Errorf("another change with the same token: %v", err)
	}

	list, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: name})
	if err != nil || !reflect.DeepEqual(list.UpdateIds, []string{aws.ToString(first.Id), aws.ToString(second.Update.Id)}) {
		t.Errorf("ListUpdates = %+v, %v", list, err)
	}
	var pages [][]string
	p := eks.NewListUpdatesPaginator(c, &eks.ListUpdatesInput{Name: name, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, out.UpdateIds)
	}
	if len(pages) != 2 || pages[1][0] != aws.ToString(second.Update.Id) {
		t.Errorf("ListUpdates pages = %v", pages)
	}

	_, err = c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: name, UpdateId: aws.String("00000000-0000-4000-8000-000000000000")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeUpdate of an unknown ID: %v", err)
	}
	_, err = c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: first.Id})
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeUpdate on another cluster: %v", err)
	}
}

// TestUpdateCompletedOnRead: an update left InProgress (the process
// stopped between the change and its completion) is completed by the next
// read: the change it records is stored.
func TestUpdateCompletedOnRead(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	cur, err := f.store.GetCluster()
	if err != nil {
		t.Fatal(err)
	}
	u := access.NewModeUpdate("7b0e6f0e-1d2c-4b3a-8f9e-0a1b2c3d4e5f", access.ModeAPIAndConfigMap, "", t0)
	next := cur.WithUpdate(u)
	next.AuthenticationMode = access.ModeAPIAndConfigMap
	if _, err := f.store.PutCluster(next, cur.Version); err != nil {
		t.Fatal(err)
	}
	creator := f.creds("creator")
	r := f.do(t, &creator, http.MethodGet, "/clusters/"+testCluster+"/updates/"+u.ID, "")
	if r.status != 200 || asJSON(r.body["update"]) == "" || !strings.Contains(asJSON(r.body["update"]), `"status":"Successful"`) {
		t.Errorf("DescribeUpdate = %d %v", r.status, r.body)
	}
	stored, _ := f.store.GetCluster()
	if got, _ := stored.Update(u.ID); got.Status != access.UpdateSuccessful {
		t.Errorf("stored update = %+v", got)
	}
}

// TestSDKListClusters: ListClusters answers at /clusters (no redirect to
// /clusters/, which the SDK would not follow with its signature).
func TestSDKListClusters(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client(f.creds("creator"))
	out, err := c.ListClusters(context.Background(), &eks.ListClustersInput{})
	if err != nil || !reflect.DeepEqual(out.Clusters, []string{testCluster}) || out.NextToken != nil {
		t.Errorf("ListClusters = %+v, %v", out, err)
	}
	creator := f.creds("creator")
	if r := f.do(t, &creator, http.MethodGet, "/clusters?nextToken=abc", ""); r.status != 400 || r.errType != "InvalidParameterException" {
		t.Errorf("bad nextToken: %d %s", r.status, r.errType)
	}
}

// TestSDKNoCreatorBootstrap: a cluster created with
// bootstrapClusterCreatorAdminPermissions false reports it, and its
// creator has no access entry.
func TestSDKNoCreatorBootstrap(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API", noBootstrap: true})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	dc, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(testCluster)})
	if err != nil || aws.ToBool(dc.Cluster.AccessConfig.BootstrapClusterCreatorAdminPermissions) || dc.Cluster.AccessConfig.AuthenticationMode != types.AuthenticationModeApi {
		t.Errorf("DescribeCluster = %+v, %v", dc, err)
	}
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String(testCluster)})
	if err != nil || len(list.AccessEntries) != 0 {
		t.Errorf("ListAccessEntries = %+v, %v", list, err)
	}
}

// TestSDKCreateEntryToken: a CreateAccessEntry retried with its
// clientRequestToken gets the first answer (not ResourceInUseException);
// another request with that token is refused.
func TestSDKCreateEntryToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	in := func(principal string, groups ...string) *eks.CreateAccessEntryInput {
		return &eks.CreateAccessEntryInput{ClusterName: aws.String(testCluster), PrincipalArn: aws.String(principal),
			KubernetesGroups: groups, ClientRequestToken: aws.String("create-1")}
	}
	first, err := c.CreateAccessEntry(ctx, in(developerARN, "devs"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateAccessEntry(ctx, in(developerARN, "devs"))
	if err != nil || !reflect.DeepEqual(again.AccessEntry, first.AccessEntry) {
		t.Errorf("retry = %+v, %v; want %+v", again, err, first.AccessEntry)
	}
	for _, other := range []*eks.CreateAccessEntryInput{in(developerARN, "ops"), in(adminRoleARN, "devs")} {
		_, err := c.CreateAccessEntry(ctx, other)
		var invalid *types.InvalidRequestException
		if !errors.As(err, &invalid) {
			t.Errorf("another request (%s %v) with the token: %v", aws.ToString(other.PrincipalArn), other.KubernetesGroups, err)
		}
	}
	// Without the token, or with another, a second create is in use.
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(testCluster), PrincipalArn: aws.String(developerARN),
		KubernetesGroups: []string{"devs"}, ClientRequestToken: aws.String("create-2")})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("a new token for an existing entry: %v", err)
	}
}
