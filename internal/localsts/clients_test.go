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

	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token"
)

// Versions of aws-iam-authenticator whose tokens must verify:
// v0.6.27 is the last release that signs X-Amz-Expires=0 (fixed by its PR
// #753, first released in v0.6.28), which STS ignores and EKS accepts;
// v0.7.18 is a current one. hack/build-aws-iam-authenticator.sh builds
// them ("make e2e-tools").
var authenticatorVersions = []string{"v0.6.27", "v0.7.18"}

// Tokens minted by every client users have verify against the local STS,
// and pass kubeiam's own token checks (internal/token), as EKS accepts them
// all: aws-iam-authenticator old and new, the AWS CLI v1 and v2 ("aws eks
// get-token"), the AWS SDK for Go v2's presigner and the AWS SDK for
// JavaScript v3's SigV4 signer.
func TestTokensOfEveryClientVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the cross-client token test in -short mode")
	}
	f := start(t, nil)
	k := f.key(DevDeveloperUser)
	clients := map[string]func(t *testing.T) string{
		"AWS SDK for Go v2 presigner": func(t *testing.T) string { return token.Encode(sdkPresign(t, creds(k), "demo")) },
		"AWS CLI v2 eks get-token":    func(t *testing.T) string { return cliToken(t, k, awsCLIV2(t)) },
		"AWS CLI v1 eks get-token":    func(t *testing.T) string { return cliToken(t, k, awsCLIV1(t)) },
		"AWS SDK for JavaScript v3":   func(t *testing.T) string { return jsToken(t, k) },
	}
	for _, v := range authenticatorVersions {
		clients["aws-iam-authenticator "+v] = func(t *testing.T) string { return authenticatorToken(t, k, v) }
	}
	p, _ := partition.New().Lookup("aws")
	for name, mint := range clients {
		t.Run(name, func(t *testing.T) {
			tok := mint(t)
			req, err := token.Validator{Partition: p, Now: time.Now}.Validate(tok)
			if err != nil {
				t.Fatalf("kubeiam's token checks refuse it: %v", err)
			}
			if name == "aws-iam-authenticator v0.6.27" && req.ExpiresIn != 0 {
				t.Fatalf("X-Amz-Expires = %s: this release was chosen for the 0 it signs", req.ExpiresIn)
			}
			if _, body := f.sendPresigned(t, req.URL.String(), "demo"); callerARN(body) != "arn:aws:iam::111122223333:user/developer" {
				t.Errorf("the local STS refuses it: %v (X-Amz-Expires=%s)", body, req.URL.Query().Get("X-Amz-Expires"))
			}
			if _, body := f.sendPresigned(t, req.URL.String(), "other"); errorCode(body) != CodeSignatureDoesNotMatch {
				t.Errorf("with another x-k8s-aws-id: %v, want SignatureDoesNotMatch", body)
			}
		})
	}
}

// clientEnv is a sealed AWS environment: the key, us-east-1, empty config
// and credentials files, no instance metadata.
func clientEnv(t *testing.T, k AccessKey, base []string) []string {
	t.Helper()
	home := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return append(base,
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+k.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+k.SecretAccessKey,
		"CLUSTER_ID=demo",
	)
}

// runClient runs a token client and returns its stdout.
func runClient(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// execCredentialToken returns the token of an ExecCredential.
func execCredentialToken(t *testing.T, out string) string {
	t.Helper()
	var cred struct {
		Status struct{ Token string } `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &cred); err != nil || cred.Status.Token == "" {
		t.Fatalf("not an ExecCredential with a token (%v): %q", err, out)
	}
	return cred.Status.Token
}

func cliToken(t *testing.T, k AccessKey, cli cliBinary) string {
	t.Helper()
	out := runClient(t, clientEnv(t, k, cli.env), cli.path, "eks", "get-token", "--cluster-name", "demo", "--region", "us-east-1", "--output", "json")
	return execCredentialToken(t, out)
}

type cliBinary struct {
	path string
	env  []string
}

func awsCLIV2(t *testing.T) cliBinary {
	testutil.RequireProgram(t, "the AWS CLI v2", awsCLI, `run "make tools" or apt-get install -y awscli`)
	return cliBinary{path: awsCLI, env: []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}}
}

// awsCLIV1 is the first "aws" on PATH when it is a v1 (a pip install,
// which may run through a version manager's shim that needs the user's
// environment).
func awsCLIV1(t *testing.T) cliBinary {
	path, err := exec.LookPath("aws")
	if err != nil {
		testutil.Missing(t, "no AWS CLI v1 on PATH (pip install awscli)")
	}
	cli := cliBinary{path: path, env: os.Environ()}
	if v := runClient(t, cli.env, path, "--version"); !strings.HasPrefix(v, "aws-cli/1.") {
		testutil.Missing(t, "the first aws on PATH, %s, is %q, not the AWS CLI v1 (pip install awscli)", path, strings.TrimSpace(v))
	}
	return cli
}

func authenticatorToken(t *testing.T, k AccessKey, version string) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(cache, "kubeiam", "aws-iam-authenticator-"+version)
	testutil.RequireProgram(t, "aws-iam-authenticator "+version, bin, `run "make e2e-tools" or hack/build-aws-iam-authenticator.sh `+version)
	out := runClient(t, clientEnv(t, k, []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}), bin, "token", "-i", "demo")
	return execCredentialToken(t, out)
}

func jsToken(t *testing.T, k AccessKey) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testutil.Missing(t, "node is not installed (apt-get install -y nodejs)")
	}
	modules := strings.TrimSpace(runClient(t, os.Environ(), "bash", "../../hack/install-js-presigner.sh", "--path"))
	testutil.RequireProgram(t, "the AWS SDK for JavaScript's presigner", filepath.Join(modules, "@smithy", "signature-v4", "package.json"),
		`run "make e2e-tools" or hack/install-js-presigner.sh`)
	script, err := filepath.Abs(filepath.Join("testdata", "presign.cjs"))
	if err != nil {
		t.Fatal(err)
	}
	out := runClient(t, clientEnv(t, k, []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "NODE_PATH=" + modules}), node, script)
	return token.Encode(strings.TrimSpace(out))
}
