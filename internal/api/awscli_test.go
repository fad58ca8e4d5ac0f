package api

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

// awsCLI is the AWS CLI v2, named by its full path on purpose: the first
// "aws" on PATH may be a v1 install.
const awsCLI = "/usr/bin/aws"

// runAWS runs the AWS CLI as user against f in a sealed environment and
// returns stdout, stderr and whether it exited 0.
func runAWS(t *testing.T, f *fixture, home, user string, args ...string) (string, string, bool) {
	t.Helper()
	return runAWSIn(t, f, home, user, "us-east-1", args...)
}

// runAWSIn is runAWS with the CLI's region (which it signs for).
func runAWSIn(t *testing.T, f *fixture, home, user, region string, args ...string) (string, string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := f.key(user)
	cmd := exec.CommandContext(ctx, awsCLI, append(args, "--endpoint-url", f.url, "--region", region, "--output", "json")...)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_ACCESS_KEY_ID=" + k.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + k.SecretAccessKey,
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		if _, exited := err.(*exec.ExitError); !exited {
			t.Fatalf("running %s: %v", awsCLI, err)
		}
	}
	return out.String(), errOut.String(), err == nil
}

// awsCLIHome checks that the AWS CLI v2 is there and returns the directory
// of its empty config and credentials files, with the EKS model that knows
// access entries installed.
func awsCLIHome(t *testing.T) string {
	t.Helper()
	testutil.RequireProgram(t, "the AWS CLI v2", awsCLI, `run "make tools"`)
	home := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	installEKSModel(t, home)
	return home
}

