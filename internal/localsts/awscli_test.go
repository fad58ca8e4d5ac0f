package localsts

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token"
)

// awsCLI is the AWS CLI v2 the acceptance tests drive. It is named by its
// full path on purpose: the first "aws" on PATH may be a v1 install.
const awsCLI = "/usr/bin/aws"

// cli runs the AWS CLI in a sealed environment: no config or credentials
// files, no instance metadata, no pager, no retries, and only the given
// credentials.
type cli struct {
	t    *testing.T
	home string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping AWS CLI acceptance test in -short mode")
	}
	testutil.RequireProgram(t, "the AWS CLI v2", awsCLI, `run "make tools" or apt-get install -y awscli`)
	home := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &cli{t: t, home: home}
}

// run runs the CLI with the given credentials and returns stdout, stderr
// and whether it exited 0.
func (c *cli) run(key, secret, sessionToken string, args ...string) (stdout, stderr string, ok bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, args...)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + c.home,
		"AWS_CONFIG_FILE=" + filepath.Join(c.home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(c.home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_ACCESS_KEY_ID=" + key,
		"AWS_SECRET_ACCESS_KEY=" + secret,
	}
	if sessionToken != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+sessionToken)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		if _, exited := err.(*exec.ExitError); !exited {
			c.t.Fatalf("running %s: %v", awsCLI, err)
		}
	}
	return out.String(), errOut.String(), err == nil
}

func TestAWSCLIAcceptance(t *testing.T) {
	c := newCLI(t)
	f := start(t, nil)
	endpoint := []string{"--endpoint-url", f.http.URL, "--region", "us-east-1", "--output", "json"}
	developer, creator := f.key(DevDeveloperUser), f.key(DevCreatorUser)

	t.Run("get-caller-identity", func(t *testing.T) {
		out, stderr, ok := c.run(developer.AccessKeyID, developer.SecretAccessKey, "", append([]string{"sts", "get-caller-identity"}, endpoint...)...)
		if !ok {
			t.Fatalf("aws failed: %s", stderr)
		}
		var got struct{ Account, Arn, UserId string }
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		if got.Arn != "arn:aws:iam::111122223333:user/developer" || got.Account != DevAccount || !strings.HasPrefix(got.UserId, "AIDA") {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, stderr, ok := c.run(developer.AccessKeyID, creator.SecretAccessKey, "", append([]string{"sts", "get-caller-identity"}, endpoint...)...)
		if ok || !strings.Contains(stderr, "SignatureDoesNotMatch") {
			t.Errorf("ok=%v stderr=%s; want a SignatureDoesNotMatch failure", ok, stderr)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, stderr, ok := c.run("AKIAIOSFODNN7EXAMPLE", developer.SecretAccessKey, "", append([]string{"sts", "get-caller-identity"}, endpoint...)...)
		if ok || !strings.Contains(stderr, "InvalidClientTokenId") {
			t.Errorf("ok=%v stderr=%s; want an InvalidClientTokenId failure", ok, stderr)
		}
	})
	t.Run("assume-role, then use the session", func(t *testing.T) {
		sso := "arn:aws:iam::111122223333:role" + DevSSORolePath + DevSSORole
		out, stderr, ok := c.run(developer.AccessKeyID, developer.SecretAccessKey, "",
			append([]string{"sts", "assume-role", "--role-arn", sso, "--role-session-name", "alice@example.com"}, endpoint...)...)
		if !ok {
			t.Fatalf("assume-role failed: %s", stderr)
		}
		var assumed struct {
			Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
			AssumedRoleUser struct{ Arn, AssumedRoleId string }
		}
		if err := json.Unmarshal([]byte(out), &assumed); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		want := "arn:aws:sts::111122223333:assumed-role/" + DevSSORole + "/alice@example.com"
		if assumed.AssumedRoleUser.Arn != want {
			t.Errorf("AssumedRoleUser.Arn = %q, want %q", assumed.AssumedRoleUser.Arn, want)
		}
		cr := assumed.Credentials
		out, stderr, ok = c.run(cr.AccessKeyId, cr.SecretAccessKey, cr.SessionToken, append([]string{"sts", "get-caller-identity"}, endpoint...)...)
		if !ok || !strings.Contains(out, `"Arn": "`+want+`"`) {
			t.Errorf("get-caller-identity with the session: ok=%v out=%s stderr=%s", ok, out, stderr)
		}
	})
	t.Run("untrusted assume-role", func(t *testing.T) {
		sso := "arn:aws:iam::111122223333:role" + DevSSORolePath + DevSSORole
		_, stderr, ok := c.run(creator.AccessKeyID, creator.SecretAccessKey, "",
			append([]string{"sts", "assume-role", "--role-arn", sso, "--role-session-name", "bob"}, endpoint...)...)
		if ok || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("ok=%v stderr=%s; want an AccessDenied failure", ok, stderr)
		}
	})
	t.Run("eks get-token", func(t *testing.T) {
		presigned := eksGetToken(t, c, developer)
		if _, body := f.sendPresigned(t, presigned, "demo"); callerARN(body) != "arn:aws:iam::111122223333:user/developer" {
			t.Errorf("presigned token with x-k8s-aws-id demo: %v", body)
		}
		if _, body := f.sendPresigned(t, presigned, "other"); errorCode(body) != CodeSignatureDoesNotMatch {
			t.Errorf("presigned token with x-k8s-aws-id other: %v, want SignatureDoesNotMatch", body)
		}
	})
}

// eksGetToken runs "aws eks get-token", which presigns locally without any
// network call, and returns the presigned URL inside the token.
func eksGetToken(t *testing.T, c *cli, k AccessKey) string {
	t.Helper()
	out, stderr, ok := c.run(k.AccessKeyID, k.SecretAccessKey, "", "eks", "get-token", "--cluster-name", "demo", "--region", "us-east-1", "--output", "json")
	if !ok {
		t.Fatalf("eks get-token failed: %s", stderr)
	}
	var cred struct {
		Status struct{ Token string } `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatalf("eks get-token output: %v", err)
	}
	presigned, err := token.Decode(cred.Status.Token)
	if err != nil {
		t.Fatalf("decoding the token: %v", err)
	}
	if !strings.HasPrefix(presigned, "https://sts.us-east-1.amazonaws.com/?") {
		t.Fatalf("presigned URL %q is not for sts.us-east-1.amazonaws.com", presigned)
	}
	return presigned
}
