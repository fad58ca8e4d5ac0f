package cli

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// stsRun is one "kubeiam sts" running in the background.
type stsRun struct {
	out, err *testutil.SyncBuffer
	addr     net.Addr
	cancel   context.CancelFunc
	done     chan error
}

// startSTS runs "kubeiam sts ARGS --listen 127.0.0.1:0" with a seeded
// random source and waits until it serves (or fails).
func startSTS(t *testing.T, args ...string) (*stsRun, error) {
	t.Helper()
	r := &stsRun{out: &testutil.SyncBuffer{}, err: &testutil.SyncBuffer{}, done: make(chan error, 1)}
	ready := make(chan net.Addr, 1)
	d := stsDeps{
		IO:     IO{In: strings.NewReader(""), Out: r.out, Err: r.err, Getenv: func(string) string { return "" }, Now: time.Now},
		Rand:   rand.NewChaCha8([32]byte{1}),
		Listen: net.Listen,
		Ready:  func(a net.Addr) { ready <- a },
	}
	cmd := newSTSCommandWith(d)
	cmd.SetArgs(append(args, "--listen", "127.0.0.1:0"))
	cmd.SetOut(r.out)
	cmd.SetErr(r.err)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- cmd.ExecuteContext(ctx) }()
	select {
	case r.addr = <-ready:
		t.Cleanup(func() { r.stop(t) })
		return r, nil
	case err := <-r.done:
		cancel()
		return nil, err
	}
}

// stop cancels the command and checks it shut down cleanly.
func (r *stsRun) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("sts returned %v after cancellation", err)
	}
}

func (r *stsRun) whoami(t *testing.T, key, secret string) (string, error) {
	t.Helper()
	client := awssts.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	}, func(o *awssts.Options) { o.BaseEndpoint = aws.String("http://" + r.addr.String()) })
	out, err := client.GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func TestSTSCommandDevIdentities(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "dev-sts.yaml")
	r, err := startSTS(t, "--write-config", saved)
	if err != nil {
		t.Fatal(err)
	}
	banner := strings.ReplaceAll(r.out.String(), r.addr.String(), "127.0.0.1:PORT")
	golden(t, "sts/"+"dev.txt", strings.ReplaceAll(banner, saved, "dev-sts.yaml"))

	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(saved); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("saved config mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	cfg, err := localsts.ParseConfig(data)
	if err != nil {
		t.Fatalf("saved config does not parse: %v", err)
	}
	key := cfg.Accounts[0].Users[0].AccessKeys[0]
	if !strings.Contains(r.out.String(), "AWS_SECRET_ACCESS_KEY="+key.SecretAccessKey) {
		t.Error("the banner does not print the generated secret")
	}
	if arn, err := r.whoami(t, key.AccessKeyID, key.SecretAccessKey); err != nil || arn != "arn:aws:iam::111122223333:user/creator" {
		t.Errorf("GetCallerIdentity = %q, %v", arn, err)
	}
	r.stop(t)
	for _, line := range strings.Split(r.err.String(), "\n") {
		if strings.Contains(line, key.SecretAccessKey) {
			t.Errorf("a secret was logged: %s", line)
		}
	}

	t.Run("the saved config serves the same keys", func(t *testing.T) {
		again, err := startSTS(t, "--config", saved)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(again.out.String(), key.SecretAccessKey) {
			t.Error("secrets from a config file were printed")
		}
		if arn, err := again.whoami(t, key.AccessKeyID, key.SecretAccessKey); err != nil || arn != "arn:aws:iam::111122223333:user/creator" {
			t.Errorf("GetCallerIdentity = %q, %v", arn, err)
		}
	})
	t.Run("--write-config never overwrites", func(t *testing.T) {
		_, err := startSTS(t, "--write-config", saved)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "file exists") {
			t.Errorf("err = %v, want exit 2 naming the existing file", err)
		}
	})
}

func TestSTSCommandUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("accounts:\n- id: \"123\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"config and write-config", []string{"--config", bad, "--write-config", filepath.Join(dir, "x.yaml")}, "cannot be combined"},
		{"missing config file", []string{"--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"invalid config names the field", []string{"--config", bad}, "accounts[0].id"},
		{"argument", []string{"extra"}, "no arguments"},
		{"unknown flag", []string{"--nope"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startSTS(t, tt.args...)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want exit 2 containing %q", err, tt.want)
			}
		})
	}
}

func TestSTSCommandHelp(t *testing.T) {
	var out bytes.Buffer
	cmd := newSTSCommand(IO{Out: &out, Err: &out})
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--config", "--listen", "--write-config", "aws sts get-caller-identity --endpoint-url", defaultSTSListen} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// "kubeiam sts recreate-role" gives the role a new unique ID in the config
// file, which a local STS started from it then uses (GetRole through the
// AWS SDK's IAM client).
func TestSTSRecreateRole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sts.yaml")
	data, err := localsts.DevConfig(rand.NewChaCha8([32]byte{1})).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::111122223333:role/admin"
	roleID := func() string {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := localsts.ParseConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		id, err := cfg.RoleID(role)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	before := roleID()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(string) string { return "" }, Now: time.Now},
		[]string{"sts", "recreate-role", "--config", path, role}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	after := roleID()
	if strings.TrimSpace(out.String()) != after || after == before {
		t.Errorf("printed %q; role ID %s before, %s after", out.String(), before, after)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v (%v), want 0600", st.Mode(), err)
	}
	for _, args := range [][]string{
		{"sts", "recreate-role", role},
		{"sts", "recreate-role", "--config", path, "arn:aws:iam::111122223333:role/missing"},
		{"sts", "recreate-role", "--config", path, "arn:aws:iam::111122223333:user/developer"},
	} {
		errOut.Reset()
		if code := Main(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(string) string { return "" }, Now: time.Now}, args); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}
