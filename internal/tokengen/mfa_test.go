package tokengen

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/tokencache"
)

const (
	mfaCode   = "123456"
	adminRole = "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	mfaSerial = "arn:aws:iam::" + localsts.DevAccount + ":mfa/" + localsts.DevDeveloperUser
)

// localSTS runs the local STS with the dev identities as edit changes
// them, and returns its URL and the developer's key. The SDK is pointed at
// it through AWS_ENDPOINT_URL_STS, and anything else it might reach for is
// sent to a closed loopback proxy: tests contact loopback only.
func localSTS(t *testing.T, edit func(*localsts.Config)) (string, localsts.AccessKey) {
	t.Helper()
	cfg := localsts.DevConfig(rand.Reader)
	edit(cfg)
	srv, err := localsts.New(cfg, localsts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", hs.URL)
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	for _, u := range cfg.Accounts[0].Users {
		if u.Name == localsts.DevDeveloperUser {
			return hs.URL, u.AccessKeys[0]
		}
	}
	t.Fatal("no developer")
	return "", localsts.AccessKey{}
}

// whoami asks the local STS whose credentials c are.
func whoami(t *testing.T, endpoint string, c aws.Credentials) string {
	t.Helper()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.StaticCredentialsProvider{Value: c}})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Arn)
}

// TestProfileWithMFASerial: a profile that assumes its role with
// mfa_serial gets its code from MFACode, once per session when a
// SessionCache is given, and fails with ErrMFARequired naming the profile
// when no code can be had.
func TestProfileWithMFASerial(t *testing.T) {
	isolateProcessEnv(t)
	endpoint, key := localSTS(t, func(c *localsts.Config) { c.Accounts[0].Roles[0].MFACode = mfaCode })
	e := env(t, "AWS_PROFILE", "mfa")
	writeAWSFiles(t, e["HOME"],
		"[profile mfa]\nrole_arn = "+adminRole+"\nsource_profile = base\nmfa_serial = "+mfaSerial+"\nregion = us-east-1\n",
		"[base]\naws_access_key_id = "+key.AccessKeyID+"\naws_secret_access_key = "+key.SecretAccessKey+"\n")
	cache, err := tokencache.Open(filepath.Join(t.TempDir(), "sessions"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	opts := CredentialOptions{Getenv: getenv(e), Now: time.Now, SessionCache: cache,
		MFACode: func(profile, serial string) (string, error) {
			asked.Add(1)
			if profile != "mfa" || serial != mfaSerial {
				t.Errorf("asked for profile %q serial %q", profile, serial)
			}
			return mfaCode, nil
		}}
	retrieve := func(o CredentialOptions) (aws.Credentials, error) {
		cfg, err := LoadCredentials(context.Background(), o)
		if err != nil {
			t.Fatalf("LoadCredentials: %v", err)
		}
		return cfg.Credentials.Retrieve(context.Background())
	}

	first, err := retrieve(opts)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if arn := whoami(t, endpoint, first); !strings.HasPrefix(arn, "arn:aws:sts::"+localsts.DevAccount+":assumed-role/"+localsts.DevAdminRole+"/") {
		t.Errorf("signed in as %s", arn)
	}
	if d := time.Until(first.Expires); d < 50*time.Minute {
		t.Errorf("session lasts %v, want about MFASessionDuration", d)
	}
	// The next command, a new process in real life: no second prompt.
	second, err := retrieve(opts)
	if err != nil || second.AccessKeyID != first.AccessKeyID || asked.Load() != 1 {
		t.Errorf("second call: %v, same session %v, asked %d times", err, second.AccessKeyID == first.AccessKeyID, asked.Load())
	}

	t.Run("no way to ask", func(t *testing.T) {
		o := opts
		o.MFACode, o.SessionCache = nil, nil
		_, err := retrieve(o)
		if !errors.Is(err, ErrMFARequired) || !strings.Contains(err.Error(), `profile "mfa"`) {
			t.Errorf("error = %v, want ErrMFARequired naming the profile", err)
		}
	})
	t.Run("wrong code", func(t *testing.T) {
		o := opts
		o.SessionCache = nil
		o.MFACode = func(string, string) (string, error) { return "000000", nil }
		if _, err := retrieve(o); err == nil || !strings.Contains(err.Error(), "invalid MFA one time pass code") {
			t.Errorf("error = %v, want STS's refusal of the code", err)
		}
	})
}

// TestForwardSessionName: assuming --role-arn with the caller's own
// session name, the way aws-iam-authenticator's --forward-session-name does.
func TestForwardSessionName(t *testing.T) {
	isolateProcessEnv(t)
	ssoRole := "arn:aws:iam::" + localsts.DevAccount + ":role" + localsts.DevSSORolePath + localsts.DevSSORole
	// The admin role trusts every session of the SSO role.
	endpoint, key := localSTS(t, func(c *localsts.Config) { c.Accounts[0].Roles[0].Trust = append(c.Accounts[0].Roles[0].Trust, ssoRole) })
	src := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	// The developer's SSO role session "alice@example.com", assumed directly.
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.StaticCredentialsProvider{Value: src}})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(ssoRole), RoleSessionName: aws.String("alice@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         []string
		wantSession string
	}{
		{name: "an assumed role forwards its session", wantSession: "alice@example.com",
			env: []string{"AWS_ACCESS_KEY_ID", *out.Credentials.AccessKeyId, "AWS_SECRET_ACCESS_KEY", *out.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN", *out.Credentials.SessionToken}},
		{name: "an IAM user has none: the default name", wantSession: "kubeiam-1700000000",
			env: []string{"AWS_ACCESS_KEY_ID", key.AccessKeyID, "AWS_SECRET_ACCESS_KEY", key.SecretAccessKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env(t, tt.env...)
			cfg, err := LoadCredentials(context.Background(), CredentialOptions{Getenv: getenv(e), Now: func() time.Time { return time.Unix(1700000000, 0) },
				RoleARN: adminRole, ForwardSessionName: true, STSEndpoint: endpoint})
			if err != nil {
				t.Fatal(err)
			}
			c, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if arn := whoami(t, endpoint, c); arn != "arn:aws:sts::"+localsts.DevAccount+":assumed-role/"+localsts.DevAdminRole+"/"+tt.wantSession {
				t.Errorf("session %s, want name %s", arn, tt.wantSession)
			}
		})
	}
}

// TestExpiredSSOSession: a profile whose "aws sso login" token has expired
// fails with ErrSSOSession, before any request.
func TestExpiredSSOSession(t *testing.T) {
	isolateProcessEnv(t)
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	e := env(t, "AWS_PROFILE", "corp")
	t.Setenv("HOME", e["HOME"]) // the SDK finds ~/.aws/sso/cache through the process's home
	const startURL = "https://corp.awsapps.com/start"
	writeAWSFiles(t, e["HOME"], "[profile corp]\nsso_start_url = "+startURL+"\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = us-east-1\n", "")
	file, err := ssocreds.StandardCachedTokenFilepath(startURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(`{"accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"`+startURL+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadCredentials(context.Background(), CredentialOptions{Getenv: getenv(e), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Generate(context.Background(), cfg.Credentials, Options{ClusterID: "c", Region: cfg.Region, Now: time.Now})
	if !errors.Is(err, ErrSSOSession) || !errors.Is(err, ErrCredentials) {
		t.Errorf("error = %v, want ErrSSOSession", err)
	}
}
