package authn

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token"
)

// awsAuth maps the developer user and the admin role's sessions.
var awsAuth = map[string]string{
	"mapUsers": `
- userarn: arn:aws:iam::111122223333:user/developer
  username: developer
  groups: [devs]
`,
	"mapRoles": `
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin:{{SessionName}}
  groups: [admins, "acct-{{AccountID}}"]
`,
}

// env is the real chain: local STS on loopback, the STS verifier, the
// resolver, and a Service on one fake clock.
type env struct {
	clock   *authntest.Clock
	sts     *authntest.STS
	mapper  *authntest.Mapper
	svc     *Service
	logs    *testutil.SyncBuffer
	log     *decisionlog.Log
	metrics *metrics.Metrics
}

func newEnv(t *testing.T, cacheSize int) *env {
	t.Helper()
	e := &env{clock: authntest.NewClock(), logs: &testutil.SyncBuffer{}, log: decisionlog.New(100), metrics: metrics.New()}
	e.sts = authntest.StartSTS(t, e.clock)
	e.mapper = authntest.NewMapper(authntest.Snapshot(t, "CONFIG_MAP", awsAuth), resolve.Options{})
	svc, err := New(Config{
		Verifier: e.sts.Verifier(t, authntest.ClusterID), Mapper: e.mapper, Log: e.log, Metrics: e.metrics, ClusterID: authntest.ClusterID,
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Now: e.clock.Now, CacheSize: cacheSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) userToken(t *testing.T, user string) string {
	t.Helper()
	return e.sts.Token(t, e.sts.UserCredentials(t, user), authntest.ClusterID)
}

func (e *env) authenticate(tok string) Outcome {
	return e.svc.Authenticate(context.Background(), Request{Token: tok, Client: "10.0.0.7:41000", Method: http.MethodPost, Path: "/authenticate"})
}

func TestAuthenticate(t *testing.T) {
	type want struct {
		class, username, publicError string
		authenticated                bool
		groups                       []string
		code                         resolve.Code
		// uid is computed from the identity STS reports when true.
		uid      bool
		stsCalls int64
	}
	tests := []struct {
		name  string
		mode  string
		token func(t *testing.T, e *env) string
		want  want
	}{
		{
			name:  "IAM user mapped by mapUsers is granted",
			token: func(t *testing.T, e *env) string { return e.userToken(t, localsts.DevDeveloperUser) },
			want: want{class: "granted", authenticated: true, username: "developer", groups: []string{"devs"},
				code: resolve.CodeMapped, uid: true, stsCalls: 1},
		},
		{
			name: "role session mapped by mapRoles gets its session name and account templated",
			token: func(t *testing.T, e *env) string {
				c := e.sts.AssumeRole(t, localsts.DevDeveloperUser, authntest.AdminRoleARN, "alice@example.com")
				return e.sts.Token(t, c, authntest.ClusterID)
			},
			want: want{class: "granted", authenticated: true, username: "admin:alice-example.com",
				groups: []string{"admins", "acct-111122223333"}, code: resolve.CodeMapped, uid: true, stsCalls: 1},
		},
		{
			name:  "cluster creator is kubernetes-admin in CONFIG_MAP mode",
			token: func(t *testing.T, e *env) string { return e.userToken(t, localsts.DevCreatorUser) },
			want: want{class: "granted", authenticated: true, username: "kubernetes-admin", groups: []string{"system:masters"},
				code: resolve.CodeMapped, uid: true, stsCalls: 1},
		},
		{
			name:  "verified caller with no mapping is denied",
			mode:  "API",
			token: func(t *testing.T, e *env) string { return e.userToken(t, localsts.DevDeveloperUser) },
			want: want{class: "denied", publicError: "ARN is not mapped", code: resolve.CodeNotMapped,
				uid: true, stsCalls: 1},
		},
		{
			name:  "empty token is invalid without asking STS",
			token: func(*testing.T, *env) string { return "" },
			want:  want{class: "invalid", publicError: `token does not begin with "k8s-aws-v1."`, code: resolve.CodeInvalidToken},
		},
		{
			name:  "token outside the base64url alphabet is invalid without asking STS",
			token: func(*testing.T, *env) string { return "k8s-aws-v1.aHR0cHM6Ly9zdHM+secret" },
			want: want{class: "invalid", code: resolve.CodeInvalidToken,
				publicError: "token is not unpadded base64url: character not in the base64url alphabet at offset 26"},
		},
		{
			name: "token signed 16 minutes ago has expired without asking STS",
			token: func(t *testing.T, e *env) string {
				return e.sts.TokenAt(t, e.sts.UserCredentials(t, localsts.DevDeveloperUser), authntest.ClusterID,
					e.clock.Now().Add(-16*time.Minute))
			},
			want: want{class: "expired", publicError: "token expired", code: resolve.CodeExpiredToken},
		},
		{
			name: "token signed 6 minutes ahead is named a clock problem, not an expired token",
			token: func(t *testing.T, e *env) string {
				return e.sts.TokenAt(t, e.sts.UserCredentials(t, localsts.DevDeveloperUser), authntest.ClusterID,
					e.clock.Now().Add(6*time.Minute))
			},
			want: want{class: "expired", code: resolve.CodeExpiredToken,
				publicError: "token signed more than 5 minutes in the future: the clock of the machine that made it is ahead of this server's"},
		},
		{
			name: "token signed for another cluster is reported as a wrong cluster ID, with the command that mints the right one",
			token: func(t *testing.T, e *env) string {
				return e.sts.Token(t, e.sts.UserCredentials(t, localsts.DevDeveloperUser), "other-cluster")
			},
			want: want{class: "invalid", code: resolve.CodeWrongClusterID, stsCalls: 1,
				publicError: `token minted for another cluster ID: this cluster's ID is "` + authntest.ClusterID + `"`},
		},
		{
			// STS cannot tell a wrong secret from a wrong cluster ID: both
			// are SignatureDoesNotMatch, and the reason names both.
			name: "token signed with the wrong secret fails as a wrong cluster ID does",
			token: func(t *testing.T, e *env) string {
				c := e.sts.UserCredentials(t, localsts.DevDeveloperUser)
				c.SecretAccessKey = e.sts.UserCredentials(t, localsts.DevCreatorUser).SecretAccessKey
				return e.sts.Token(t, c, authntest.ClusterID)
			},
			want: want{class: "invalid", code: resolve.CodeWrongClusterID, stsCalls: 1,
				publicError: "token minted for another cluster ID: "},
		},
		{
			name: "STS throttling code is throttled",
			token: func(t *testing.T, e *env) string {
				e.sts.Fail(http.StatusBadRequest, "Throttling", "Rate exceeded")
				return e.userToken(t, localsts.DevDeveloperUser)
			},
			want: want{class: "throttled", code: resolve.CodeSTSThrottled, stsCalls: 1,
				publicError: "sts getCallerIdentity failed: throttled, retry later"},
		},
		{
			name: "STS HTTP 429 is throttled",
			token: func(t *testing.T, e *env) string {
				e.sts.Fail(http.StatusTooManyRequests, "", "")
				return e.userToken(t, localsts.DevDeveloperUser)
			},
			want: want{class: "throttled", code: resolve.CodeSTSThrottled, stsCalls: 1,
				publicError: "sts getCallerIdentity failed: throttled, retry later"},
		},
		{
			name: "STS HTTP 500 is unavailable",
			token: func(t *testing.T, e *env) string {
				e.sts.Fail(http.StatusInternalServerError, "InternalFailure", "oops")
				return e.userToken(t, localsts.DevDeveloperUser)
			},
			want: want{class: "unavailable", code: resolve.CodeSTSUnavailable, stsCalls: 1,
				publicError: "sts getCallerIdentity failed: STS unavailable"},
		},
		{
			name: "STS not listening is unavailable",
			token: func(t *testing.T, e *env) string {
				tok := e.userToken(t, localsts.DevDeveloperUser)
				e.sts.Close()
				return tok
			},
			want: want{class: "unavailable", code: resolve.CodeSTSUnavailable,
				publicError: "sts getCallerIdentity failed: STS unavailable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 0)
			if tt.mode != "" {
				e.mapper.Set(authntest.Snapshot(t, tt.mode, awsAuth))
			}
			tok := tt.token(t, e)
			out := e.authenticate(tok)
			w := tt.want
			if out.Class != w.class || out.Authenticated != w.authenticated || out.Result.Code != w.code {
				t.Errorf("Class, Authenticated, Code = %s, %v, %s; want %s, %v, %s (err %v)",
					out.Class, out.Authenticated, out.Result.Code, w.class, w.authenticated, w.code, out.Err)
			}
			if out.Result.Username != w.username || !slices.Equal(out.Result.Groups, w.groups) {
				t.Errorf("user = %q %q, want %q %q", out.Result.Username, out.Result.Groups, w.username, w.groups)
			}
			if !strings.HasPrefix(out.PublicError, w.publicError) || (w.publicError == "") != (out.PublicError == "") {
				t.Errorf("PublicError = %q, want prefix %q", out.PublicError, w.publicError)
			}
			if !w.authenticated && out.Result.Reason != out.PublicError {
				t.Errorf("Reason = %q, want the public error %q", out.Result.Reason, out.PublicError)
			}
			if out.TokenHash != token.Fingerprint(tok) {
				t.Errorf("TokenHash = %q, want %q", out.TokenHash, token.Fingerprint(tok))
			}
			if w.uid {
				if out.Identity == nil {
					t.Fatal("no identity")
				}
				id := e.sts.Identity(t, aws.Credentials{AccessKeyID: out.Identity.AccessKeyID})
				if wantUID := "kubeiam:" + authntest.Account + ":" + id.UserID; out.UID != wantUID || id.UserID == "" {
					t.Errorf("UID = %q, want %q", out.UID, wantUID)
				}
				if out.Identity.ARN != id.ARN {
					t.Errorf("Identity.ARN = %q, want %q", out.Identity.ARN, id.ARN)
				}
			} else if out.Identity != nil || out.UID != "" {
				t.Errorf("Identity, UID = %+v, %q for a token that was not verified", out.Identity, out.UID)
			}
			if got := e.sts.Calls(); got != w.stsCalls {
				t.Errorf("STS GetCallerIdentity requests = %d, want %d", got, w.stsCalls)
			}
		})
	}
}

// With a cache TTL as long as a token's life, the token's expiry still
// bounds the entry (see also TestCacheTTLBoundsACachedIdentity).
func TestAuthenticateCachesIdentityUntilTokenExpiry(t *testing.T) {
	e := newEnvWith(t, 15*time.Minute, RateLimit{})
	tok := e.userToken(t, localsts.DevDeveloperUser) // signed at the clock's time

	steps := []struct {
		name       string
		advance    time.Duration
		wantClass  string
		wantCached bool
		wantCalls  int64
	}{
		{"first use asks STS", 0, "granted", false, 1},
		{"second use is served from the cache", time.Minute, "granted", true, 1},
		{"a second before the token expires is still cached", 14*time.Minute - time.Second, "granted", true, 1},
		{"after the token expired the cache does not serve it", 2 * time.Second, "expired", false, 1},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		out := e.authenticate(tok)
		if out.Class != s.wantClass || out.Cached != s.wantCached || e.sts.Calls() != s.wantCalls {
			t.Errorf("%s: Class, Cached, STS calls = %s, %v, %d; want %s, %v, %d",
				s.name, out.Class, out.Cached, e.sts.Calls(), s.wantClass, s.wantCached, s.wantCalls)
		}
	}
	if got := promtestutil.ToFloat64(e.metrics.CacheLookups.WithLabelValues("hit")); got != 2 {
		t.Errorf("cache hits = %v, want 2", got)
	}
	if got := promtestutil.ToFloat64(e.metrics.CacheLookups.WithLabelValues("miss")); got != 1 {
		t.Errorf("cache misses = %v, want 1", got)
	}
	if n := e.svc.cache.len(); n != 0 {
		t.Errorf("cache holds %d entries after the only token expired, want 0", n)
	}
}

func TestAuthenticateResolvesTheMappingOnEveryRequest(t *testing.T) {
	e := newEnv(t, 0)
	tok := e.userToken(t, localsts.DevDeveloperUser)
	if out := e.authenticate(tok); out.Result.Username != "developer" {
		t.Fatalf("first authentication: %+v", out.Result)
	}

	renamed := map[string]string{"mapUsers": `
- userarn: arn:aws:iam::111122223333:user/developer
  username: developer-renamed
  groups: [others]
`}
	e.mapper.Set(authntest.Snapshot(t, "CONFIG_MAP", renamed))
	out := e.authenticate(tok)
	if !out.Cached || !out.Authenticated || out.Result.Username != "developer-renamed" || !slices.Equal(out.Result.Groups, []string{"others"}) {
		t.Errorf("after the mapping changed: Cached %v, %q %q; want a cached identity re-mapped to developer-renamed [others]",
			out.Cached, out.Result.Username, out.Result.Groups)
	}

	e.mapper.Set(authntest.Snapshot(t, "CONFIG_MAP", nil))
	out = e.authenticate(tok)
	if !out.Cached || out.Authenticated || out.Class != "denied" || out.Result.Code != resolve.CodeNotMapped {
		t.Errorf("after the mapping was removed: Cached %v, Class %s, Code %s; want a cached identity denied ARN_NOT_MAPPED",
			out.Cached, out.Class, out.Result.Code)
	}
	if e.sts.Calls() != 1 || e.mapper.Calls() != 3 {
		t.Errorf("STS calls %d, mapper calls %d; want 1 and 3", e.sts.Calls(), e.mapper.Calls())
	}
}

func TestAuthenticateCacheIsLRUBounded(t *testing.T) {
	e := newEnv(t, 2)
	c := e.sts.UserCredentials(t, localsts.DevDeveloperUser)
	now := e.clock.Now()
	// Three distinct tokens of one user: signed a second apart.
	a := e.sts.TokenAt(t, c, authntest.ClusterID, now)
	b := e.sts.TokenAt(t, c, authntest.ClusterID, now.Add(-time.Second))
	cc := e.sts.TokenAt(t, c, authntest.ClusterID, now.Add(-2*time.Second))

	steps := []struct {
		name       string
		tok        string
		wantCached bool
		wantCalls  int64
	}{
		{"a: miss", a, false, 1},
		{"b: miss", b, false, 2},
		{"a: hit, now most recently used", a, true, 2},
		{"c: miss, evicts b, the least recently used", cc, false, 3},
		{"a: still cached", a, true, 3},
		{"c: still cached", cc, true, 3},
		{"b: evicted, asks STS again", b, false, 4},
	}
	for _, s := range steps {
		out := e.authenticate(s.tok)
		if out.Class != "granted" || out.Cached != s.wantCached || e.sts.Calls() != s.wantCalls {
			t.Errorf("%s: Class %s, Cached %v, STS calls %d; want granted, %v, %d",
				s.name, out.Class, out.Cached, e.sts.Calls(), s.wantCached, s.wantCalls)
		}
		if n := e.svc.cache.len(); n > 2 {
			t.Errorf("%s: cache holds %d entries, bound is 2", s.name, n)
		}
	}
}

func TestAuthenticateFailuresAreNotCached(t *testing.T) {
	e := newEnv(t, 0)
	tok := e.userToken(t, localsts.DevDeveloperUser)
	e.sts.Fail(http.StatusServiceUnavailable, "ServiceUnavailable", "down")
	if out := e.authenticate(tok); out.Class != "unavailable" {
		t.Fatalf("Class = %s, want unavailable", out.Class)
	}
	e.sts.Fail(0, "", "")
	if out := e.authenticate(tok); out.Class != "granted" || out.Cached {
		t.Errorf("after STS recovered: Class %s, Cached %v; want granted from a fresh STS call", out.Class, out.Cached)
	}
	if e.sts.Calls() != 2 {
		t.Errorf("STS calls = %d, want 2", e.sts.Calls())
	}
}

func TestNewRequiresVerifierAndMapper(t *testing.T) {
	clock := authntest.NewClock()
	s := authntest.StartSTS(t, clock)
	m := authntest.NewMapper(nil, resolve.Options{})
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no verifier", Config{Mapper: m}},
		{"no mapper", Config{Verifier: s.Verifier(t, authntest.ClusterID)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if svc, err := New(tt.cfg); err == nil || svc != nil {
				t.Errorf("New = %v, %v; want an error", svc, err)
			}
		})
	}
}

func TestTokenHashIsTheTokenFingerprint(t *testing.T) {
	for _, tok := range []string{"", "k8s-aws-v1.abc", strings.Repeat("x", 5000)} {
		if got := TokenHash(tok); got != token.Fingerprint(tok) || len(got) != 12 {
			t.Errorf("TokenHash(%.10q) = %q, want %q", tok, got, token.Fingerprint(tok))
		}
	}
}

func TestPublicReason(t *testing.T) {
	long := strings.Repeat("a", 400)
	tests := []struct {
		name, err, want string
	}{
		{"one line kept", "sts getCallerIdentity failed: AccessDenied (HTTP 403)", "sts getCallerIdentity failed: AccessDenied (HTTP 403)"},
		{"first line only", "first line\nsecond line", "first line"},
		{"cut at 300 bytes", long, strings.Repeat("a", 300) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := publicReason(errorString(tt.err)); got != tt.want {
				t.Errorf("publicReason = %q, want %q", got, tt.want)
			}
		})
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
