package cli

import (
	"os"
	"strings"
	"testing"
)

// TestAccessCommandsRefuseBadInputBeforeCredentials: a value the
// access-management API would refuse is bad usage (exit 2), found before any
// credential is loaded or anything is sent, and said in the API's own words.
// The AWS profile does not exist and the endpoint is a closed port, so a
// command that got as far as either would say so instead.
func TestAccessCommandsRefuseBadInputBeforeCredentials(t *testing.T) {
	t.Setenv("AWS_PROFILE", "no-such-profile")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/credentials")
	env := map[string]string{"KUBEIAM_ENDPOINT": deadLoopbackURL(t), "KUBEIAM_CLUSTER": "kubeiam-dev"}
	const role = "arn:aws:iam::111122223333:role/Dev"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"cluster name a token cannot carry", []string{"cluster", "describe", "--cluster-name", "bad name!"},
			`--cluster-name: invalid cluster ID "bad name!": white space, control or non-ASCII character at offset 3`},
		{"cluster name too long", []string{"access-entry", "list", "-i", strings.Repeat("c", 101)},
			"--cluster-name: invalid cluster ID: 101 characters, at most 100 allowed"},
		{"malformed principal", []string{"access-entry", "create", "--principal-arn", "x"},
			`InvalidParameterException: The specified principalArn is invalid: invalid principal. malformed ARN "x"`},
		{"principal with a character IAM refuses", []string{"access-entry", "create", "--principal-arn", "arn:aws:iam::111122223333:role/Dév"},
			`character 'é' not allowed in an IAM name`},
		{"session instead of its role", []string{"access-entry", "create", "--principal-arn", "arn:aws:sts::111122223333:assumed-role/Dev/s"},
			"is an STS session; create the access entry for its role, " + role},
		{"unknown entry type", []string{"access-entry", "create", "--principal-arn", role, "--type", "BOGUS"},
			`InvalidParameterException: The type "BOGUS" is invalid, it must be one of STANDARD,`},
		{"node type for a user", []string{"access-entry", "create", "--principal-arn", "arn:aws:iam::111122223333:user/u", "--type", "EC2_LINUX"},
			"Access entries of type EC2_LINUX must be for an IAM role, not an IAM user."},
		{"reserved username", []string{"access-entry", "create", "--principal-arn", role, "--username", "system:x"},
			"The username must not begin with system:"},
		{"unknown scope type", []string{"access-policy", "associate", "--principal-arn", role, "--policy-arn", "AmazonEKSViewPolicy", "--scope", "galaxy"},
			`InvalidParameterException: The specified accessScope is invalid: unknown scope type "galaxy".`},
		{"namespace scope without namespaces", []string{"access-policy", "associate", "--principal-arn", role, "--policy-arn", "AmazonEKSViewPolicy", "--scope", "namespace"},
			"a namespace scope needs at least one namespace"},
		{"cluster scope with namespaces", []string{"access-policy", "associate", "--principal-arn", role, "--policy-arn", "AmazonEKSViewPolicy", "--access-scope", "type=cluster,namespaces=dev"},
			"a cluster scope takes no namespaces, got 1"},
		{"namespace that is not a DNS label", []string{"access-policy", "associate", "--principal-arn", role, "--policy-arn", "AmazonEKSViewPolicy", "--namespaces", "BAD_NS!"},
			`namespace "BAD_NS!": character 'B' not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runWithEnv(t, env, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("%q: exit %d, stderr %q, stdout %q; want exit 2 saying %q", tt.args, code, stderr, stdout, tt.want)
			}
		})
	}
}

// A file flag given a path that is not such a file (/dev/zero, a disk
// image) is refused at maxInputFile instead of read into memory whole,
// which used to end in the runtime's out-of-memory crash and its stack dump.
func TestFileFlagsRefuseAFileLargerThanTheLimit(t *testing.T) {
	huge := t.TempDir() + "/huge"
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, maxInputFile+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"sts", "--config", huge},
		{"sts", "recreate-role", "--config", huge, "arn:aws:iam::111122223333:role/admin"},
		{"kubeconfig", "--server", "https://127.0.0.1:6443", "--certificate-authority", huge, "--cluster-name", "c", "--dry-run"},
	} {
		code, _, stderr := runWithEnv(t, nil, args...)
		if code == 0 || !strings.Contains(stderr, "larger than") || strings.Contains(stderr, "goroutine") {
			t.Errorf("%q: exit %d, stderr %.300q; want it refused as larger than %d bytes", args, code, stderr, maxInputFile)
		}
	}
}
