package localsts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

func TestPresignedPayloadHashes(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	k := creds(f.key(DevCreatorUser))
	tests := []struct {
		name        string
		payloadHash string
		wantCode    string
	}{
		{"empty-body hash (Go SDK)", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
		{"UNSIGNED-PAYLOAD (botocore)", "UNSIGNED-PAYLOAD", ""},
		{"some other hash", "0000000000000000000000000000000000000000000000000000000000000000", CodeSignatureDoesNotMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("x-k8s-aws-id", "demo")
			signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), k, req, tt.payloadHash, "sts", "us-east-1", epoch)
			if err != nil {
				t.Fatal(err)
			}
			if _, body := f.sendPresigned(t, signed, "demo"); errorCode(body) != tt.wantCode {
				t.Errorf("got %v, want code %q", body, tt.wantCode)
			}
		})
	}
}

func TestContentSHA256Header(t *testing.T) {
	f := start(t, testutil.NewClock(epoch))
	k := creds(f.key(DevCreatorUser))
	body := gci().Encode()
	tests := []struct {
		name     string
		claimed  string
		wantCode string
	}{
		{"hash of the body", sha256Hex(body), ""},
		// Only S3 accepts an unsigned payload; for STS it would leave the
		// body unsigned, replayable with any other body (issue 10, item 6).
		{"UNSIGNED-PAYLOAD refused", "UNSIGNED-PAYLOAD", CodeSignatureDoesNotMatch},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD refused", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", CodeSignatureDoesNotMatch},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER refused", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", CodeSignatureDoesNotMatch},
		{"hash in upper case", strings.ToUpper(sha256Hex(body)), CodeSignatureDoesNotMatch},
		{"hash of another body", "0000000000000000000000000000000000000000000000000000000000000000", CodeSignatureDoesNotMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, f.http.URL+"/", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Amz-Content-Sha256", tt.claimed)
			if err := v4.NewSigner().SignHTTP(context.Background(), k, req, tt.claimed, "sts", "us-east-1", epoch); err != nil {
				t.Fatal(err)
			}
			if _, got := do(t, req); errorCode(got) != tt.wantCode {
				t.Errorf("got %v, want code %q", got, tt.wantCode)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	q, err := url.ParseQuery("b=2&a=z&a=y&X-Amz-Signature=ff&sp=a%20b&plus=%2B&tilde=~&slash=%2F")
	if err != nil {
		t.Fatal(err)
	}
	want := "X-Amz-Signature=ff&a=y&a=z&b=2&plus=%2B&slash=%2F&sp=a%20b&tilde=~"
	if got := canonicalQuery(q, false); got != want {
		t.Errorf("canonicalQuery = %q, want %q", got, want)
	}
	want = "a=y&a=z&b=2&plus=%2B&slash=%2F&sp=a%20b&tilde=~"
	if got := canonicalQuery(q, true); got != want {
		t.Errorf("presigned canonicalQuery = %q, want %q", got, want)
	}
}

func TestCheckTime(t *testing.T) {
	at := func(d time.Duration, expires time.Duration) signature {
		date := epoch.Add(d)
		return signature{presigned: expires > 0, date: date, amzDate: date.Format(amzDateFormat), expires: expires}
	}
	tests := []struct {
		name string
		sig  signature
		ok   bool
	}{
		{"now", at(0, 0), true},
		{"15 minutes ago", at(-15*time.Minute, 0), true},
		{"15 minutes ahead", at(15*time.Minute, 0), true},
		{"15 minutes and 1 second ago", at(-15*time.Minute-time.Second, 0), false},
		{"15 minutes and 1 second ahead", at(15*time.Minute+time.Second, 0), false},
		{"presigned, within X-Amz-Expires", at(-60*time.Second, 60*time.Second), true},
		{"presigned, past X-Amz-Expires but within 15 minutes (STS ignores it)", at(-14*time.Minute, 60*time.Second), true},
		{"presigned, 15 minutes and 1 second ago", at(-15*time.Minute-time.Second, 60*time.Second), false},
		{"presigned for a week, 6 days ago", at(-6*24*time.Hour, maxPresignExpiry), false},
		{"presigned, 16 minutes ahead", at(16*time.Minute, 60*time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.sig.checkTime(epoch); (err == nil) != tt.ok {
				t.Errorf("checkTime = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250314/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", "20250314T150926Z")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20250314%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20250314T150926Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=60", "")
	f.Add("AWS4-HMAC-SHA256 ,,==,", "X-Amz-Signature=", "x")
	f.Fuzz(func(t *testing.T, header, rawQuery, amzDate string) {
		req := &http.Request{Method: http.MethodGet, Header: http.Header{}, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Host: "sts.amazonaws.com"}
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		req.Header.Set("X-Amz-Date", amzDate)
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		sig, err := parseSignature(req, q)
		if err != nil {
			if _, ok := err.(*APIError); !ok {
				t.Fatalf("error %v is not an *APIError", err)
			}
			return
		}
		// What parses must be usable without panicking.
		if len(sig.amzDate) < 8 || len(sig.signature) != 32 {
			t.Fatalf("accepted a malformed signature: %+v", sig)
		}
		_ = sig.checkTime(epoch)
		_ = sig.verify(req, q, "secret", []string{unsignedPayload})
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
