package localsts

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

var epoch = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

const devRoleARN = "arn:aws:iam::111122223333:role/admin"

func TestGetCallerIdentitySigned(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	creator, developer := f.key(DevCreatorUser), f.key(DevDeveloperUser)
	wrongSecret := creds(creator)
	wrongSecret.SecretAccessKey = developer.SecretAccessKey
	unknown := creds(creator)
	unknown.AccessKeyID = "AKIAUNKNOWNUNKNOWN00"
	withToken := creds(creator)
	withToken.SessionToken = "not-for-long-term-keys"
	tests := []struct {
		name     string
		creds    aws.Credentials
		signedAt time.Time
		wantCode string
		wantARN  string
	}{
		{"creator", creds(creator), epoch, "", "arn:aws:iam::111122223333:user/creator"},
		{"developer", creds(developer), epoch, "", "arn:aws:iam::111122223333:user/developer"},
		{"clock skew within 15 minutes", creds(creator), epoch.Add(-14 * time.Minute), "", "arn:aws:iam::111122223333:user/creator"},
		{"wrong secret", wrongSecret, epoch, CodeSignatureDoesNotMatch, ""},
		{"unknown key", unknown, epoch, CodeInvalidClientTokenID, ""},
		{"session token with a long-term key", withToken, epoch, CodeInvalidClientTokenID, ""},
		{"signed 16 minutes ago", creds(creator), epoch.Add(-16 * time.Minute), CodeSignatureDoesNotMatch, ""},
		{"signed 16 minutes ahead", creds(creator), epoch.Add(16 * time.Minute), CodeSignatureDoesNotMatch, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.call(t, tt.creds, gci(), tt.signedAt)
			if got := errorCode(body); got != tt.wantCode {
				t.Fatalf("error code = %q, want %q (status %d, body %v)", got, tt.wantCode, status, body)
			}
			if tt.wantCode == "" && callerARN(body) != tt.wantARN {
				t.Errorf("Arn = %q, want %q", callerARN(body), tt.wantARN)
			}
			if tt.wantCode != "" && status != http.StatusForbidden {
				t.Errorf("status = %d, want 403", status)
			}
		})
	}
}

func TestGetCallerIdentityPresigned(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	k := f.key(DevDeveloperUser)
	base := tokentest.Options{Host: "sts.us-east-1.amazonaws.com", ClusterID: "demo",
		AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SignedAt: epoch}
	tests := []struct {
		name      string
		mutate    func(*tokentest.Options)
		clusterID string
		wantCode  string
	}{
		{"regional host", func(*tokentest.Options) {}, "demo", ""},
		{"global host", func(o *tokentest.Options) { o.Host = "sts.amazonaws.com" }, "demo", ""},
		{"other region", func(o *tokentest.Options) { o.Host, o.Region = "sts.eu-west-1.amazonaws.com", "eu-west-1" }, "demo", ""},
		{"signed 50 seconds ago", func(o *tokentest.Options) { o.SignedAt = epoch.Add(-50 * time.Second) }, "demo", ""},
		{"other cluster header", func(*tokentest.Options) {}, "other", CodeSignatureDoesNotMatch},
		{"past X-Amz-Expires, within 15 minutes", func(o *tokentest.Options) { o.SignedAt = epoch.Add(-14 * time.Minute) }, "demo", ""},
		// aws-iam-authenticator before v0.6.28 signs X-Amz-Expires=0 (its PR
		// #753); STS ignores the value and EKS accepts those tokens.
		{"X-Amz-Expires=0", func(o *tokentest.Options) { o.ZeroExpires = true }, "demo", ""},
		{"X-Amz-Expires=0, signed 14 minutes ago", func(o *tokentest.Options) {
			o.ZeroExpires, o.SignedAt = true, epoch.Add(-14*time.Minute)
		}, "demo", ""},
		{"X-Amz-Expires=0, signed 15 minutes and 1 second ago", func(o *tokentest.Options) {
			o.ZeroExpires, o.SignedAt = true, epoch.Add(-15*time.Minute-time.Second)
		}, "demo", CodeSignatureDoesNotMatch},
		{"signed 15 minutes and 1 second ago", func(o *tokentest.Options) { o.SignedAt = epoch.Add(-15*time.Minute - time.Second) }, "demo", CodeSignatureDoesNotMatch},
		{"region not the host's", func(o *tokentest.Options) { o.Region = "us-west-2" }, "demo", CodeSignatureDoesNotMatch},
		{"region of no partition", func(o *tokentest.Options) { o.Host, o.Region = "127.0.0.1", "moon-1" }, "demo", CodeSignatureDoesNotMatch},
		{"wrong secret", func(o *tokentest.Options) { o.SecretAccessKey = strings.Repeat("x", 40) }, "demo", CodeSignatureDoesNotMatch},
		{"unknown key", func(o *tokentest.Options) { o.AccessKeyID = "AKIAIOSFODNN7EXAMPLE" }, "demo", CodeInvalidClientTokenID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.mutate(&o)
			_, body := f.sendPresigned(t, tokentest.PresignURL(t, o), tt.clusterID)
			if got := errorCode(body); got != tt.wantCode {
				t.Fatalf("error code = %q, want %q (body %v)", got, tt.wantCode, body)
			}
			if tt.wantCode == "" && callerARN(body) != "arn:aws:iam::111122223333:user/developer" {
				t.Errorf("Arn = %q", callerARN(body))
			}
		})
	}
}