// TestAWSCLIAcceptance drives the API with the real AWS CLI v2.
func TestAWSCLIAcceptance(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping AWS CLI acceptance test in -short mode")
	}
	home := awsCLIHome(t)
	f := newFixture(t, fixtureOptions{})
	cluster := []string{"--cluster-name", testCluster}
	steps := []struct {
		name  string
		args  []string
		check func(t *testing.T, out map[string]any)
	}{
		{"describe-cluster", []string{"eks", "describe-cluster", "--name", testCluster}, func(t *testing.T, out map[string]any) {
			wantString(t, out, "CONFIG_MAP", "cluster", "accessConfig", "authenticationMode")
			wantString(t, out, "ACTIVE", "cluster", "status")
			wantString(t, out, "arn:aws:eks:us-east-1:111122223333:cluster/kubeiam-dev", "cluster", "arn")
		}},
		{"update-cluster-config", []string{"eks", "update-cluster-config", "--name", testCluster, "--access-config", "authenticationMode=API_AND_CONFIG_MAP"}, func(t *testing.T, out map[string]any) {
			wantString(t, out, "InProgress", "update", "status")
			wantString(t, out, "AccessConfigUpdate", "update", "type")
		}},
		{"create-access-entry", append([]string{"eks", "create-access-entry", "--principal-arn", developerARN, "--kubernetes-groups", "devs"}, cluster...), func(t *testing.T, out map[string]any) {
			wantString(t, out, developerARN, "accessEntry", "principalArn")
			wantString(t, out, "STANDARD", "accessEntry", "type")
			wantString(t, out, "2026-01-02T03:04:05+00:00", "accessEntry", "createdAt")
		}},
		{"associate-access-policy", append([]string{"eks", "associate-access-policy", "--principal-arn", developerARN, "--policy-arn", viewPolicyARN,
			"--access-scope", "type=namespace,namespaces=dev"}, cluster...), func(t *testing.T, out map[string]any) {
			wantString(t, out, viewPolicyARN, "associatedAccessPolicy", "policyArn")
			wantString(t, out, "namespace", "associatedAccessPolicy", "accessScope", "type")
		}},
		{"list-access-entries", append([]string{"eks", "list-access-entries"}, cluster...), func(t *testing.T, out map[string]any) {
			if got := out["accessEntries"]; !reflect.DeepEqual(got, []any{creatorARN, developerARN}) {
				t.Errorf("accessEntries = %v", got)
			}
		}},
		{"describe-access-entry", append([]string{"eks", "describe-access-entry", "--principal-arn", developerARN}, cluster...), func(t *testing.T, out map[string]any) {
			wantString(t, out, developerARN, "accessEntry", "username")
		}},
		{"list-associated-access-policies", append([]string{"eks", "list-associated-access-policies", "--principal-arn", developerARN}, cluster...), func(t *testing.T, out map[string]any) {
			list, _ := out["associatedAccessPolicies"].([]any)
			if len(list) != 1 || !strings.Contains(asJSON(list[0]), `"namespaces":["dev"]`) {
				t.Errorf("associatedAccessPolicies = %v", out)
			}
		}},
		{"list-access-policies", []string{"eks", "list-access-policies"}, func(t *testing.T, out map[string]any) {
			// The whole catalog, by name: the policies whose rules the EKS
			// user guide publishes, and AmazonEKSAutoNodePolicy for EC2
			// (Auto Mode) entries.
			var got []string
			list, _ := out["accessPolicies"].([]any)
			for _, p := range list {
				m, _ := p.(map[string]any)
				name, _ := m["name"].(string)
				if m["arn"] != "arn:aws:eks::aws:cluster-access-policy/"+name {
					t.Errorf("policy %v: arn does not end in its name", m)
				}
				got = append(got, name)
			}
			want := []string{"AmazonAIOpsAssistantPolicy", "AmazonARCRegionSwitchScalingPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSClusterAdminPolicy",
				"AmazonEKSEditPolicy", "AmazonEKSHybridPolicy", "AmazonEKSViewPolicy"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("accessPolicies = %v, want %v", got, want)
			}
		}},
		{"delete-access-entry", append([]string{"eks", "delete-access-entry", "--principal-arn", developerARN}, cluster...), func(*testing.T, map[string]any) {}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			stdout, stderr, ok := runAWS(t, f, home, "creator", s.args...)
			if !ok {
				t.Fatalf("aws %s failed: %s", s.name, stderr)
			}
			var out map[string]any
			if strings.TrimSpace(stdout) != "" {
				if err := json.Unmarshal([]byte(stdout), &out); err != nil {
					t.Fatalf("output %q: %v", stdout, err)
				}
			}
			s.check(t, out)
		})
	}
	t.Run("developer is denied", func(t *testing.T) {
		_, stderr, ok := runAWS(t, f, home, "developer", append([]string{"eks", "list-access-entries"}, cluster...)...)
		if ok || !strings.Contains(stderr, "An error occurred (AccessDeniedException) when calling the ListAccessEntries operation: User: "+developerARN) {
			t.Errorf("ok=%v stderr=%s", ok, stderr)
		}
	})
	t.Run("policies, entry types and usernames", func(t *testing.T) {
		awsCLIEntryRules(t, f, home)
	})
	t.Run("missing entry", func(t *testing.T) {
		_, stderr, ok := runAWS(t, f, home, "creator", append([]string{"eks", "describe-access-entry", "--principal-arn", developerARN}, cluster...)...)
		if ok || !strings.Contains(stderr, "An error occurred (ResourceNotFoundException) when calling the DescribeAccessEntry operation: The specified principalArn could not be found") {
			t.Errorf("ok=%v stderr=%s", ok, stderr)
		}
	})
}

