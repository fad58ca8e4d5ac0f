package tokengen

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
	"github.com/kubeiam/kubeiam/internal/tokengen/ststest"
)

// isolateProcessEnv clears the variables the SDK reads from the process
// environment itself, so a developer's AWS setup cannot leak into a test
// and nothing reaches for IMDS.
func isolateProcessEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "absent"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "absent"))
}

// env is a fake environment: HOME is a fresh directory and IMDS is off.
// env, getenv and writeAWSFiles are testutil's, shorter.
var (
	env           = testutil.AWSEnv
	getenv        = testutil.Getenv
	writeAWSFiles = testutil.WriteAWSFiles
)

func TestLoadCredentialsSources(t *testing.T) {
	isolateProcessEnv(t)
	const profiles = "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-south-1\n"
	const keys = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n"
	tests := []struct {
		name       string
		opts       CredentialOptions
		env        []string
		files      bool
		wantKey    string
		wantRegion string
	}{
		{name: "environment keys", env: []string{"AWS_ACCESS_KEY_ID", tokentest.AccessKeyID, "AWS_SECRET_ACCESS_KEY", tokentest.SecretAccessKey}, wantKey: tokentest.AccessKeyID, wantRegion: DefaultRegion},
		{name: "environment keys beat AWS_PROFILE", files: true, env: []string{"AWS_PROFILE", "dev", "AWS_ACCESS_KEY_ID", "AKIAENV", "AWS_SECRET_ACCESS_KEY", "s"}, wantKey: "AKIAENV", wantRegion: "ap-south-1"},
		{name: "--profile beats environment keys", files: true, opts: CredentialOptions{Profile: "dev"}, env: []string{"AWS_ACCESS_KEY_ID", "AKIAENV", "AWS_SECRET_ACCESS_KEY", "s"}, wantKey: "AKIADEV", wantRegion: "ap-south-1"},
		{name: "AWS_PROFILE", files: true, env: []string{"AWS_PROFILE", "dev"}, wantKey: "AKIADEV", wantRegion: "ap-south-1"},
		{name: "default profile", files: true, wantKey: "AKIADEFAULT", wantRegion: "eu-central-1"},
		{name: "--region beats AWS_REGION beats profile", files: true, opts: CredentialOptions{Region: "sa-east-1"}, env: []string{"AWS_REGION", "us-west-1"}, wantKey: "AKIADEFAULT", wantRegion: "sa-east-1"},
		{name: "AWS_REGION beats AWS_DEFAULT_REGION", files: true, env: []string{"AWS_REGION", "us-west-1", "AWS_DEFAULT_REGION", "us-west-2"}, wantKey: "AKIADEFAULT", wantRegion: "us-west-1"},
		{name: "AWS_DEFAULT_REGION beats profile", files: true, env: []string{"AWS_DEFAULT_REGION", "us-west-2"}, wantKey: "AKIADEFAULT", wantRegion: "us-west-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env(t, tt.env...)
			if tt.files {
				writeAWSFiles(t, e["HOME"], profiles, keys)
			}
			tt.opts.Getenv, tt.opts.Now = getenv(e), fixedClock(signedAt)
			cfg, err := LoadCredentials(context.Background(), tt.opts)
			if err != nil {
				t.Fatalf("LoadCredentials: %v", err)
			}
			c, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if c.AccessKeyID != tt.wantKey || cfg.Region != tt.wantRegion {
				t.Errorf("got key %q region %q, want %q %q", c.AccessKeyID, cfg.Region, tt.wantKey, tt.wantRegion)
			}
		})
	}
}

func TestLoadCredentialsErrors(t *testing.T) {
	isolateProcessEnv(t)
	t.Run("unknown profile", func(t *testing.T) {
		e := env(t)
		writeAWSFiles(t, e["HOME"], "[default]\n", "")
		_, err := LoadCredentials(context.Background(), CredentialOptions{Profile: "nope", Getenv: getenv(e), Now: fixedClock(signedAt)})
		if !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("error = %v, want ErrProfile naming the profile", err)
		}
	})
	t.Run("nothing anywhere fails on first use", func(t *testing.T) {
		e := env(t)
		cfg, err := LoadCredentials(context.Background(), CredentialOptions{Getenv: getenv(e), Now: fixedClock(signedAt)})
		if err != nil {
			t.Fatalf("LoadCredentials: %v", err)
		}
		_, err = Generate(context.Background(), cfg.Credentials, Options{ClusterID: "c", Region: cfg.Region, Now: fixedClock(signedAt)})
		if !errors.Is(err, ErrCredentials) {
			t.Errorf("Generate error = %v, want ErrCredentials", err)
		}
	})
}