func TestAssumeRole(t *testing.T) {
	clock := testutil.NewClock(epoch)
	f := start(t, clock)
	developer, creator := creds(f.key(DevDeveloperUser)), creds(f.key(DevCreatorUser))
	sso := "arn:aws:iam::111122223333:role" + DevSSORolePath + DevSSORole
	assume := func(role, session string, extra url.Values) url.Values {
		v := url.Values{"Action": {"AssumeRole"}, "Version": {APIVersion}, "RoleArn": {role}, "RoleSessionName": {session}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	tests := []struct {
		name     string
		creds    aws.Credentials
		form     url.Values
		wantCode string
		wantARN  string
	}{
		{"developer assumes admin", developer, assume(devRoleARN, "alice", nil), "", "arn:aws:sts::111122223333:assumed-role/admin/alice"},
		{"role ARN case and path do not matter", developer, assume("arn:aws:iam::111122223333:role/x/ADMIN", "s1", nil), "", "arn:aws:sts::111122223333:assumed-role/admin/s1"},
		{"developer assumes the SSO role", developer, assume(sso, "alice@example.com", url.Values{"ExternalId": {"ext-1"}}), "", "arn:aws:sts::111122223333:assumed-role/" + DevSSORole + "/alice@example.com"},
		{"creator is not trusted by the SSO role", creator, assume(sso, "bob", nil), CodeAccessDenied, ""},
		{"no such role", developer, assume("arn:aws:iam::111122223333:role/nope", "s1", nil), CodeAccessDenied, ""},
		{"other account", developer, assume("arn:aws:iam::444455556666:role/admin", "s1", nil), CodeAccessDenied, ""},
		{"not a role ARN", developer, assume("arn:aws:iam::111122223333:user/developer", "s1", nil), CodeValidationError, ""},
		{"session name too short", developer, assume(devRoleARN, "a", nil), CodeValidationError, ""},
		{"session name with a space", developer, assume(devRoleARN, "a b", nil), CodeValidationError, ""},
		{"duration too short", developer, assume(devRoleARN, "s1", url.Values{"DurationSeconds": {"899"}}), CodeValidationError, ""},
		{"duration too long", developer, assume(devRoleARN, "s1", url.Values{"DurationSeconds": {"43201"}}), CodeValidationError, ""},
		{"duration not a number", developer, assume(devRoleARN, "s1", url.Values{"DurationSeconds": {"1h"}}), CodeInvalidParameterValue, ""},
		{"no role ARN", developer, url.Values{"Action": {"AssumeRole"}, "Version": {APIVersion}, "RoleSessionName": {"s"}}, CodeMissingParameter, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := f.call(t, tt.creds, tt.form, clock.Now())
			if got := errorCode(body); got != tt.wantCode {
				t.Fatalf("error code = %q, want %q (body %v)", got, tt.wantCode, body)
			}
			if tt.wantCode != "" {
				return
			}
			result := []string{"AssumeRoleResponse", "AssumeRoleResult"}
			if got := lookup(body, append(result, "AssumedRoleUser", "Arn")...); got != tt.wantARN {
				t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, tt.wantARN)
			}
			sc := assumedCreds(body)
			if !strings.HasPrefix(sc.AccessKeyID, "ASIA") || len(sc.AccessKeyID) != 20 || len(sc.SecretAccessKey) != 40 || sc.SessionToken == "" {
				t.Fatalf("credentials look wrong: key %q, secret length %d", sc.AccessKeyID, len(sc.SecretAccessKey))
			}
			_, who := f.call(t, sc, gci(), clock.Now())
			if callerARN(who) != tt.wantARN {
				t.Errorf("GetCallerIdentity with the session = %v, want %q", who, tt.wantARN)
			}
			roleID := lookup(body, append(result, "AssumedRoleUser", "AssumedRoleId")...)
			if uid := lookup(who, "GetCallerIdentityResponse", "GetCallerIdentityResult", "UserId"); uid != roleID || !strings.HasPrefix(uid, "AROA") {
				t.Errorf("UserId = %q, AssumedRoleId = %q; want equal, AROA...", uid, roleID)
			}
		})
	}
}