// awsCLIEntryRules checks, with the AWS CLI, what EKS refuses and accepts
// about policies, entry types and custom usernames, error type included.
func awsCLIEntryRules(t *testing.T, f *fixture, home string) {
	const policyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	cluster := []string{"--cluster-name", testCluster}
	aws := func(args ...string) (string, string, bool) {
		return runAWS(t, f, home, "creator", append(append([]string{"eks"}, args...), cluster...)...)
	}
	refused := func(what, op, errType, message string, args ...string) {
		t.Helper()
		_, stderr, ok := aws(args...)
		want := "An error occurred (" + errType + ") when calling the " + op + " operation: " + message
		if ok || !strings.Contains(stderr, want) {
			t.Errorf("%s: ok=%v stderr=%s\nwant %s", what, ok, stderr, want)
		}
	}
	succeeded := func(what string, args ...string) string {
		t.Helper()
		stdout, stderr, ok := aws(args...)
		if !ok {
			t.Fatalf("%s: %s", what, stderr)
		}
		return stdout
	}
	refused("username without a colon", "CreateAccessEntry", "InvalidParameterException",
		"The username admin{{SessionName}} is invalid, it must include a colon before {{SessionName}}",
		"create-access-entry", "--principal-arn", adminRoleARN, "--username", "admin{{SessionName}}")
	refused("reserved username", "CreateAccessEntry", "InvalidParameterException", "The username must not begin with amazon:",
		"create-access-entry", "--principal-arn", adminRoleARN, "--username", "amazon:admin")
	if out := succeeded("username with a colon", "create-access-entry", "--principal-arn", adminRoleARN, "--username", "admin:{{SessionName}}"); !strings.Contains(out, `"username": "admin:{{SessionName}}"`) {
		t.Errorf("create-access-entry: %s", out)
	}
	refused("unknown policy", "AssociateAccessPolicy", "ResourceNotFoundException",
		"The specified policyArn "+policyPrefix+"AmazonEKSMadeUpPolicy could not be found.",
		"associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", policyPrefix+"AmazonEKSMadeUpPolicy", "--access-scope", "type=cluster")
	refused("policy without published rules", "AssociateAccessPolicy", "ResourceNotFoundException",
		"The specified policyArn "+policyPrefix+"AmazonEKSSecretReaderPolicy could not be found: kubeiam does not implement it",
		"associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", policyPrefix+"AmazonEKSSecretReaderPolicy", "--access-scope", "type=cluster")
	succeeded("hybrid policy", "associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", policyPrefix+"AmazonEKSHybridPolicy", "--access-scope", "type=cluster")
	// As the ARC developer guide associates it: namespace scope.
	succeeded("ARC Region switch policy", "associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", policyPrefix+"AmazonARCRegionSwitchScalingPolicy", "--access-scope", "type=namespace,namespaces=my-namespace1")
	succeeded("delete", "delete-access-entry", "--principal-arn", adminRoleARN)

	// An EKS Auto Mode node role: type EC2, AmazonEKSAutoNodePolicy only.
	if out := succeeded("EC2 entry", "create-access-entry", "--principal-arn", adminRoleARN, "--type", "EC2"); !strings.Contains(out, `"type": "EC2"`) {
		t.Errorf("create-access-entry --type EC2: %s", out)
	}
	succeeded("Auto Mode node policy", "associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", policyPrefix+"AmazonEKSAutoNodePolicy", "--access-scope", "type=cluster")
	refused("other policy on an EC2 entry", "AssociateAccessPolicy", "InvalidParameterException",
		"Access entries of type EC2 accept only the AmazonEKSAutoNodePolicy access policy.",
		"associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", viewPolicyARN, "--access-scope", "type=cluster")
	succeeded("delete", "delete-access-entry", "--principal-arn", adminRoleARN)

	if out := succeeded("HyperPod entry", "create-access-entry", "--principal-arn", adminRoleARN, "--type", "HYPERPOD_LINUX"); !strings.Contains(out, `"username": "system:node:{{EC2PrivateDNSName}}"`) {
		t.Errorf("create-access-entry --type HYPERPOD_LINUX: %s", out)
	}
	refused("policy on a node entry", "AssociateAccessPolicy", "InvalidParameterException",
		`This operation can only be performed on Access Entries with a type of "STANDARD".`,
		"associate-access-policy", "--principal-arn", adminRoleARN, "--policy-arn", viewPolicyARN, "--access-scope", "type=cluster")
	succeeded("delete", "delete-access-entry", "--principal-arn", adminRoleARN)
	refused("node role of another account", "CreateAccessEntry", "InvalidParameterException",
		"The specified principalArn is invalid: invalid principal. Access entries of type EC2_LINUX must be for a role in the cluster's account, 111122223333, not 444455556666.",
		"create-access-entry", "--principal-arn", "arn:aws:iam::444455556666:role/Node", "--type", "EC2_LINUX")
}

// installEKSModel puts testdata's EKS model where the CLI looks for models
// added with "aws configure add-model": older CLI v2 releases do not know
// the access entry operations.
func installEKSModel(t *testing.T, home string) {
	t.Helper()
	model, err := os.ReadFile(filepath.Join("testdata", "awscli-models", "eks", "2017-11-01", "service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".aws", "models", "eks", "2017-11-01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "service-2.json"), model, 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantString(t *testing.T, out map[string]any, want string, keys ...string) {
	t.Helper()
	var cur any = out
	for _, k := range keys {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	if got, _ := cur.(string); got != want {
		t.Errorf("%s = %v, want %q", strings.Join(keys, "."), cur, want)
	}
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
