package sts

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

func TestVerifySuccess(t *testing.T) {
	tests := []struct {
		name   string
		answer http.HandlerFunc
	}{
		{"json", respond(200, "application/json", jsonAnswer)},
		{"xml", respond(200, "text/xml", xmlAnswer)},
		{"xml despite accept", respond(200, "", "\n"+xmlAnswer)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSTS(t, tt.answer)
			v := newTestVerifier(t, f, nil)
			tok := mint(t, tokentest.Options{Host: "sts.eu-west-1.amazonaws.com", Region: "eu-west-1"})
			id, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.ARN != callerARN || id.CanonicalARN != "arn:aws:iam::111122223333:role/Admin" ||
				id.AccountID != "111122223333" || id.UserID != "AROAEXAMPLEID:alice" ||
				id.SessionName != "alice" || id.AccessKeyID != tokentest.AccessKeyID || id.Principal.Kind != arn.KindAssumedRole {
				t.Errorf("identity = %+v", id)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("STS got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			// The override endpoint receives the request, but with the
			// signed AWS host and the server's own cluster ID.
			if r.Method != "GET" || r.Host != "sts.eu-west-1.amazonaws.com" || r.Path != "/" ||
				r.ClusterID != serverCluster || r.Accept != "application/json" {
				t.Errorf("STS saw %+v", r)
			}
			req, _ := v.Validate(tok)
			if r.RawQuery != req.URL.RawQuery {
				t.Errorf("query sent = %q, want the presigned query unchanged %q", r.RawQuery, req.URL.RawQuery)
			}
		})
	}
}

func TestVerifySendsServerClusterID(t *testing.T) {
	f := newFakeSTS(t, respond(403, "text/xml", `<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>`))
	v := newTestVerifier(t, f, nil)
	// Minted for another cluster: the header we send is ours, so real STS
	// would find the signature wrong.
	_, err := v.Verify(context.Background(), mint(t, tokentest.Options{ClusterID: "other-cluster"}))
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("error = %v, want ErrRejected", err)
	}
	if got := f.requests()[0].ClusterID; got != serverCluster {
		t.Errorf("x-k8s-aws-id sent = %q, want %q", got, serverCluster)
	}
}

func TestVerifyErrors(t *testing.T) {
	tests := []struct {
		name     string
		answer   http.HandlerFunc
		class    error
		outcome  string
		code     string // STSError.Code; "-" when no STSError is expected
		contains string
	}{
		{"xml signature mismatch", respond(403, "text/xml", `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>Signature expired: 20250102T030405Z is now earlier than 20250102T031005Z</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`),
			ErrRejected, "rejected", "SignatureDoesNotMatch", "sts getCallerIdentity failed: SignatureDoesNotMatch: Signature expired"},
		{"json invalid client token", respond(403, "application/json", `{"Error":{"Code":"InvalidClientTokenId","Message":"The security token included in the request is invalid.","Type":"Sender"},"RequestId":"r-3"}`),
			ErrRejected, "rejected", "InvalidClientTokenId", "sts getCallerIdentity failed: InvalidClientTokenId: The security token"},
		{"json __type expired token", respond(400, "application/x-amz-json-1.1", `{"__type":"com.amazonaws.sts#ExpiredTokenException","message":"The security token included in the request is expired"}`),
			ErrRejected, "rejected", "ExpiredTokenException", "ExpiredTokenException: The security token included in the request is expired"},
		{"json __type with suffix", respond(403, "application/json", `{"__type":"AccessDenied:http://internal.amazon.com/coral/com.amazon.coral.service/","Message":"denied"}`),
			ErrRejected, "rejected", "AccessDenied", "AccessDenied: denied"},
		{"query error header", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("x-amzn-query-error", "InvalidClientTokenId;Sender")
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.sts#InvalidClientTokenIdException","message":"invalid"}`))
		}, ErrRejected, "rejected", "InvalidClientTokenId", "InvalidClientTokenId: invalid"},
		{"429", respond(429, "", ""), ErrThrottled, "throttled", "", "(HTTP 429)"},
		{"xml throttling code", respond(400, "text/xml", `<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`),
			ErrThrottled, "throttled", "Throttling", "Throttling: Rate exceeded"},
		{"json request limit", respond(400, "application/json", `{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"}}`),
			ErrThrottled, "throttled", "RequestLimitExceeded", "RequestLimitExceeded: slow down"},
		{"500", respond(500, "text/plain", "internal error"), ErrUnavailable, "unavailable", "", "(HTTP 500)"},
		{"503 xml", respond(503, "text/xml", `<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error></ErrorResponse>`),
			ErrUnavailable, "unavailable", "ServiceUnavailable", "ServiceUnavailable: try later"},
		{"unparseable error body", respond(400, "text/html", "<html>bad gateway</html>"), ErrRejected, "rejected", "", "(HTTP 400)"},
		{"control characters in message", respond(403, "application/json", `{"Error":{"Code":"AccessDenied","Message":"line1\nline2\u0000"}}`),
			ErrRejected, "rejected", "AccessDenied", "AccessDenied: line1 line2"},
		{"malformed success", respond(200, "application/json", `{"GetCallerIdentityResponse":`), ErrUnavailable, "unavailable", "-", "malformed answer"},
		{"success in no known format", respond(200, "text/plain", "hello"), ErrUnavailable, "unavailable", "-", "malformed answer"},
		{"success without ARN", respond(200, "application/json", `{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Account":"111122223333","UserId":"AIDA"}}}`),
			ErrUnavailable, "unavailable", "-", "without Arn"},
		{"inconsistent account", respond(200, "application/json", strings.Replace(jsonAnswer, `"Account":"111122223333"`, `"Account":"444455556666"`, 1)),
			ErrUnavailable, "unavailable", "-", "inconsistent answer"},
		{"not a principal", respond(200, "application/json", strings.Replace(jsonAnswer, callerARN, "arn:aws:iam::111122223333:group/Admins", 1)),
			ErrRejected, "rejected", "-", "caller cannot authenticate"},
		{"other partition", respond(200, "application/json", strings.Replace(jsonAnswer, "arn:aws:", "arn:aws-cn:", 1)),
			ErrRejected, "rejected", "-", "not in partition aws"},
		{"201", respond(201, "", ""), ErrUnavailable, "unavailable", "", "(HTTP 201)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSTS(t, tt.answer)
			v := newTestVerifier(t, f, nil)
			_, err := v.Verify(context.Background(), mint(t, tokentest.Options{}))
			if !errors.Is(err, tt.class) {
				t.Fatalf("error = %v, want class %v", err, tt.class)
			}
			if got := Classify(err); got != tt.outcome {
				t.Errorf("Classify = %q, want %q", got, tt.outcome)
			}
			if !strings.HasPrefix(err.Error(), "sts getCallerIdentity failed: ") || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error = %q, want the prefix and %q", err, tt.contains)
			}
			var se *STSError
			if tt.code == "-" {
				if errors.As(err, &se) {
					t.Errorf("unexpected STSError %+v", se)
				}
				return
			}
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("STSError = %+v, want code %q", se, tt.code)
			}
		})
	}
}

