package tokenplugin

import (
	"errors"
	"strings"
	"testing"
)

func parse(t *testing.T, env map[string]string, args ...string) (Flags, error) {
	t.Helper()
	var f Flags
	if _, err := Parse(f.Specs(), args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return f, f.Complete(func(k string) string { return env[k] })
}

func TestClusterNameAliasesAndEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    string
		wantErr string
	}{
		{name: "--cluster-name", args: []string{"--cluster-name", "prod"}, want: "prod"},
		{name: "--cluster-id alias", args: []string{"--cluster-id", "prod"}, want: "prod"},
		{name: "-i alias", args: []string{"-i", "prod"}, want: "prod"},
		{name: "KUBEIAM_CLUSTER", env: map[string]string{ClusterEnv: "envc"}, want: "envc"},
		{name: "a flag beats KUBEIAM_CLUSTER", env: map[string]string{ClusterEnv: "envc"}, args: []string{"-i", "prod"}, want: "prod"},
		{name: "both names agreeing", args: []string{"--cluster-name", "prod", "-i", "prod"}, want: "prod"},
		{name: "both names disagreeing", args: []string{"--cluster-name", "prod", "-i", "dev"}, wantErr: "disagree"},
		{name: "missing", wantErr: "--cluster-name is required (or set KUBEIAM_CLUSTER)"},
		{name: "session name without a role", args: []string{"-i", "c", "--session-name", "me"}, wantErr: "need --role-arn"},
		{name: "both session flags", args: []string{"-i", "c", "-r", "arn:aws:iam::111122223333:role/r", "--session-name", "me", "--forward-session-name"}, wantErr: "pass one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parse(t, tt.env, tt.args...)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want a usage error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || f.ClusterName != tt.want {
				t.Errorf("cluster %q, err %v; want %q", f.ClusterName, err, tt.want)
			}
		})
	}
}

// TestCacheKeySeparatesWhatMatters: every input that changes the token
// changes the key; the environment's access key is one of them.
func TestCacheKeySeparatesWhatMatters(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": "AKIAONE", "AWS_SECRET_ACCESS_KEY": "s"}
	getenv := func(k string) string { return env[k] }
	base := Flags{ClusterName: "prod", Audience: "cluster"}
	k0, err := CacheKey(base, getenv)
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]Flags{}
	for name, mod := range map[string]func(*Flags){
		"cluster":  func(f *Flags) { f.ClusterName = "dev" },
		"audience": func(f *Flags) { f.Audience = "api" },
		"role":     func(f *Flags) { f.RoleARN = "arn:aws:iam::111122223333:role/r" },
		"forward":  func(f *Flags) { f.ForwardSessionName = true },
		"region":   func(f *Flags) { f.Region = "eu-west-1" },
		"global":   func(f *Flags) { f.Global = true },
		"profile":  func(f *Flags) { f.Profile = "ops" },
	} {
		f := base
		mod(&f)
		variants[name] = f
	}
	for name, f := range variants {
		if k, _ := CacheKey(f, getenv); k == k0 {
			t.Errorf("changing %s keeps the key", name)
		}
	}
	env["AWS_ACCESS_KEY_ID"] = "AKIATWO"
	if k, _ := CacheKey(base, getenv); k == k0 {
		t.Error("another access key keeps the key")
	}
	if _, err := CacheKey(Flags{ClusterName: "c", Audience: "API"}, getenv); !errors.Is(err, ErrUsage) {
		t.Errorf("bad audience: %v", err)
	}
}
