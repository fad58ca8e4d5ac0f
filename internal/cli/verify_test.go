package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

var (
	verifySignedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	verifyNow      = verifySignedAt.Add(time.Minute)
)

const verifyAnswer = `{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Account":"111122223333","Arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","UserId":"AROAEXAMPLEID:alice"}}}`

// verifySTS is a fake STS on loopback that records what it was sent.
type verifySTS struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
	ids   []string
}

func newVerifySTS(t *testing.T, status int, body string) *verifySTS {
	t.Helper()
	f := &verifySTS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hosts, f.ids = append(f.hosts, r.Host), append(f.ids, r.Header.Get(token.ClusterIDHeader))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *verifySTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.hosts)
}

// runVerifyCmd runs "verify args..." with stdin and returns stdout, stderr
// (as Main would print it) and the exit code Main would return.
func runVerifyCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Getenv: func(string) string { return "" }, Now: func() time.Time { return verifyNow }}
	cmd := newVerifyCommand(s)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code := execute(context.Background(), cmd, &errOut, args)
	return out.String(), errOut.String(), code
}

func verifyToken(t *testing.T, o tokentest.Options) string {
	t.Helper()
	if o.SignedAt.IsZero() {
		o.SignedAt = verifySignedAt
	}
	if o.ClusterID == "" {
		o.ClusterID = "prod"
	}
	return tokentest.Token(t, o)
}

// assertNoToken fails if any output contains the token or a piece of it.
func assertNoToken(t *testing.T, tok string, outputs ...string) {
	t.Helper()
	u, _ := token.Decode(tok)
	_, sig, _ := strings.Cut(u, "X-Amz-Signature=")
	payload := strings.TrimPrefix(tok, token.Prefix)
	for _, o := range outputs {
		if strings.Contains(o, payload[:40]) || (sig != "" && strings.Contains(o, sig)) || strings.Contains(o, "X-Amz-") {
			t.Errorf("output contains the token:\n%s", o)
		}
	}
}

func TestVerifyCommandVerified(t *testing.T) {
	f := newVerifySTS(t, 200, verifyAnswer)
	tok := verifyToken(t, tokentest.Options{})
	execCredential := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"expirationTimestamp":"2025-01-02T03:18:05Z","token":"` + tok + `"}}`
	tests := []struct {
		name, stdin, golden string
		args                []string
	}{
		{"text from stdin", tok + "\n", "verified.txt", nil},
		{"json from stdin", tok, "verified.json", []string{"-o", "json"}},
		{"dash reads stdin", tok, "verified.txt", []string{"--token", "-"}},
		{"flag", "", "verified.txt", []string{"--token", tok}},
		{"exec credential", execCredential, "verified.txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-i", "prod", "--sts-endpoint", f.URL}, tt.args...)
			out, errOut, code := runVerifyCmd(t, tt.stdin, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			golden(t, "verify/"+tt.golden, out)
			assertNoToken(t, tok, out, errOut)
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.hosts {
		if f.hosts[i] != "sts.amazonaws.com" || f.ids[i] != "prod" {
			t.Errorf("STS got Host %q, x-k8s-aws-id %q", f.hosts[i], f.ids[i])
		}
	}
}

func TestVerifyCommandRefused(t *testing.T) {
	mismatch := `{"Error":{"Code":"SignatureDoesNotMatch","Message":"The request signature we calculated does not match the signature you provided."}}`
	tests := []struct {
		name      string
		status    int
		body      string
		tok       tokentest.Options
		args      []string
		wantErr   []string
		golden    string
		wantCalls int
	}{
		{"other cluster", 403, mismatch, tokentest.Options{ClusterID: "staging"}, nil,
			[]string{"token refused (rejected, token sha256 ", "sts getCallerIdentity failed: SignatureDoesNotMatch", `hint: a token minted for a cluster ID other than "prod"`}, "", 1},
		{"other cluster json", 403, mismatch, tokentest.Options{ClusterID: "staging"}, []string{"-o", "json"},
			[]string{"sts getCallerIdentity failed: SignatureDoesNotMatch"}, "refused.json", 1},
		{"expired", 200, verifyAnswer, tokentest.Options{SignedAt: verifyNow.Add(-time.Hour)}, nil,
			[]string{"token refused (expired, ", "token signed more than 15 minutes ago", "hint: tokens last 15 minutes"}, "", 0},
		{"throttled", 429, "", tokentest.Options{}, nil, []string{"token refused (throttled, "}, "", 1},
		{"STS failing", 500, "", tokentest.Options{}, nil, []string{"token refused (unavailable, ", "(HTTP 500)", "hint: STS could not be reached"}, "", 1},
		{"wrong partition", 200, verifyAnswer, tokentest.Options{}, []string{"--partition", "aws-cn"},
			[]string{"token refused (invalid, ", "URL host is not an STS endpoint", "partition aws-cn"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newVerifySTS(t, tt.status, tt.body)
			tok := verifyToken(t, tt.tok)
			args := append([]string{"-i", "prod", "--sts-endpoint", f.URL}, tt.args...)
			out, errOut, code := runVerifyCmd(t, tok, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if tt.golden != "" {
				golden(t, "verify/"+tt.golden, out)
			} else if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if n := f.count(); n != tt.wantCalls {
				t.Errorf("STS got %d requests, want %d", n, tt.wantCalls)
			}
			assertNoToken(t, tok, out, errOut)
		})
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	tok := verifyToken(t, tokentest.Options{})
	tests := []struct {
		name, stdin, want string
		args              []string
	}{
		{"no cluster ID", tok, "--cluster-name is required", nil},
		{"bad output", tok, `--output "yaml"`, []string{"-i", "prod", "-o", "yaml"}},
		{"unknown flag", tok, "unknown flag", []string{"-i", "prod", "--bogus"}},
		{"positional token", "", "takes no arguments", []string{"-i", "prod", tok}},
		{"empty stdin", "  \n", "no token", []string{"-i", "prod"}},
		{"ExecCredential without token", `{"status":{}}`, "no token", []string{"-i", "prod"}},
		{"broken JSON", `{"status":`, "not an ExecCredential", []string{"-i", "prod"}},
		{"unknown partition", tok, "Partition: unknown partition", []string{"-i", "prod", "--partition", "aws-moon"}},
		{"bad endpoint", tok, "Endpoint:", []string{"-i", "prod", "--sts-endpoint", "127.0.0.1:4566"}},
		{"oversized stdin", strings.Repeat("a", maxVerifyInput+1), "longer than", []string{"-i", "prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runVerifyCmd(t, tt.stdin, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errOut)
			}
			if tt.name != "positional token" {
				assertNoToken(t, tok, out, errOut)
			}
		})
	}
}

func TestVerifyCommandHelp(t *testing.T) {
	out, _, code := runVerifyCmd(t, "", "--help")
	if code != 0 || !strings.Contains(out, "Exit status: 0 verified, 1 refused") || !strings.Contains(out, "aws eks get-token --cluster-name prod | kubeiam verify -i prod") {
		t.Errorf("help (exit %d):\n%s", code, out)
	}
}
