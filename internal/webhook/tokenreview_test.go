package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus/testutil"
	authnv1 "k8s.io/api/authentication/v1"
	authnv1beta1 "k8s.io/api/authentication/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// review is a TokenReview answer in a form common to v1 and v1beta1.
type review struct {
	APIVersion, Kind string
	Authenticated    bool
	Error            string
	Audiences        []string
	Username, UID    string
	Groups           []string
	Extra            map[string][]string
}

// tokenReview posts a TokenReview in apiVersion and decodes the answer
// with the k8s.io/api type of that version.
func (e *env) tokenReview(t *testing.T, apiVersion, tok string, audiences ...string) (int, http.Header, review, []byte) {
	t.Helper()
	var body []byte
	tm := metav1.TypeMeta{APIVersion: apiVersion, Kind: "TokenReview"}
	switch apiVersion {
	case authnv1.SchemeGroupVersion.String():
		body = mustJSON(t, authnv1.TokenReview{TypeMeta: tm, Spec: authnv1.TokenReviewSpec{Token: tok, Audiences: audiences}})
	case authnv1beta1.SchemeGroupVersion.String():
		body = mustJSON(t, authnv1beta1.TokenReview{TypeMeta: tm, Spec: authnv1beta1.TokenReviewSpec{Token: tok, Audiences: audiences}})
	default:
		t.Fatalf("unknown apiVersion %s", apiVersion)
	}
	status, header, raw := e.do(t, http.MethodPost, "/authenticate", body)
	if status != http.StatusOK {
		return status, header, review{}, raw
	}
	var r review
	switch apiVersion {
	case authnv1.SchemeGroupVersion.String():
		var out authnv1.TokenReview
		decodeStrict(t, raw, &out)
		s := out.Status
		r = review{APIVersion: out.APIVersion, Kind: out.Kind, Authenticated: s.Authenticated, Error: s.Error,
			Audiences: s.Audiences, Username: s.User.Username, UID: s.User.UID, Groups: s.User.Groups}
		for k, v := range s.User.Extra {
			if r.Extra == nil {
				r.Extra = map[string][]string{}
			}
			r.Extra[k] = v
		}
	default:
		var out authnv1beta1.TokenReview
		decodeStrict(t, raw, &out)
		s := out.Status
		r = review{APIVersion: out.APIVersion, Kind: out.Kind, Authenticated: s.Authenticated, Error: s.Error,
			Audiences: s.Audiences, Username: s.User.Username, UID: s.User.UID, Groups: s.User.Groups}
		for k, v := range s.User.Extra {
			if r.Extra == nil {
				r.Extra = map[string][]string{}
			}
			r.Extra[k] = v
		}
	}
	return status, header, r, raw
}

// decodeStrict decodes JSON refusing fields the type does not have.
func decodeStrict(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}

var versions = []string{authnv1.SchemeGroupVersion.String(), authnv1beta1.SchemeGroupVersion.String()}

func TestTokenReviewGrantedRoundTrip(t *testing.T) {
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			tests := []struct {
				name        string
				creds       func(t *testing.T, e *env) aws.Credentials
				username    string
				groups      []string
				arn         string
				canonical   string
				sessionName string
			}{
				{
					name:     "IAM user through its access entry",
					creds:    func(t *testing.T, e *env) aws.Credentials { return e.developer(t) },
					username: "dev-user", groups: []string{"devs"},
					arn: authntest.DeveloperARN, canonical: authntest.DeveloperARN, sessionName: "",
				},
				{
					name: "role session through aws-auth",
					creds: func(t *testing.T, e *env) aws.Credentials {
						return e.sts.AssumeRole(t, localsts.DevDeveloperUser, authntest.AdminRoleARN, "alice")
					},
					username: "admin:alice", groups: []string{"admins"},
					arn: "arn:aws:sts::111122223333:assumed-role/admin/alice", canonical: authntest.AdminRoleARN, sessionName: "alice",
				},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e := newEnv(t)
					c := tt.creds(t, e)
					tok := e.token(t, c)
					id := e.sts.Identity(t, c)
					status, header, got, raw := e.tokenReview(t, version, tok, "https://kubernetes.default.svc")
					if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
						t.Fatalf("HTTP %d %s: %s", status, header.Get("Content-Type"), raw)
					}
					wantUID := "kubeiam:111122223333:" + id.UserID
					want := review{
						// No audiences: the token is proven for the API
						// server only (see TestTokenReviewAudiences).
						APIVersion: version, Kind: "TokenReview", Authenticated: true,
						Username: tt.username, UID: wantUID, Groups: tt.groups,
						Extra: map[string][]string{
							webhook.ExtraARN:          {tt.arn},
							webhook.ExtraCanonicalARN: {tt.canonical},
							webhook.ExtraSessionName:  {tt.sessionName},
							webhook.ExtraAccessKeyID:  {c.AccessKeyID},
							webhook.ExtraPrincipalID:  {id.UserID},
							webhook.ExtraBinding: {e.binder.Sign(webhook.Subject{Username: tt.username, UID: wantUID, Groups: tt.groups,
								ARN: tt.arn, AccessKeyID: c.AccessKeyID}, e.clock.Now())},
						},
					}
					checkReview(t, got, want)
					if strings.Contains(string(raw), tok) {
						t.Error("the answer echoes the token")
					}
				})
			}
		})
	}
}