func TestAssumeRoleSessionLifecycle(t *testing.T) {
	clock := testutil.NewClock(epoch)
	f := start(t, clock)
	developer := creds(f.key(DevDeveloperUser))
	form := url.Values{"Action": {"AssumeRole"}, "Version": {APIVersion}, "RoleArn": {devRoleARN},
		"RoleSessionName": {"s1"}, "DurationSeconds": {"900"}}
	_, body := f.call(t, developer, form, clock.Now())
	sc := assumedCreds(body)
	if sc.SessionToken == "" {
		t.Fatalf("AssumeRole failed: %v", body)
	}

	t.Run("the same role ID every time", func(t *testing.T) {
		_, again := f.call(t, developer, form, clock.Now())
		a := lookup(body, "AssumeRoleResponse", "AssumeRoleResult", "AssumedRoleUser", "AssumedRoleId")
		b := lookup(again, "AssumeRoleResponse", "AssumeRoleResult", "AssumedRoleUser", "AssumedRoleId")
		if a != b || a == "" {
			t.Errorf("role IDs %q and %q differ", a, b)
		}
	})
	t.Run("missing session token", func(t *testing.T) {
		noToken := sc
		noToken.SessionToken = ""
		if _, got := f.call(t, noToken, gci(), clock.Now()); errorCode(got) != CodeInvalidClientTokenID {
			t.Errorf("got %v, want InvalidClientTokenId", got)
		}
	})
	t.Run("wrong session token", func(t *testing.T) {
		bad := sc
		bad.SessionToken = sc.SessionToken[:len(sc.SessionToken)-4] + "AAAA"
		if _, got := f.call(t, bad, gci(), clock.Now()); errorCode(got) != CodeInvalidClientTokenID {
			t.Errorf("got %v, want InvalidClientTokenId", got)
		}
	})
	t.Run("role chaining is limited to one hour", func(t *testing.T) {
		chained := url.Values{"Action": {"AssumeRole"}, "Version": {APIVersion}, "RoleArn": {devRoleARN},
			"RoleSessionName": {"s2"}, "DurationSeconds": {"3601"}}
		if _, got := f.call(t, sc, chained, clock.Now()); errorCode(got) != CodeValidationError {
			t.Errorf("got %v, want ValidationError", got)
		}
	})
	t.Run("Identity helper", func(t *testing.T) {
		id, err := f.srv.Identity(sc.AccessKeyID)
		if err != nil || id.ARN != "arn:aws:sts::111122223333:assumed-role/admin/s1" || id.CanonicalARN != devRoleARN {
			t.Errorf("Identity = %+v, %v", id, err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		clock.Advance(15 * time.Minute)
		if _, got := f.call(t, sc, gci(), clock.Now()); errorCode(got) != CodeExpiredToken {
			t.Errorf("got %v, want ExpiredToken", got)
		}
		if _, err := f.srv.Identity(sc.AccessKeyID); !errors.Is(err, &APIError{Code: CodeExpiredToken}) {
			t.Errorf("Identity error = %v, want ExpiredToken", err)
		}
	})
}

func TestSessionsAreBounded(t *testing.T) {
	clock := testutil.NewClock(epoch)
	srv, err := New(DevConfig(seeded(1)), Options{Now: clock.Now, Rand: seeded(3), MaxSessions: 3})
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for i := range 5 {
		c := &caller{accessKeyID: "ASIA" + strings.Repeat(string(rune('A'+i)), 16), expires: epoch.Add(time.Hour)}
		if i == 0 {
			first = c.accessKeyID
		}
		srv.dir.addSession(c, clock.Now())
	}
	if n := srv.dir.sessionCount(); n != 3 {
		t.Errorf("sessions = %d, want 3", n)
	}
	if _, err := srv.Identity(first); !errors.Is(err, &APIError{Code: CodeInvalidClientTokenID}) {
		t.Errorf("oldest session still known: %v", err)
	}
}

func TestBadRequests(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	developer := creds(f.key(DevDeveloperUser))
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantCode   string
	}{
		{"no action", url.Values{"Version": {APIVersion}}, http.StatusBadRequest, CodeMissingParameter},
		{"unknown action", url.Values{"Action": {"GetSessionToken2"}, "Version": {APIVersion}}, http.StatusBadRequest, CodeInvalidAction},
		{"wrong version", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2010-01-01"}}, http.StatusBadRequest, CodeInvalidAction},
		{"no version", url.Values{"Action": {"GetCallerIdentity"}}, http.StatusBadRequest, CodeMissingParameter},
		{"action twice", url.Values{"Action": {"GetCallerIdentity", "AssumeRole"}, "Version": {APIVersion}}, http.StatusBadRequest, CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.call(t, developer, tt.form, epoch)
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Errorf("got %d %v, want %d %s", status, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestUnsignedAndMalformedRequests(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		body       string
		wantStatus int
		wantCode   string
	}{
		{"no authentication", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", nil, "", http.StatusForbidden, CodeMissingAuthenticationToken},
		{"other algorithm", "POST", "/", http.Header{"Authorization": {"AWS4-ECDSA-P256-SHA256 Credential=x"}}, "", http.StatusBadRequest, CodeIncompleteSignature},
		{"header without signature", "POST", "/", http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIA/20250314/us-east-1/sts/aws4_request, SignedHeaders=host"}, "X-Amz-Date": {"20250314T150926Z"}}, "", http.StatusBadRequest, CodeIncompleteSignature},
		{"both header and query", "GET", "/?X-Amz-Signature=00", http.Header{"Authorization": {"AWS4-HMAC-SHA256 x"}}, "", http.StatusBadRequest, CodeInvalidParameterCombination},
		{"other path", "GET", "/foo", nil, "", http.StatusNotFound, CodeInvalidAction},
		{"PUT", "PUT", "/", nil, "", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{"body too large", "POST", "/", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.Repeat("a", MaxBodyBytes+1), http.StatusRequestEntityTooLarge, CodeRequestEntityTooLarge},
		{"JSON body", "POST", "/", http.Header{"Content-Type": {"application/json"}}, "{}", http.StatusBadRequest, CodeInvalidParameterValue},
		{"query with a semicolon", "GET", "/?a=1;b=2", nil, "", http.StatusBadRequest, CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.http.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range tt.header {
				req.Header[k] = vs
			}
			req.Header.Set("Accept", "application/json")
			status, body := do(t, req)
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Errorf("got %d %v, want %d %s", status, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestXMLRendering(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	req, err := http.NewRequest(http.MethodGet, f.http.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	want := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error><RequestId>`
	if !strings.HasPrefix(string(b), want) || resp.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("body = %s (Content-Type %q), want prefix %s", b, resp.Header.Get("Content-Type"), want)
	}
	if id := resp.Header.Get("X-Amzn-Requestid"); id == "" || !strings.Contains(string(b), "<RequestId>"+id+"</RequestId>") {
		t.Errorf("request ID header %q not in body %s", id, b)
	}
}