func TestVerifyRefusesRedirect(t *testing.T) {
	elsewhere := newFakeSTS(t, respond(200, "application/json", jsonAnswer))
	f := newFakeSTS(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
	})
	for name, client := range map[string]*http.Client{
		"default client": nil,
		// A caller's client that follows redirects is overridden.
		"caller's client": {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }},
	} {
		t.Run(name, func(t *testing.T) {
			v := newTestVerifier(t, f, func(c *VerifierConfig) { c.HTTPClient = client })
			_, err := v.Verify(context.Background(), mint(t, tokentest.Options{}))
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errRedirect) {
				t.Fatalf("error = %v, want ErrUnavailable and errRedirect", err)
			}
			if client != nil && client.CheckRedirect(nil, nil) != nil {
				t.Error("the caller's client was modified")
			}
		})
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}
}

func TestVerifyOversizedAnswer(t *testing.T) {
	big := strings.Replace(jsonAnswer, `"r-1"`, `"`+strings.Repeat("x", 2000)+`"`, 1)
	f := newFakeSTS(t, respond(200, "application/json", big))
	v := newTestVerifier(t, f, func(c *VerifierConfig) { c.MaxResponseBytes = 1024 })
	_, err := v.Verify(context.Background(), mint(t, tokentest.Options{}))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "longer than 1024 bytes") {
		t.Fatalf("error = %v, want ErrUnavailable for an oversized answer", err)
	}
	// The same answer fits the default limit.
	v = newTestVerifier(t, f, nil)
	if _, err := v.Verify(context.Background(), mint(t, tokentest.Options{})); err != nil {
		t.Fatalf("Verify with the default limit: %v", err)
	}
}

func TestVerifyTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFakeSTS(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before f.Close
	v := newTestVerifier(t, f, func(c *VerifierConfig) { c.Timeout = 50 * time.Millisecond })
	_, err := v.Verify(context.Background(), mint(t, tokentest.Options{}))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want ErrUnavailable wrapping context.DeadlineExceeded", err)
	}
	if Classify(err) != OutcomeUnavailable {
		t.Errorf("Classify = %q", Classify(err))
	}
}