func checkReview(t *testing.T, got, want review) {
	t.Helper()
	if got.APIVersion != want.APIVersion || got.Kind != want.Kind {
		t.Errorf("answered %s %s, want %s %s", got.APIVersion, got.Kind, want.APIVersion, want.Kind)
	}
	if got.Authenticated != want.Authenticated || got.Error != want.Error {
		t.Errorf("authenticated %v error %q, want %v %q", got.Authenticated, got.Error, want.Authenticated, want.Error)
	}
	if !slices.Equal(got.Audiences, want.Audiences) {
		t.Errorf("audiences %q, want %q", got.Audiences, want.Audiences)
	}
	if got.Username != want.Username || got.UID != want.UID || !slices.Equal(got.Groups, want.Groups) {
		t.Errorf("user %q %q %q, want %q %q %q", got.Username, got.UID, got.Groups, want.Username, want.UID, want.Groups)
	}
	if len(got.Extra) != len(want.Extra) {
		t.Errorf("extra = %q, want %q", got.Extra, want.Extra)
	}
	for k, w := range want.Extra {
		if g, ok := got.Extra[k]; !ok || !slices.Equal(g, w) {
			t.Errorf("extra[%s] = %q, want %q", k, g, w)
		}
	}
}

func TestTokenReviewOutcomes(t *testing.T) {
	type want struct {
		status     int
		review     review // for 200
		plain      string // body for other statuses
		retryAfter string
		result     string // webhook_requests_total result label
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env) string // returns the token
		want  func(version string) want
	}{
		{
			name: "verified but unmapped caller: authenticated false with the reason",
			setup: func(t *testing.T, e *env) string {
				return e.token(t, e.sts.UserCredentials(t, localsts.DevCreatorUser))
			},
			want: func(v string) want {
				return want{status: 200, result: "denied",
					review: review{APIVersion: v, Kind: "TokenReview", Error: "ARN is not mapped"}}
			},
		},
		{
			name:  "malformed token: authenticated false",
			setup: func(*testing.T, *env) string { return "Bearer abc" },
			want: func(v string) want {
				return want{status: 200, result: "invalid",
					review: review{APIVersion: v, Kind: "TokenReview", Error: `token does not begin with "k8s-aws-v1."`}}
			},
		},
		{
			name: "expired token: authenticated false",
			setup: func(t *testing.T, e *env) string {
				return e.sts.TokenAt(t, e.developer(t), authntest.ClusterID, e.clock.Now().Add(-20*time.Minute))
			},
			want: func(v string) want {
				return want{status: 200, result: "expired",
					review: review{APIVersion: v, Kind: "TokenReview", Error: "token expired"}}
			},
		},
		{
			name: "STS throttling: 429 with Retry-After, not a denial",
			setup: func(t *testing.T, e *env) string {
				e.sts.Fail(http.StatusBadRequest, "Throttling", "Rate exceeded")
				return e.token(t, e.developer(t))
			},
			want: func(string) want {
				return want{status: 429, retryAfter: "1", result: "throttled",
					plain: "sts getCallerIdentity failed: throttled, retry later\n"}
			},
		},
		{
			name: "STS unavailable: 503, not a denial",
			setup: func(t *testing.T, e *env) string {
				e.sts.Fail(http.StatusBadGateway, "", "")
				return e.token(t, e.developer(t))
			},
			want: func(string) want {
				return want{status: 503, result: "unavailable", plain: "sts getCallerIdentity failed: STS unavailable\n"}
			},
		},
	}
	for _, version := range versions {
		for _, tt := range tests {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t)
				w := tt.want(version)
				status, header, got, raw := e.tokenReview(t, version, tt.setup(t, e), "aud")
				if status != w.status {
					t.Fatalf("HTTP %d, want %d: %s", status, w.status, raw)
				}
				if status == http.StatusOK {
					checkReview(t, got, w.review)
					if bytes.Contains(raw, []byte(`"uid"`)) || bytes.Contains(raw, []byte(webhook.ExtraBinding)) {
						t.Errorf("a denial carries user details: %s", raw)
					}
				} else {
					if string(raw) != w.plain || header.Get("Retry-After") != w.retryAfter {
						t.Errorf("body %q Retry-After %q, want %q %q", raw, header.Get("Retry-After"), w.plain, w.retryAfter)
					}
				}
				if n := testutil.ToFloat64(e.metrics.Requests.WithLabelValues("authenticate", w.result)); n != 1 {
					t.Errorf("webhook_requests_total{authenticate,%s} = %v, want 1", w.result, n)
				}
			})
		}
	}
}