func TestCredentialOptionsValidate(t *testing.T) {
	base := func() CredentialOptions {
		return CredentialOptions{Getenv: getenv(nil), Now: fixedClock(signedAt)}
	}
	tests := []struct {
		name   string
		modify func(*CredentialOptions)
		want   error
	}{
		{name: "bad region flag", modify: func(o *CredentialOptions) { o.Region = "moon-1" }, want: ErrRegion},
		{name: "bad AWS_REGION", modify: func(o *CredentialOptions) { o.Getenv = getenv(map[string]string{"AWS_REGION": "x"}) }, want: ErrRegion},
		{name: "malformed role ARN", modify: func(o *CredentialOptions) { o.RoleARN = "k8s-admin" }, want: ErrRoleARN},
		{name: "user ARN as role", modify: func(o *CredentialOptions) { o.RoleARN = "arn:aws:iam::111122223333:user/alice" }, want: ErrRoleARN},
		{name: "session name with a space", modify: func(o *CredentialOptions) { o.SessionName = "my session" }, want: ErrSessionName},
		{name: "session name too long", modify: func(o *CredentialOptions) { o.SessionName = strings.Repeat("s", 65) }, want: ErrSessionName},
		{name: "external ID too short", modify: func(o *CredentialOptions) { o.ExternalID = "x" }, want: ErrExternalID},
		{name: "plain http STS off loopback", modify: func(o *CredentialOptions) { o.STSEndpoint = "http://sts.example.com" }, want: ErrSTSEndpoint},
		{name: "STS endpoint without host", modify: func(o *CredentialOptions) { o.STSEndpoint = "sts.example.com" }, want: ErrSTSEndpoint},
		{name: "STS endpoint with credentials", modify: func(o *CredentialOptions) { o.STSEndpoint = "https://u:p@sts.example.com" }, want: ErrSTSEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.modify(&o)
			if err := o.Validate(); !errors.Is(err, tt.want) {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
	ok := base()
	ok.RoleARN, ok.SessionName, ok.ExternalID = "arn:aws:iam::111122223333:role/path/k8s-admin", "alice@example.com", "ext:id/1"
	for _, ep := range []string{"https://sts.us-west-2.amazonaws.com", "https://vpce-1.sts.us-west-2.vpce.amazonaws.com", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"} {
		ok.STSEndpoint = ep
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", ep, err)
		}
	}
}

// TestAssumeRoleGoesToTheOverrideButTheTokenNamesAWS is the point of
// --sts-endpoint: AssumeRole is sent where the user says, while the token
// still names the real STS host, which is all a verifier accepts.
func TestAssumeRoleGoesToTheOverrideButTheTokenNamesAWS(t *testing.T) {
	isolateProcessEnv(t)
	sts := ststest.Start(t)
	e := env(t, "AWS_ACCESS_KEY_ID", tokentest.AccessKeyID, "AWS_SECRET_ACCESS_KEY", tokentest.SecretAccessKey)
	opts := CredentialOptions{
		Region: "us-west-2", RoleARN: "arn:aws:iam::111122223333:role/k8s-admin", ExternalID: "ext-123",
		STSEndpoint: sts.URL, Getenv: getenv(e), Now: fixedClock(signedAt),
	}
	cfg, err := LoadCredentials(context.Background(), opts)
	if err != nil {
		t.Fatalf("LoadCredentials: %v", err)
	}
	tok, err := Generate(context.Background(), cfg.Credentials, Options{ClusterID: "prod", Region: cfg.Region, Now: fixedClock(signedAt)})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	reqs := sts.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake STS got %d AssumeRole requests, want 1", len(reqs))
	}
	wantSession := "kubeiam-" + strconv.FormatInt(signedAt.Unix(), 10)
	for k, v := range map[string]string{"RoleArn": opts.RoleARN, "ExternalId": "ext-123", "RoleSessionName": wantSession} {
		if got := reqs[0].Get(k); got != v {
			t.Errorf("AssumeRole %s = %q, want %q", k, got, v)
		}
	}
	u := decodeURL(t, tok.Value)
	if u.Host != "sts.us-west-2.amazonaws.com" || tok.Host != u.Host {
		t.Errorf("token host = %q (Token.Host %q), want the real STS host", u.Host, tok.Host)
	}
	q := u.Query()
	if !strings.HasPrefix(q.Get("X-Amz-Credential"), ststest.AccessKeyID+"/") || q.Get("X-Amz-Security-Token") != ststest.SessionToken {
		t.Errorf("token not signed with the assumed role's credentials: %s", q.Get("X-Amz-Credential"))
	}
}
