package tokengen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSourceFollowsTheSDKPrecedence(t *testing.T) {
	keys := []string{"AWS_ACCESS_KEY_ID", "AKIAENV", "AWS_SECRET_ACCESS_KEY", "s"}
	webID := []string{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", "AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/pod"}
	tests := []struct {
		name        string
		profileFlag string
		env         []string
		wantKind    SourceKind
		wantProfile string
	}{
		{name: "nothing: the default profile", wantKind: SourceProfile, wantProfile: "default"},
		{name: "AWS_PROFILE", env: []string{"AWS_PROFILE", "dev"}, wantKind: SourceProfile, wantProfile: "dev"},
		{name: "AWS_DEFAULT_PROFILE", env: []string{"AWS_DEFAULT_PROFILE", "old"}, wantKind: SourceProfile, wantProfile: "old"},
		{name: "keys", env: keys, wantKind: SourceEnv},
		{name: "an access key without its secret is no source", env: []string{"AWS_ACCESS_KEY_ID", "AKIA"}, wantKind: SourceProfile, wantProfile: "default"},
		{name: "keys beat web identity", env: append(append([]string{}, keys...), webID...), wantKind: SourceEnv},
		{name: "web identity beats AWS_PROFILE", env: append([]string{"AWS_PROFILE", "dev"}, webID...), wantKind: SourceWebIdentity},
		{name: "--profile beats everything", profileFlag: "ops", env: append(append([]string{}, keys...), webID...), wantKind: SourceProfileFlag, wantProfile: "ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env(t, tt.env...)
			s := CredentialOptions{Profile: tt.profileFlag, Getenv: getenv(e)}.Source()
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
	s := CredentialOptions{Getenv: getenv(e)}.Source()
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
	opts := CredentialOptions{Getenv: getenv(e)}
	before := opts.Source().Fingerprint()
	if again := opts.Source().Fingerprint(); again != before {
		t.Fatal("fingerprint not stable")
	}
	// Editing the shared files (aws configure, a new profile) changes it.
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(e["HOME"], ".aws", "credentials"), later, later); err != nil {
		t.Fatal(err)
	}
	if opts.Source().Fingerprint() == before {
		t.Error("fingerprint unchanged after the credentials file changed")
	}

	a := CredentialOptions{Getenv: getenv(env(t, "AWS_ACCESS_KEY_ID", "AKIAONE", "AWS_SECRET_ACCESS_KEY", "s"))}.Source().Fingerprint()
	b := CredentialOptions{Getenv: getenv(env(t, "AWS_ACCESS_KEY_ID", "AKIATWO", "AWS_SECRET_ACCESS_KEY", "s"))}.Source().Fingerprint()
	if a == b {
		t.Error("different access keys share a fingerprint")
	}
	if strings.Contains(a, "AKIAONE") {
		t.Error("fingerprint contains the access key ID")
	}
}
