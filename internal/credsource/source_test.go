package credsource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

func TestSourceFollowsTheSDKPrecedence(t *testing.T) {
	keys := []string{"AWS_ACCESS_KEY_ID", "AKIAENV", "AWS_SECRET_ACCESS_KEY", "s"}
	webID := []string{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", "AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/pod"}
	tests := []struct {
		name        string
		profileFlag string
		env         []string
		wantKind    Kind
		wantProfile string
	}{
		{name: "nothing: the default profile", wantKind: Profile, wantProfile: "default"},
		{name: "AWS_PROFILE", env: []string{"AWS_PROFILE", "dev"}, wantKind: Profile, wantProfile: "dev"},
		{name: "AWS_DEFAULT_PROFILE", env: []string{"AWS_DEFAULT_PROFILE", "old"}, wantKind: Profile, wantProfile: "old"},
		{name: "keys", env: keys, wantKind: Env},
		{name: "an access key without its secret is no source", env: []string{"AWS_ACCESS_KEY_ID", "AKIA"}, wantKind: Profile, wantProfile: "default"},
		{name: "keys beat web identity", env: append(append([]string{}, keys...), webID...), wantKind: Env},
		{name: "web identity beats AWS_PROFILE", env: append([]string{"AWS_PROFILE", "dev"}, webID...), wantKind: WebIdentity},
		{name: "--profile beats everything", profileFlag: "ops", env: append(append([]string{}, keys...), webID...), wantKind: ProfileFlag, wantProfile: "ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env(t, tt.env...)
			s := Detect(tt.profileFlag, getenv(e))
			if s.Kind != tt.wantKind || s.Profile != tt.wantProfile {
				t.Errorf("Source = kind %d profile %q, want %d %q", s.Kind, s.Profile, tt.wantKind, tt.wantProfile)
			}
			if want := filepath.Join(e["HOME"], ".aws", "config"); s.ConfigFile != want {
				t.Errorf("ConfigFile = %q, want %q", s.ConfigFile, want)
			}
			if s.String() == "" {
				t.Error("String is empty")
			}
		})
	}
}

func TestSourceNamesFilesFromTheEnvironment(t *testing.T) {
	e := env(t, "AWS_CONFIG_FILE", "/etc/aws/config", "AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/creds")
	s := Detect("", getenv(e))
	if s.ConfigFile != "/etc/aws/config" || s.CredentialsFile != "/etc/aws/creds" {
		t.Errorf("files = %q, %q", s.ConfigFile, s.CredentialsFile)
	}
	if !strings.Contains(s.String(), "/etc/aws/config") {
		t.Errorf("String %q does not name the config file", s.String())
	}
}

func TestFingerprintChangesWithTheIdentity(t *testing.T) {
	e := env(t)
	writeAWSFiles(t, e["HOME"], "[default]\n", "")
	before := Detect("", getenv(e)).Fingerprint()
	if again := Detect("", getenv(e)).Fingerprint(); again != before {
		t.Fatal("fingerprint not stable")
	}
	// Editing the shared files (aws configure, a new profile) changes it.
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(e["HOME"], ".aws", "credentials"), later, later); err != nil {
		t.Fatal(err)
	}
	if Detect("", getenv(e)).Fingerprint() == before {
		t.Error("fingerprint unchanged after the credentials file changed")
	}

	a := Detect("", getenv(env(t, "AWS_ACCESS_KEY_ID", "AKIAONE", "AWS_SECRET_ACCESS_KEY", "s"))).Fingerprint()
	b := Detect("", getenv(env(t, "AWS_ACCESS_KEY_ID", "AKIATWO", "AWS_SECRET_ACCESS_KEY", "s"))).Fingerprint()
	if a == b {
		t.Error("different access keys share a fingerprint")
	}
	if strings.Contains(a, "AKIAONE") {
		t.Error("fingerprint contains the access key ID")
	}
}

// env is a fake environment with a fresh HOME.
// env, getenv and writeAWSFiles are testutil's, shorter.
var (
	env           = testutil.AWSEnv
	getenv        = testutil.Getenv
	writeAWSFiles = testutil.WriteAWSFiles
)

// TestFingerprintNoticesAnSSOLogin: "aws sso login" writes
// ~/.aws/sso/cache/SHA1.json; logging in again, as the same or another
// user, must not reuse a token signed with the previous session.
func TestFingerprintNoticesAnSSOLogin(t *testing.T) {
	e := env(t, "AWS_PROFILE", "sso")
	writeAWSFiles(t, e["HOME"], "[profile sso]\nsso_session = corp\n", "")
	before := Detect("", getenv(e)).Fingerprint()
	cache := filepath.Join(e["HOME"], ".aws", "sso", "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(cache, "0123456789abcdef.json")
	if err := os.WriteFile(file, []byte(`{"accessToken":"alice"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	first := Detect("", getenv(e)).Fingerprint()
	if first == before {
		t.Fatal("fingerprint unchanged by an SSO login")
	}
	// A second login rewrites the same file in place.
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.WriteFile(file, []byte(`{"accessToken":"bob-the-other-user"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	if Detect("", getenv(e)).Fingerprint() == first {
		t.Error("fingerprint unchanged by a second SSO login")
	}
}
