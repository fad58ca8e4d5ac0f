package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/kubeiam/kubeiam/internal/store"
)

// The EKS error messages users quote, word for word: the API answers with
// the same type, status and message. Each case names where the message
// was found.
const (
	invalidNameMessage = ` contains invalid characters. It should conform to the regular expression "^[0-9A-Za-z][A-Za-z0-9-_]*"In other words, it should start with a number or letter, and can contain numbers, letters, dashes, and underscores.`
)

func TestEKSMessagesWordForWord(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	creator := f.creds("creator")
	create := func(body string) {
		t.Helper()
		if r := f.do(t, &creator, http.MethodPost, "/clusters/"+testCluster+"/access-entries", body); r.status != http.StatusOK {
			t.Fatalf("create %s: %+v", body, r)
		}
	}
	create(`{"principalArn":"` + developerARN + `"}`)
	node := "arn:aws:iam::111122223333:role/node"
	create(`{"principalArn":"` + node + `","type":"EC2_LINUX"}`)
	cm := newFixture(t, fixtureOptions{})
	cmCreator := cm.creds("creator")

	tests := []struct {
		name, source       string
		f                  *fixture
		method, path, body string
		status             int
		errType, message   string
	}{
		{"no such cluster", "finleap/tf-eks-fargate-tmpl issue 1", f, "GET", "/clusters/demo-staging", "",
			404, "ResourceNotFoundException", "No cluster found for name: demo-staging."},
		{"no such entry", "terraform-aws-modules/terraform-aws-eks issue 3024 (AssociateAccessPolicy)", f,
			"POST", entryPath(adminRoleARN, "access-policies"), `{"policyArn":"` + viewPolicyARN + `","accessScope":{"type":"cluster"}}`,
			404, "ResourceNotFoundException", "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."},
		{"entry exists", "terraform-aws-modules/terraform-aws-eks issue 3293", f,
			"POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"` + developerARN + `"}`,
			409, "ResourceInUseException", "The specified access entry resource is already in use on this cluster."},
		{"system: group", "terraform-aws-modules/terraform-aws-eks issue 2915", f,
			"POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"` + adminRoleARN + `","kubernetesGroups":["system:masters"]}`,
			400, "InvalidParameterException", "The kubernetes group name system:masters is invalid, it cannot start with system:"},
		{"system: username", "aws-ia/terraform-aws-eks-blueprints issue 2004 (UpdateAccessEntry)", f,
			"POST", entryPath(developerARN), `{"username":"system:node:{{EC2PrivateDNSName}}"}`,
			400, "InvalidParameterException", "The username must not begin with system:"},
		{"policy on a node entry", "aws-controllers-k8s/community issue 2144", f,
			"POST", entryPath(node, "access-policies"), `{"policyArn":"` + viewPolicyARN + `","accessScope":{"type":"cluster"}}`,
			400, "InvalidParameterException", `This operation can only be performed on Access Entries with a type of "STANDARD".`},
		{"mode backwards", `re:Post knowledge center, "How do I troubleshoot issues with access entries in my Amazon EKS cluster?"`, f,
			"POST", "/clusters/" + testCluster + "/update-config", `{"accessConfig":{"authenticationMode":"CONFIG_MAP"}}`,
			400, "InvalidParameterException", "Unsupported authentication mode update from API to CONFIG_MAP."},
		{"entries in CONFIG_MAP mode", "eksctl-io/eksctl issue 7695", cm,
			"POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"` + adminRoleARN + `"}`,
			400, "InvalidRequestException", "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."},
		{"no such update", "aws/aws-cli issue 10252", f, "GET", "/clusters/" + testCluster + "/updates/someupdateid", "",
			404, "ResourceNotFoundException", "No update found for ID: someupdateid"},
		{"updates of a node group", "aws-samples/eks-workshop-v2 issue 915 (DescribeNodegroup)", f,
			"GET", "/clusters/" + testCluster + "/updates?nodegroupName=default", "",
			404, "ResourceNotFoundException", "No node group found for name: default."},
		{"invalid cluster name, DescribeCluster", "surajincloud/kubectl-eks issue 72", f, "GET", "/clusters/demo.staging", "",
			400, "InvalidParameterException", "The parameter name" + invalidNameMessage},
		{"invalid cluster name, an access entry operation", "surajincloud/kubectl-eks issue 72 (ListNodegroups, whose member is clusterName too)", f,
			"GET", "/clusters/demo.staging/access-entries", "",
			400, "InvalidParameterException", "The clusterName parameter" + invalidNameMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := creator
			if tt.f == cm {
				c = cmCreator
			}
			r := tt.f.do(t, &c, tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errType != tt.errType || r.message() != tt.message {
				t.Errorf("got %d %s %q\nwant %d %s %q (as quoted in %s)", r.status, r.errType, r.message(), tt.status, tt.errType, tt.message, tt.source)
			}
		})
	}
}

// TestConflictReadsLikeEKS: a write that lost an optimistic-concurrency
// race to another request is EKS's ResourceInUseException for an update in
// progress.
func TestConflictReadsLikeEKS(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := &call{cluster: testCluster, op: &operation{name: OpUpdateClusterConfig}, requestID: "r-1"}
	e := f.api.toAPIError(c, fmt.Errorf("put cluster: %w", store.ErrConflict))
	want := "Cannot update because cluster " + testCluster + " currently has another update in progress; retry."
	if e.Status != http.StatusConflict || e.Type != TypeResourceInUse || e.Message != want || !errors.Is(e, store.ErrConflict) {
		t.Errorf("got %d %s %q, want 409 %s %q wrapping store.ErrConflict", e.Status, e.Type, e.Message, TypeResourceInUse, want)
	}
}
