package token_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// seedURLs are real presigned URLs and near misses to start the fuzzers from.
func seedURLs(f *testing.F) []string {
	global := presign(f, tokentest.Options{})
	return []string{
		global,
		presign(f, tokentest.Options{Host: "sts.eu-west-1.amazonaws.com", Region: "eu-west-1", SessionToken: "FwoGZXIvYXdzE/+=="}),
		presign(f, tokentest.Options{Host: "sts-fips.us-west-2.api.aws", Region: "us-west-2"}),
		strings.Replace(global, "Action=", "action=AssumeRole&Action=", 1),
		strings.Replace(global, "https://", "https://u@", 1),
		strings.Replace(global, ".com/", ".com:443/", 1),
		global + "#",
		"https://sts.amazonaws.com/",
	}
}

// checkAccepted re-validates an accepted token and checks what must hold of
// every Request Validate returns.
func checkAccepted(t *testing.T, v token.Validator, tok string, r token.Request) {
	t.Helper()
	again, err := v.Validate(tok)
	if err != nil {
		t.Fatalf("accepted once, then refused: %v", err)
	}
	if !reflect.DeepEqual(r, again) {
		t.Fatalf("Validate is not deterministic:\n%+v\n%+v", r, again)
	}
	if r.URL.Scheme != "https" || r.URL.Host != r.Endpoint.Host || r.URL.Path != "/" || r.URL.User != nil || r.URL.Fragment != "" {
		t.Fatalf("accepted URL %s", r.URL)
	}
	if _, err := lookup(t, "aws").ParseSTSHost(r.Endpoint.Host); err != nil {
		t.Fatalf("accepted host %q: %v", r.Endpoint.Host, err)
	}
	if r.Region != r.Endpoint.Region || r.AccessKeyID == "" {
		t.Fatalf("accepted region %q for %+v, access key %q", r.Region, r.Endpoint, r.AccessKeyID)
	}
	if age := now.Sub(r.SignedAt); age > token.ServerValidity || -age > token.MaxClockSkew {
		t.Fatalf("accepted a token signed at %s", r.SignedAt)
	}
	if r.ExpiresIn < 0 || r.ExpiresIn > token.MaxExpires*time.Second {
		t.Fatalf("accepted X-Amz-Expires %s", r.ExpiresIn)
	}
	q := r.URL.Query()
	for name, vs := range q {
		if len(vs) != 1 {
			t.Fatalf("accepted multi-valued %q", name)
		}
		for other := range q {
			if other != name && strings.EqualFold(other, name) {
				t.Fatalf("accepted %q next to %q", name, other)
			}
		}
	}
	if q.Get("Action") != "GetCallerIdentity" {
		t.Fatalf("accepted action %q", q.Get("Action"))
	}
}

func checkRefused(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, token.ErrInvalidToken) {
		t.Fatalf("error %v does not satisfy ErrInvalidToken", err)
	}
}

// FuzzValidate feeds arbitrary tokens.
func FuzzValidate(f *testing.F) {
	for _, u := range seedURLs(f) {
		f.Add(token.Encode(u))
	}
	f.Add("k8s-aws-v1.")
	f.Add("")
	v := validator(f, "aws")
	f.Fuzz(func(t *testing.T, tok string) {
		r, err := v.Validate(tok)
		if err != nil {
			checkRefused(t, err)
			return
		}
		checkAccepted(t, v, tok, r)
	})
}

// FuzzValidateURL feeds arbitrary URL text, which reaches the URL and query
// checks far more often than random base64 does.
func FuzzValidateURL(f *testing.F) {
	for _, u := range seedURLs(f) {
		f.Add(u)
	}
	v := validator(f, "aws")
	f.Fuzz(func(t *testing.T, u string) {
		tok := token.Encode(u)
		r, err := v.Validate(tok)
		if err != nil {
			if u != "" && len(tok) <= token.MaxLength && errors.Is(err, token.ErrEncoding) {
				t.Fatalf("Encode output refused as badly encoded: %v", err)
			}
			checkRefused(t, err)
			return
		}
		if r.URL.String() != u {
			t.Fatalf("accepted URL %q re-serialises as %q", u, r.URL)
		}
		checkAccepted(t, v, tok, r)
	})
}

func BenchmarkValidate(b *testing.B) {
	// A session token of realistic size makes the token about 1.8 KB, like
	// one minted from SSO or an assumed role.
	tok := tokentest.Token(b, tokentest.Options{
		Host: "sts.eu-west-1.amazonaws.com", Region: "eu-west-1", SignedAt: signedAt,
		AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "s",
		SessionToken: strings.Repeat("IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQ", 16),
	})
	v := validator(b, "aws")
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(tok); err != nil {
			b.Fatal(err)
		}
	}
}