func TestVerifyNetworkErrorHidesToken(t *testing.T) {
	f := newFakeSTS(t, respond(200, "application/json", jsonAnswer))
	v := newTestVerifier(t, f, nil)
	f.Close() // nothing listens any more
	tok := mint(t, tokentest.Options{})
	_, err := v.Verify(context.Background(), tok)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want ErrUnavailable", err)
	}
	req, _ := v.Validate(tok)
	sig := req.URL.Query().Get("X-Amz-Signature")
	if strings.Contains(err.Error(), sig) || strings.Contains(err.Error(), "X-Amz-") {
		t.Errorf("error quotes the presigned URL: %v", err)
	}
	if !strings.Contains(err.Error(), "(for sts.amazonaws.com)") {
		t.Errorf("error does not name the STS host: %v", err)
	}
}

func TestVerifyInvalidTokenMakesNoRequest(t *testing.T) {
	f := newFakeSTS(t, respond(200, "application/json", jsonAnswer))
	v := newTestVerifier(t, f, nil)
	valid := mint(t, tokentest.Options{})
	tests := []struct {
		name    string
		tok     string
		want    error
		outcome string
	}{
		{"garbage", "not a token", token.ErrPrefix, "invalid"},
		{"too old", mint(t, tokentest.Options{SignedAt: now.Add(-20 * time.Minute)}), token.ErrTooOld, "expired"},
		{"from the future", mint(t, tokentest.Options{SignedAt: now.Add(time.Hour)}), token.ErrFromFuture, "expired"},
		{"other partition", mint(t, tokentest.Options{Host: "sts.cn-north-1.amazonaws.com.cn", Region: "cn-north-1"}), token.ErrHost, "invalid"},
		{"not STS", token.Encode(strings.Replace(mustDecode(t, valid), "sts.amazonaws.com", "127.0.0.1", 1)), token.ErrHost, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.tok)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if got := Classify(err); got != tt.outcome {
				t.Errorf("Classify = %q, want %q", got, tt.outcome)
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("STS got %d requests for invalid tokens, want 0", n)
	}
}

func mustDecode(t *testing.T, tok string) string {
	t.Helper()
	u, err := token.Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestNewVerifierConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   VerifierConfig
		field string
	}{
		{"no cluster ID", VerifierConfig{}, "ClusterID"},
		{"cluster ID with space", VerifierConfig{ClusterID: "a b"}, "ClusterID"},
		{"cluster ID too long", VerifierConfig{ClusterID: strings.Repeat("a", 256)}, "ClusterID"},
		{"unknown partition", VerifierConfig{ClusterID: "c", Partition: "aws-moon"}, "Partition"},
		{"endpoint scheme", VerifierConfig{ClusterID: "c", Endpoint: "ftp://127.0.0.1"}, "Endpoint"},
		{"endpoint without host", VerifierConfig{ClusterID: "c", Endpoint: "http://"}, "Endpoint"},
		{"endpoint with path", VerifierConfig{ClusterID: "c", Endpoint: "http://127.0.0.1:4566/sts"}, "Endpoint"},
		{"endpoint with query", VerifierConfig{ClusterID: "c", Endpoint: "http://127.0.0.1:4566/?a=b"}, "Endpoint"},
		{"endpoint with userinfo", VerifierConfig{ClusterID: "c", Endpoint: "https://u:p@127.0.0.1"}, "Endpoint"},
		{"negative timeout", VerifierConfig{ClusterID: "c", Timeout: -time.Second}, "Timeout"},
		{"negative body limit", VerifierConfig{ClusterID: "c", MaxResponseBytes: -1}, "MaxResponseBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.field+":") {
				t.Fatalf("NewVerifier error = %v, want one naming %s", err, tt.field)
			}
		})
	}
}

func TestNewVerifierDefaults(t *testing.T) {
	v, err := NewVerifier(VerifierConfig{ClusterID: "c", Endpoint: "http://127.0.0.1:4566/"})
	if err != nil {
		t.Fatal(err)
	}
	if v.partition != "aws" || v.timeout != DefaultTimeout || v.maxBody != DefaultMaxResponseBytes || v.validator.Now == nil {
		t.Errorf("defaults not applied: %+v", v)
	}
	if (*v.endpoint != url.URL{Scheme: "http", Host: "127.0.0.1:4566"}) {
		t.Errorf("endpoint = %+v", v.endpoint)
	}
}

func TestClassify(t *testing.T) {
	for err, want := range map[error]string{
		nil:                                      "ok",
		token.ErrSignature:                       "invalid",
		token.ErrTooOld:                          "expired",
		&STSError{class: ErrRejected}:            "rejected",
		&STSError{class: ErrThrottled}:           "throttled",
		unavailable("x"):                         "unavailable",
		errors.New("something else"):             "unavailable",
		&callError{ErrRejected, errors.New("x")}: "rejected",
	} {
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %q, want %q", err, got, want)
		}
	}
}
