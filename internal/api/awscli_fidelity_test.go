package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestAWSCLIFidelity drives, with the real AWS CLI v2, what SDKs and
// infrastructure-as-code tools rely on beyond the access entry calls:
// one-step mode changes, updates (describe-update, list-updates), tags,
// list-clusters and the credential scope.
func TestAWSCLIFidelity(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping AWS CLI acceptance test in -short mode")
	}
	home := awsCLIHome(t)
	f := newFixture(t, fixtureOptions{})
	ok := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		stdout, stderr, ok := runAWS(t, f, home, "creator", args...)
		if !ok {
			t.Fatalf("aws %s: %s", strings.Join(args, " "), stderr)
		}
		var out map[string]any
		if strings.TrimSpace(stdout) != "" {
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("output %q: %v", stdout, err)
			}
		}
		return out
	}
	refused := func(t *testing.T, want string, args ...string) {
		t.Helper()
		_, stderr, ok := runAWS(t, f, home, "creator", args...)
		if ok || !strings.Contains(stderr, want) {
			t.Errorf("aws %s: ok=%v stderr=%s\nwant %q", strings.Join(args, " "), ok, stderr, want)
		}
	}

	t.Run("list-clusters", func(t *testing.T) {
		out := ok(t, "eks", "list-clusters")
		if !reflect.DeepEqual(out["clusters"], []any{testCluster}) {
			t.Errorf("clusters = %v", out)
		}
	})
	t.Run("mode skip refused", func(t *testing.T) {
		refused(t, "An error occurred (InvalidParameterException) when calling the UpdateClusterConfig operation: Unsupported authentication mode update from CONFIG_MAP to API.",
			"eks", "update-cluster-config", "--name", testCluster, "--access-config", "authenticationMode=API")
	})
	var id string
	t.Run("update, describe-update, list-updates", func(t *testing.T) {
		out := ok(t, "eks", "update-cluster-config", "--name", testCluster, "--access-config", "authenticationMode=API_AND_CONFIG_MAP")
		wantString(t, out, "InProgress", "update", "status")
		id, _ = out["update"].(map[string]any)["id"].(string)
		if !uuidV4.MatchString(id) {
			t.Fatalf("update id %q", id)
		}
		desc := ok(t, "eks", "describe-update", "--name", testCluster, "--update-id", id)
		wantString(t, desc, "Successful", "update", "status")
		wantString(t, desc, "AccessConfigUpdate", "update", "type")
		list := ok(t, "eks", "list-updates", "--name", testCluster)
		if !reflect.DeepEqual(list["updateIds"], []any{id}) {
			t.Errorf("updateIds = %v", list)
		}
		refused(t, "An error occurred (ResourceNotFoundException) when calling the DescribeUpdate operation: No update found for ID: nope\n",
			"eks", "describe-update", "--name", testCluster, "--update-id", "nope")
	})
	t.Run("tags", func(t *testing.T) {
		ok(t, "eks", "tag-resource", "--resource-arn", clusterARN, "--tags", "team=platform,env=dev")
		ok(t, "eks", "untag-resource", "--resource-arn", clusterARN, "--tag-keys", "env")
		out := ok(t, "eks", "list-tags-for-resource", "--resource-arn", clusterARN)
		if !reflect.DeepEqual(out["tags"], map[string]any{"team": "platform"}) {
			t.Errorf("cluster tags = %v", out)
		}
		created := ok(t, "eks", "create-access-entry", "--cluster-name", testCluster, "--principal-arn", developerARN, "--tags", "owner=dev")
		entryARN, _ := created["accessEntry"].(map[string]any)["accessEntryArn"].(string)
		out = ok(t, "eks", "list-tags-for-resource", "--resource-arn", entryARN)
		if !reflect.DeepEqual(out["tags"], map[string]any{"owner": "dev"}) {
			t.Errorf("entry tags = %v", out)
		}
		refused(t, "An error occurred (BadRequestException) when calling the TagResource operation: The tag key \"aws:x\" is invalid",
			"eks", "tag-resource", "--resource-arn", entryARN, "--tags", "aws:x=1")
		refused(t, "An error occurred (NotFoundException) when calling the ListTagsForResource operation: No resource found for ARN",
			"eks", "list-tags-for-resource", "--resource-arn", "arn:aws:eks:us-east-1:111122223333:cluster/prod")
	})
	t.Run("clientRequestToken", func(t *testing.T) {
		args := []string{"eks", "create-access-entry", "--cluster-name", testCluster, "--principal-arn", adminRoleARN, "--client-request-token", "cli-token-1"}
		first := ok(t, args...)
		again := ok(t, args...)
		if !reflect.DeepEqual(first, again) {
			t.Errorf("retry answered %v, want %v", again, first)
		}
		refused(t, "An error occurred (InvalidRequestException) when calling the CreateAccessEntry operation: The clientRequestToken was already used with a different request",
			append(args, "--kubernetes-groups", "ops")...)

		// UpdateAccessEntry and UpdateClusterConfig take a token too (EKS
		// API reference, their request bodies).
		update := []string{"eks", "update-access-entry", "--cluster-name", testCluster, "--principal-arn", adminRoleARN,
			"--kubernetes-groups", "ops", "--client-request-token", "cli-token-2"}
		first = ok(t, update...)
		if again := ok(t, update...); !reflect.DeepEqual(first, again) {
			t.Errorf("update-access-entry retry answered %v, want %v", again, first)
		}
		refused(t, "An error occurred (InvalidRequestException) when calling the UpdateAccessEntry operation: The clientRequestToken was already used with a different request",
			"eks", "update-access-entry", "--cluster-name", testCluster, "--principal-arn", adminRoleARN,
			"--kubernetes-groups", "devs", "--client-request-token", "cli-token-2")
		mode := []string{"eks", "update-cluster-config", "--name", testCluster, "--access-config", "authenticationMode=API", "--client-request-token", "cli-token-3"}
		first = ok(t, mode...)
		if again := ok(t, mode...); !reflect.DeepEqual(first["update"].(map[string]any)["id"], again["update"].(map[string]any)["id"]) {
			t.Errorf("update-cluster-config retry answered %v, want %v", again, first)
		}
	})
	// EKS's messages, word for word, as the CLI prints them (the sources
	// are in TestEKSMessagesWordForWord).
	t.Run("EKS error messages", func(t *testing.T) {
		refused(t, "An error occurred (InvalidParameterException) when calling the DescribeCluster operation: The parameter name"+invalidNameMessage,
			"eks", "describe-cluster", "--name", "demo.staging")
		refused(t, "An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: demo-staging.",
			"eks", "describe-cluster", "--name", "demo-staging")
		refused(t, "An error occurred (ResourceInUseException) when calling the CreateAccessEntry operation: The specified access entry resource is already in use on this cluster.",
			"eks", "create-access-entry", "--cluster-name", testCluster, "--principal-arn", adminRoleARN)
		refused(t, "An error occurred (ResourceNotFoundException) when calling the DescribeAccessEntry operation: The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.",
			"eks", "describe-access-entry", "--cluster-name", testCluster, "--principal-arn", "arn:aws:iam::111122223333:role/nobody")
		refused(t, "An error occurred (InvalidParameterException) when calling the UpdateAccessEntry operation: The username must not begin with system:",
			"eks", "update-access-entry", "--cluster-name", testCluster, "--principal-arn", adminRoleARN, "--username", "system:admin")
		refused(t, "An error occurred (InvalidParameterException) when calling the UpdateClusterConfig operation: Unsupported authentication mode update from API to API_AND_CONFIG_MAP.",
			"eks", "update-cluster-config", "--name", testCluster, "--access-config", "authenticationMode=API_AND_CONFIG_MAP")
	})
	t.Run("another region", func(t *testing.T) {
		_, stderr, ok := runAWSIn(t, f, home, "creator", "eu-west-1", "eks", "describe-cluster", "--name", testCluster)
		if ok || !strings.Contains(stderr, "An error occurred (InvalidSignatureException) when calling the DescribeCluster operation: Credential should be scoped to a valid region, not 'eu-west-1'.") {
			t.Errorf("ok=%v stderr=%s", ok, stderr)
		}
	})
}
