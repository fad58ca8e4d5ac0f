package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
)

// nxdomainServer is a DNS server on loopback UDP that answers every query
// "no such name" (RCODE 3, RFC 1035 section 4.1.1), and counts them. It
// lets a test resolve a .invalid name (RFC 6761 section 6.4) through the
// real Go resolver without any DNS server of the network.
func nxdomainServer(t *testing.T) (*net.Resolver, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var queries atomic.Int64
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := nxdomain(buf[:n]); resp != nil {
				queries.Add(1)
				_, _ = pc.WriteTo(resp, addr)
			}
		}
	}()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
	return r, &queries
}

// nxdomain answers query: its ID and question, QR and RA set, RCODE 3.
func nxdomain(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	end := 12
	for end < len(q) && q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5 // the root label, QTYPE, QCLASS
	if end > len(q) {
		return nil
	}
	resp := append([]byte(nil), q[:end]...)
	resp[2] = 0x80 | q[2]&0x79 // QR, the query's opcode and RD
	resp[3] = 0x80 | 3         // RA, NXDOMAIN
	resp[4], resp[5] = 0, 1    // one question
	for i := 6; i < 12; i++ {  // no answer, authority or additional records
		resp[i] = 0
	}
	return resp
}

// stsErrorServer answers every request with an STS error, as STS does
// (query protocol, HTTP 403), with a Date header offset from now.
func stsErrorServer(t *testing.T, code, message string, dateOffset time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", time.Now().Add(dateOffset).UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>0</RequestId></ErrorResponse>`, code, message)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// listener starts a TCP listener on loopback that hands every connection
// to handle.
func listener(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestDoctorClassifiesSTSFailures breaks the way to STS, or STS's verdict,
// in each way doctor tells apart, with real servers on loopback, and checks
// that each is named with its own fix, never another's.
func TestDoctorClassifiesSTSFailures(t *testing.T) {
	resolver, dnsQueries := nxdomainServer(t)
	closedPort := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close()
		return url
	}
	hangs := make(chan struct{})
	t.Cleanup(func() { close(hangs) })
	tests := []struct {
		name     string
		endpoint func(t *testing.T) string
		// profile is the plugin's profile; creator by default.
		profile string
		want    []string
		// notWant guards against the old misdiagnosis.
		notWant []string
	}{
		{name: "an unresolvable host name is a DNS failure",
			endpoint: func(*testing.T) string { return "https://sts.kubeiam.invalid" },
			want:     []string{"UNREACHABLE", "(DNS)", "sts.kubeiam.invalid does not resolve", "were not checked", "getent hosts sts.kubeiam.invalid"}},
		{name: "a closed port is a TCP failure", endpoint: closedPort,
			want: []string{"UNREACHABLE", "(TCP)", "connection refused", "curl -sv http://127.0.0.1:"}},
		{name: "a listener that closes the connection is a TCP failure",
			endpoint: func(t *testing.T) string { return listener(t, func(c net.Conn) { c.Close() }) },
			want:     []string{"UNREACHABLE", "(TCP)", "the connection was closed before STS answered"}},
		{name: "a certificate of an unknown CA is a TLS failure",
			endpoint: func(t *testing.T) string {
				srv := httptest.NewTLSServer(http.NotFoundHandler())
				t.Cleanup(srv.Close)
				return srv.URL
			},
			want: []string{"UNREACHABLE", "(TLS)", "certificate is not trusted", "unknown authority", "AWS_CA_BUNDLE"}},
		{name: "a server that never answers is a timeout",
			endpoint: func(t *testing.T) string { return listener(t, func(c net.Conn) { <-hangs; c.Close() }) },
			want:     []string{"UNREACHABLE", "(timeout)", "no answer in time", "HTTPS_PROXY"}},
		{name: "an unknown access key is refused",
			endpoint: func(t *testing.T) string {
				return stsErrorServer(t, "InvalidClientTokenId", "The security token included in the request is invalid.", 0)
			},
			want: []string{"CREDENTIALS_REFUSED", "InvalidClientTokenId", `profile "creator" (--profile, static keys)`, "aws configure --profile creator"}},
		{name: "an expired session is expired",
			endpoint: func(t *testing.T) string {
				return stsErrorServer(t, "ExpiredToken", "The security token included in the request is expired", 0)
			},
			want: []string{"CREDENTIALS_EXPIRED", "ExpiredToken", "aws_session_token", "aws configure --profile creator"}},
		{name: "a signature refused by a server whose clock is 10 minutes behind is clock skew",
			endpoint: func(t *testing.T) string {
				return stsErrorServer(t, "SignatureDoesNotMatch", "Signature not yet current: 20261201T101000Z is still later than 20261201T100500Z", -10*time.Minute)
			},
			want: []string{"CLOCK_SKEW", "clock is 10m", "timedatectl set-ntp true"}, notWant: []string{"aws configure"}},
		{name: "a wrong secret key is refused by the real local STS",
			endpoint: func(*testing.T) string { return "" }, profile: "badsecret",
			want: []string{"CREDENTIALS_REFUSED", "SignatureDoesNotMatch", `profile "badsecret"`, "aws configure --profile badsecret"}},
		{name: "an SSO profile never logged in is expired, fixed by aws sso login",
			endpoint: func(*testing.T) string { return "" }, profile: "sso",
			want: []string{"CREDENTIALS_EXPIRED", "IAM Identity Center (SSO)", "aws sso login --profile sso"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The SSO provider reads its token cache under the process's HOME.
			t.Setenv("HOME", t.TempDir())
			e := newDiagEnv(t, "CONFIG_MAP", nil)
			e.addProfiles(t)
			profile := tt.profile
			if profile == "" {
				profile = "creator"
			}
			e.kubeconfig(t, "kubeiam", "token", "-i", authntest.ClusterID, "--profile", profile)
			d := doctorDeps{diagDeps: e.deps(time.Now), lookPath: diagLookPath, resolver: resolver, stsTimeout: 2 * time.Second}
			endpoint := tt.endpoint(t)
			if endpoint == "" {
				endpoint = e.sts.URL
			}
			_, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d), "--cluster-id", authntest.ClusterID, "--sts-endpoint", endpoint, "--server", e.server)
			out := e.out.String()
			if code != 1 || !strings.Contains(out, "FAIL  credentials") {
				t.Fatalf("exit %d, want 1 with the credentials link broken:\n%s%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range append(tt.notWant, "STS refuses the credentials from profile \"creator\": operation error") {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	if dnsQueries.Load() == 0 {
		t.Error("the loopback DNS server got no query: the resolver hook is not used")
	}
}

// addProfiles adds a profile with a wrong secret key and an IAM Identity
// Center profile (legacy form: no sso-session, so no token refresh).
func (e *diagEnv) addProfiles(t *testing.T) {
	t.Helper()
	creds := readFile(t, filepath.Join(e.dir, "credentials"))
	akid := strings.Fields(strings.SplitN(strings.SplitN(creds, "aws_access_key_id = ", 2)[1], "\n", 2)[0])[0]
	writeDiagFile(t, filepath.Join(e.dir, "credentials"), creds+
		"[badsecret]\naws_access_key_id = "+akid+"\naws_secret_access_key = wrongwrongwrongwrongwrongwrongwrongwrong\n")
	cfg := readFile(t, filepath.Join(e.dir, "config"))
	writeDiagFile(t, filepath.Join(e.dir, "config"), cfg+"[profile badsecret]\nregion = us-east-1\n"+
		"[profile sso]\nregion = us-east-1\nsso_start_url = https://kubeiam-test.awsapps.invalid/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Dev\n")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
