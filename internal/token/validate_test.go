package token_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name      string
		partition string
		opts      tokentest.Options
		want      partition.STSEndpoint
	}{
		{"global", "aws", tokentest.Options{}, partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		{"regional", "aws", tokentest.Options{Host: "sts.eu-west-1.amazonaws.com", Region: "eu-west-1"},
			partition.STSEndpoint{Host: "sts.eu-west-1.amazonaws.com", Region: "eu-west-1"}},
		{"fips", "aws", tokentest.Options{Host: "sts-fips.us-east-2.amazonaws.com", Region: "us-east-2"},
			partition.STSEndpoint{Host: "sts-fips.us-east-2.amazonaws.com", Region: "us-east-2", FIPS: true}},
		{"dual-stack", "aws", tokentest.Options{Host: "sts.us-west-2.api.aws", Region: "us-west-2"},
			partition.STSEndpoint{Host: "sts.us-west-2.api.aws", Region: "us-west-2", DualStack: true}},
		{"china", "aws-cn", tokentest.Options{Host: "sts.cn-north-1.amazonaws.com.cn", Region: "cn-north-1"},
			partition.STSEndpoint{Host: "sts.cn-north-1.amazonaws.com.cn", Region: "cn-north-1"}},
		{"govcloud", "aws-us-gov", tokentest.Options{Host: "sts.us-gov-west-1.amazonaws.com", Region: "us-gov-west-1"},
			partition.STSEndpoint{Host: "sts.us-gov-west-1.amazonaws.com", Region: "us-gov-west-1"}},
		{"session credentials", "aws", tokentest.Options{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "s", SessionToken: "FwoGZXIvYXdzE/+==session"},
			partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		{"emulator access key", "aws", tokentest.Options{AccessKeyID: "test", SecretAccessKey: "test"},
			partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		// aws-iam-authenticator's own server accepts X-Amz-Expires from 0 to
		// 900 and expires the token 15 minutes after X-Amz-Date whatever it
		// says (pkg/token/token.go, Verify); its releases before v0.6.28 sign 0.
		{"expires 0 (aws-iam-authenticator before v0.6.28)", "aws", tokentest.Options{ZeroExpires: true},
			partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		{"expires 0, signed 15 minutes ago", "aws", tokentest.Options{ZeroExpires: true, SignedAt: now.Add(-token.ServerValidity)},
			partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		{"expires 900", "aws", tokentest.Options{Expires: 900 * time.Second}, partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		{"signed 15 minutes ago", "aws", tokentest.Options{SignedAt: now.Add(-token.ServerValidity)},
			partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
		{"signed 5 minutes ahead", "aws", tokentest.Options{SignedAt: now.Add(token.MaxClockSkew)},
			partition.STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := presign(t, tt.opts)
			r, err := validator(t, tt.partition).Validate(token.Encode(u))
			if err != nil {
				t.Fatalf("Validate: %v\nURL: %s", err, u)
			}
			if r.Endpoint != tt.want {
				t.Errorf("Endpoint = %+v, want %+v", r.Endpoint, tt.want)
			}
			if r.URL.String() != u {
				t.Errorf("URL = %s, want the presigned URL unchanged", r.URL)
			}
			wantAKID := tt.opts.AccessKeyID
			if wantAKID == "" {
				wantAKID = tokentest.AccessKeyID
			}
			if r.AccessKeyID != wantAKID || r.Region != tt.want.Region {
				t.Errorf("AccessKeyID, Region = %q, %q; want %q, %q", r.AccessKeyID, r.Region, wantAKID, tt.want.Region)
			}
			wantSigned := tt.opts.SignedAt
			if wantSigned.IsZero() {
				wantSigned = signedAt
			}
			if !r.SignedAt.Equal(wantSigned) || r.Expiry() != wantSigned.Add(15*time.Minute) {
				t.Errorf("SignedAt, Expiry = %s, %s; want %s + 15m", r.SignedAt, r.Expiry(), wantSigned)
			}
			if !slices.Equal(r.SignedHeaders, []string{"host", "x-k8s-aws-id"}) {
				t.Errorf("SignedHeaders = %q", r.SignedHeaders)
			}
		})
	}
}

func TestValidateRequestFields(t *testing.T) {
	r, err := validator(t, "aws").Validate(tokentest.Token(t, tokentest.Options{SignedAt: signedAt, Expires: 60 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	if r.ExpiresIn != time.Minute {
		t.Errorf("ExpiresIn = %s, want 1m", r.ExpiresIn)
	}
	if got, want := token.ClientExpiry(r.SignedAt), signedAt.Add(14*time.Minute); !got.Equal(want) {
		t.Errorf("ClientExpiry = %s, want %s", got, want)
	}
}

func TestValidateWithoutVersion(t *testing.T) {
	u := replace(t, presign(t, tokentest.Options{}), "Version=2011-06-15&", "")
	if _, err := validator(t, "aws").Validate(token.Encode(u)); err != nil {
		t.Fatalf("Validate without Version: %v", err)
	}
}

func TestValidateWithoutClock(t *testing.T) {
	_, err := token.Validator{Partition: lookup(t, "aws")}.Validate(tokentest.Token(t, tokentest.Options{SignedAt: signedAt}))
	if !errors.Is(err, token.ErrNoClock) {
		t.Fatalf("error = %v, want ErrNoClock", err)
	}
}

// mutation rewrites a real presigned URL; the result is encoded and validated.
type mutation func(t testing.TB, u string) string

func swap(old, new string) mutation {
	return func(t testing.TB, u string) string { return replace(t, u, old, new) }
}

func setURL(s string) mutation { return func(testing.TB, string) string { return s } }

func TestValidateRejects(t *testing.T) {
	global := tokentest.Options{}
	tests := []struct {
		name      string
		partition string
		opts      tokentest.Options
		mutate    mutation
		want      error
	}{
		// The URL.
		{"space", "aws", global, swap("Action=", "Action= "), token.ErrMalformedURL},
		{"non-ASCII", "aws", global, swap("sts.", "stś."), token.ErrMalformedURL},
		{"bad path escape", "aws", global, swap(".com/?", ".com/%zz?"), token.ErrMalformedURL},
		{"http", "aws", global, swap("https://", "http://"), token.ErrScheme},
		{"upper-case scheme", "aws", global, swap("https://", "HTTPS://"), token.ErrScheme},
		{"no scheme", "aws", global, swap("https://", "//"), token.ErrScheme},
		{"opaque", "aws", global, swap("https://", "https:"), token.ErrOpaque},
		{"userinfo", "aws", global, swap("https://", "https://alice@"), token.ErrUserinfo},
		{"port", "aws", global, swap(".com/", ".com:443/"), token.ErrPort},
		{"empty port", "aws", global, swap(".com/", ".com:/"), token.ErrPort},
		{"fragment", "aws", global, func(_ testing.TB, u string) string { return u + "#x" }, token.ErrFragment},
		{"empty fragment", "aws", global, func(_ testing.TB, u string) string { return u + "#" }, token.ErrFragment},
		{"not STS", "aws", global, swap("sts.amazonaws.com", "evil.example"), token.ErrHost},
		{"look-alike host", "aws", global, swap("sts.amazonaws.com", "sts.amazonaws.com.evil.example"), token.ErrHost},
		{"upper-case host", "aws", global, swap("sts.amazonaws.com", "STS.amazonaws.com"), token.ErrHost},
		{"trailing dot", "aws", global, swap("sts.amazonaws.com", "sts.amazonaws.com."), token.ErrHost},
		{"IP address", "aws", global, swap("sts.amazonaws.com", "127.0.0.1"), token.ErrHost},
		{"IPv6 literal", "aws", global, swap("sts.amazonaws.com", "[::1]"), token.ErrHost},
		{"global endpoint outside aws", "aws-cn", global, nil, token.ErrHost},
		{"other partition's host", "aws", tokentest.Options{Host: "sts.cn-north-1.amazonaws.com.cn", Region: "cn-north-1"}, nil, token.ErrHost},
		{"empty path", "aws", global, swap(".com/?", ".com?"), token.ErrPath},
		{"other path", "aws", global, swap(".com/?", ".com/x?"), token.ErrPath},
		{"double slash path", "aws", global, swap(".com/?", ".com//?"), token.ErrPath},
		{"escaped path", "aws", global, swap(".com/?", ".com/%2F?"), token.ErrPath},
		// The query's shape.
		{"no query", "aws", global, setURL("https://sts.amazonaws.com/"), token.ErrMissingParameter},
		{"empty segment", "aws", global, swap("&Version", "&&Version"), token.ErrMalformedQuery},
		{"semicolon separator", "aws", global, swap("&Version", ";Version"), token.ErrMalformedQuery},
		{"parameter without value", "aws", global, swap("Version=2011-06-15", "Version"), token.ErrMalformedQuery},
		{"empty value", "aws", global, swap("Version=2011-06-15", "Version="), token.ErrMalformedQuery},
		{"bad escape in value", "aws", global, swap("Version=2011-06-15", "Version=%zz"), token.ErrMalformedQuery},
		{"repeated action", "aws", global, swap("Action=GetCallerIdentity", "Action=GetCallerIdentity&Action=GetCallerIdentity"), token.ErrMultiValued},
		{"repeated after unescaping", "aws", global, swap("Action=GetCallerIdentity", "Action=GetCallerIdentity&%41ction=GetCallerIdentity"), token.ErrMultiValued},
		{"CVE-2022-2385 lower then upper", "aws", global, swap("Action=GetCallerIdentity", "action=AssumeRole&Action=GetCallerIdentity"), token.ErrDuplicateParameter},
		{"CVE-2022-2385 upper then lower", "aws", global, swap("Action=GetCallerIdentity", "Action=GetCallerIdentity&action=AssumeRole"), token.ErrDuplicateParameter},
		{"case variant of signature", "aws", global, swap("&X-Amz-Signature=", "&x-amz-signature=00&X-Amz-Signature="), token.ErrDuplicateParameter},
		{"lower-case action alone", "aws", global, swap("Action=", "action="), token.ErrParameterCase},
		{"lower-case security token", "aws", global, swap("&Version", "&x-amz-security-token=abc&Version"), token.ErrParameterCase},
		{"unknown parameter", "aws", global, swap("&Version", "&Foo=bar&Version"), token.ErrUnknownParameter},
		{"hoisted header", "aws", global, swap("&Version", "&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&Version"), token.ErrUnknownParameter},
		// Required parameters and their values.
		{"missing action", "aws", global, swap("Action=GetCallerIdentity&", ""), token.ErrMissingParameter},
		{"missing signature", "aws", global, func(t testing.TB, u string) string { return u[:strings.Index(u, "&X-Amz-Signature=")] }, token.ErrMissingParameter},
		{"missing date", "aws", global, swap("&X-Amz-Date=", "&X-Amz-Security-Token="), token.ErrMissingParameter},
		{"other action", "aws", global, swap("Action=GetCallerIdentity", "Action=AssumeRole"), token.ErrAction},
		{"other version", "aws", global, swap("Version=2011-06-15", "Version=2012-01-01"), token.ErrVersion},
		{"other algorithm", "aws", global, swap("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), token.ErrAlgorithm},
		{"cluster header not signed", "aws", global, swap("host%3Bx-k8s-aws-id", "host"), token.ErrSignedHeaders},
		{"host not signed", "aws", global, swap("host%3Bx-k8s-aws-id", "x-k8s-aws-id"), token.ErrSignedHeaders},
		{"signed headers unsorted", "aws", global, swap("host%3Bx-k8s-aws-id", "x-k8s-aws-id%3Bhost"), token.ErrSignedHeaders},
		{"signed headers upper case", "aws", global, swap("host%3Bx-k8s-aws-id", "host%3BX-K8S-AWS-ID"), token.ErrSignedHeaders},
		{"signed headers empty entry", "aws", global, swap("host%3Bx-k8s-aws-id", "host%3B%3Bx-k8s-aws-id"), token.ErrSignedHeaders},
		{"expires too long", "aws", global, swap("X-Amz-Expires=60", "X-Amz-Expires=901"), token.ErrExpires},
		{"expires negative", "aws", global, swap("X-Amz-Expires=60", "X-Amz-Expires=-1"), token.ErrExpires},
		{"expires leading zero", "aws", global, swap("X-Amz-Expires=60", "X-Amz-Expires=060"), token.ErrExpires},
		{"expires plus sign", "aws", global, swap("X-Amz-Expires=60", "X-Amz-Expires=%2B60"), token.ErrExpires},
		{"expires not a number", "aws", global, swap("X-Amz-Expires=60", "X-Amz-Expires=1m"), token.ErrExpires},
		{"date with separators", "aws", global, swap("X-Amz-Date=20250102T030405Z", "X-Amz-Date=2025-01-02T03:04:05Z"), token.ErrDate},
		{"date without zone", "aws", global, swap("X-Amz-Date=20250102T030405Z", "X-Amz-Date=20250102T030405"), token.ErrDate},
		{"date month 13", "aws", global, swap("X-Amz-Date=20250102T030405Z", "X-Amz-Date=20251302T030405Z"), token.ErrDate},
		{"signed 16 minutes ago", "aws", tokentest.Options{SignedAt: now.Add(-16 * time.Minute)}, nil, token.ErrTooOld},
		{"signed a day ago", "aws", tokentest.Options{SignedAt: now.Add(-24 * time.Hour)}, nil, token.ErrTooOld},
		{"signed 6 minutes ahead", "aws", tokentest.Options{SignedAt: now.Add(6 * time.Minute)}, nil, token.ErrFromFuture},
		{"credential service", "aws", global, swap("%2Fsts%2Faws4_request", "%2Fiam%2Faws4_request"), token.ErrCredential},
		{"credential terminator", "aws", global, swap("aws4_request", "aws4_reqest"), token.ErrCredential},
		{"credential too few parts", "aws", global, swap("%2Fus-east-1%2Fsts", "%2Fsts"), token.ErrCredential},
		{"credential access key", "aws", global, swap("AKIAIOSFODNN7EXAMPLE", "AKIA.OSFODNN7EXAMPLE"), token.ErrCredential},
		{"credential date malformed", "aws", global, swap("%2F20250102%2F", "%2F2025012%2F"), token.ErrCredential},
		{"credential date of another day", "aws", global, swap("%2F20250102%2F", "%2F20250101%2F"), token.ErrCredentialDate},
		{"regional host, other region", "aws", tokentest.Options{Host: "sts.eu-west-1.amazonaws.com", Region: "us-east-1"}, nil, token.ErrCredentialRegion},
		{"global host, other region", "aws", tokentest.Options{Region: "eu-west-1"}, nil, token.ErrCredentialRegion},
		{"fips host, other region", "aws", tokentest.Options{Host: "sts-fips.us-east-1.amazonaws.com", Region: "us-east-2"}, nil, token.ErrCredentialRegion},
		{"signature upper case", "aws", global, func(t testing.TB, u string) string {
			i := strings.Index(u, "X-Amz-Signature=") + len("X-Amz-Signature=")
			return u[:i] + strings.ToUpper(u[i:])
		}, token.ErrSignature},
		{"signature short", "aws", global, func(_ testing.TB, u string) string { return u[:len(u)-1] }, token.ErrSignature},
		{"signature not hex", "aws", global, func(_ testing.TB, u string) string { return u[:len(u)-1] + "g" }, token.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := presign(t, tt.opts)
			if tt.mutate != nil {
				u = tt.mutate(t, u)
			}
			_, err := validator(t, tt.partition).Validate(token.Encode(u))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate error = %v, want %v\nURL: %s", err, tt.want, u)
			}
			if !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("error %v does not satisfy ErrInvalidToken", err)
			}
			wantExpired := tt.want == token.ErrTooOld || tt.want == token.ErrFromFuture
			if errors.Is(err, token.ErrExpired) != wantExpired {
				t.Errorf("errors.Is(%v, ErrExpired) = %t, want %t", err, !wantExpired, wantExpired)
			}
			if sig := signatureOf(u); sig != "" && strings.Contains(err.Error(), sig) {
				t.Errorf("error message contains the signature: %v", err)
			}
		})
	}
}

// signatureOf returns the X-Amz-Signature in u, if any.
func signatureOf(u string) string {
	_, after, ok := strings.Cut(u, "X-Amz-Signature=")
	if !ok {
		return ""
	}
	v, _ := url.QueryUnescape(after)
	return v
}

// TestValidateEnvelopeErrors checks that Validate reports Decode's errors.
func TestValidateEnvelopeErrors(t *testing.T) {
	_, err := validator(t, "aws").Validate("Bearer x")
	if !errors.Is(err, token.ErrPrefix) {
		t.Fatalf("error = %v, want ErrPrefix", err)
	}
}