func TestTokenReviewWithoutBinderHasNoBindingExtra(t *testing.T) {
	e := newEnv(t)
	h := &webhook.TokenReviewHandler{Auth: stubAuth{}, Metrics: e.metrics, Now: e.clock.Now}
	rec := serve(t, h, http.MethodPost, mustJSON(t, authnv1.TokenReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview"}}))
	var out authnv1.TokenReview
	decodeStrict(t, rec.Body.Bytes(), &out)
	if !out.Status.Authenticated || out.Status.User.Username != "stub" {
		t.Fatalf("answer = %+v", out.Status)
	}
	if _, ok := out.Status.User.Extra[webhook.ExtraBinding]; ok {
		t.Errorf("binding extra without a binder: %v", out.Status.User.Extra)
	}
}

// badRequest is a request a webhook must refuse with status, its body
// containing has.
type badRequest struct {
	name   string
	method string
	body   []byte
	status int
	has    string
}

// malformedBodies are bodies both webhooks must refuse.
func malformedBodies(kind, apiVersion string) []badRequest {
	valid := `{"apiVersion":"` + apiVersion + `","kind":"` + kind + `","spec":{}}`
	huge := `{"apiVersion":"` + apiVersion + `","kind":"` + kind + `","spec":{"token":"` + strings.Repeat("a", webhook.MaxBodyBytes) + `"}}`
	return []badRequest{
		{"GET", http.MethodGet, nil, http.StatusMethodNotAllowed, "method GET not allowed"},
		{"PUT with a valid body", http.MethodPut, []byte(valid), http.StatusMethodNotAllowed, "method PUT not allowed"},
		{"empty body", http.MethodPost, nil, http.StatusBadRequest, "not a JSON review object"},
		{"not JSON", http.MethodPost, []byte("token=abc"), http.StatusBadRequest, "not a JSON review object"},
		{"JSON array", http.MethodPost, []byte(`[` + valid + `]`), http.StatusBadRequest, "not a JSON review object"},
		{"truncated JSON", http.MethodPost, []byte(valid[:len(valid)-2]), http.StatusBadRequest, "not a JSON review object"},
		{"two objects", http.MethodPost, []byte(valid + valid), http.StatusBadRequest, "not a JSON review object"},
		{"trailing garbage", http.MethodPost, []byte(valid + "garbage"), http.StatusBadRequest, "not a JSON review object"},
		{"null", http.MethodPost, []byte("null"), http.StatusBadRequest, "want kind " + kind},
		{"no kind", http.MethodPost, []byte(`{"apiVersion":"` + apiVersion + `"}`), http.StatusBadRequest, `got kind ""`},
		{"wrong kind", http.MethodPost, []byte(`{"apiVersion":"` + apiVersion + `","kind":"Pod"}`), http.StatusBadRequest, `got kind "Pod"`},
		{"wrong apiVersion", http.MethodPost, []byte(`{"apiVersion":"v1","kind":"` + kind + `"}`), http.StatusBadRequest, `apiVersion "v1"`},
		{"spec of the wrong type", http.MethodPost, []byte(`{"apiVersion":"` + apiVersion + `","kind":"` + kind + `","spec":"x"}`), http.StatusBadRequest, "not a JSON review object"},
		{"body over 1 MiB", http.MethodPost, []byte(huge), http.StatusRequestEntityTooLarge, "larger than 1048576 bytes"},
		{"valid review padded past 1 MiB", http.MethodPost, []byte(valid + strings.Repeat(" ", webhook.MaxBodyBytes)), http.StatusRequestEntityTooLarge, "larger than 1048576 bytes"},
	}
}

func TestTokenReviewRefusesMalformedRequests(t *testing.T) {
	bodies := malformedBodies("TokenReview", "authentication.k8s.io/v1")
	bodies = append(bodies,
		badRequest{"token of the wrong type", http.MethodPost,
			[]byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":42}}`),
			http.StatusBadRequest, "not a JSON review object"},
		badRequest{"unknown version v2", http.MethodPost,
			[]byte(`{"apiVersion":"authentication.k8s.io/v2","kind":"TokenReview","spec":{"token":"x"}}`),
			http.StatusBadRequest, `apiVersion "authentication.k8s.io/v2"`})
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			status, header, body := e.do(t, tt.method, "/authenticate", tt.body)
			if status != tt.status || !strings.Contains(string(body), tt.has) {
				t.Errorf("HTTP %d %q, want %d containing %q", status, body, tt.status, tt.has)
			}
			if status == http.StatusMethodNotAllowed && header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", header.Get("Allow"))
			}
			if e.sts.Calls() != 0 {
				t.Errorf("a malformed review reached STS")
			}
			if n := testutil.ToFloat64(e.metrics.Requests.WithLabelValues("authenticate", "bad-request")); n != 1 {
				t.Errorf("webhook_requests_total{authenticate,bad-request} = %v, want 1", n)
			}
		})
	}
}
