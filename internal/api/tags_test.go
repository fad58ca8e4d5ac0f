package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

const clusterARN = "arn:aws:eks:us-east-1:111122223333:cluster/" + testCluster

// TestSDKTags drives TagResource, UntagResource and ListTagsForResource on
// the cluster's ARN and an access entry's ARN with the Go SDK.
func TestSDKTags(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	created, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(testCluster),
		PrincipalArn: aws.String(developerARN), Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	entryARN := aws.ToString(created.AccessEntry.AccessEntryArn)

	for _, res := range []struct {
		name, arn string
		initial   map[string]string
	}{
		{"cluster", clusterARN, map[string]string{}},
		{"access entry", entryARN, map[string]string{"team": "a"}},
	} {
		t.Run(res.name, func(t *testing.T) {
			list := func() map[string]string {
				t.Helper()
				out, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(res.arn)})
				if err != nil {
					t.Fatalf("ListTagsForResource: %v", err)
				}
				return out.Tags
			}
			if got := list(); !reflect.DeepEqual(got, res.initial) {
				t.Errorf("initial tags = %v, want %v", got, res.initial)
			}
			if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(res.arn), Tags: map[string]string{"env": "prod", "team": "b"}}); err != nil {
				t.Fatalf("TagResource: %v", err)
			}
			if got := list(); !reflect.DeepEqual(got, map[string]string{"env": "prod", "team": "b"}) {
				t.Errorf("after TagResource: %v", got)
			}
			if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(res.arn), TagKeys: []string{"team", "absent"}}); err != nil {
				t.Fatalf("UntagResource: %v", err)
			}
			if got := list(); !reflect.DeepEqual(got, map[string]string{"env": "prod"}) {
				t.Errorf("after UntagResource: %v", got)
			}
		})
	}
	// The entry's and the cluster's tags show where EKS shows them.
	desc, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(testCluster), PrincipalArn: aws.String(developerARN)})
	if err != nil || !reflect.DeepEqual(desc.AccessEntry.Tags, map[string]string{"env": "prod"}) {
		t.Errorf("DescribeAccessEntry tags = %+v, %v", desc, err)
	}
	cl, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(testCluster)})
	if err != nil || !reflect.DeepEqual(cl.Cluster.Tags, map[string]string{"env": "prod"}) {
		t.Errorf("DescribeCluster tags = %+v, %v", cl, err)
	}

	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	refusals := []struct {
		name string
		call func() error
		bad  bool // BadRequestException, else NotFoundException
		msg  string
	}{
		{"reserved prefix", func() error {
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: map[string]string{"AWS:owner": "x"}})
			return err
		}, true, "the prefix aws: is reserved"},
		{"key too long", func() error {
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: map[string]string{strings.Repeat("k", 129): "x"}})
			return err
		}, true, "1 to 128 characters"},
		{"value too long", func() error {
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: map[string]string{"k": strings.Repeat("v", 257)}})
			return err
		}, true, "at most 256 characters"},
		{"more than 50 in all", func() error {
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: many})
			return err
		}, true, "Too many tags: 51, the maximum is 50."},
		{"unknown cluster", func() error {
			_, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:eks:us-east-1:111122223333:cluster/prod")})
			return err
		}, false, "No resource found for ARN"},
		{"deleted entry", func() error {
			if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(testCluster), PrincipalArn: aws.String(developerARN)}); err != nil {
				return err
			}
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(entryARN), Tags: map[string]string{"a": "b"}})
			return err
		}, false, "No resource found for ARN"},
		{"not an ARN", func() error {
			_, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String("cluster"), TagKeys: []string{"a"}})
			return err
		}, true, "is invalid"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			err := r.call()
			var bad *types.BadRequestException
			var nf *types.NotFoundException
			switch {
			case r.bad && errors.As(err, &bad) && strings.Contains(aws.ToString(bad.Message), r.msg):
			case !r.bad && errors.As(err, &nf) && strings.Contains(aws.ToString(nf.Message), r.msg):
			default:
				t.Errorf("error = %v, want BadRequestException=%v containing %q", err, r.bad, r.msg)
			}
		})
	}
	// Managers only, like every write.
	dev := f.creds("developer")
	if r := f.do(t, &dev, http.MethodGet, "/tags/"+strings.ReplaceAll(clusterARN, "/", "%2F"), ""); r.status != 403 || r.errType != "AccessDeniedException" {
		t.Errorf("developer listing tags: %d %s", r.status, r.errType)
	}
}
