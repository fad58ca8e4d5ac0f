package token_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

func TestDecode(t *testing.T) {
	u := presign(t, tokentest.Options{})
	tok := token.Encode(u)
	got, err := token.Decode(tok)
	if err != nil || got != u {
		t.Fatalf("Decode(Encode(u)) = %q, %v; want %q", got, err, u)
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := token.Encode(presign(t, tokentest.Options{}))
	payload := strings.TrimPrefix(valid, token.Prefix)
	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"empty", "", token.ErrPrefix},
		{"too long", token.Prefix + strings.Repeat("A", token.MaxLength), token.ErrTooLong},
		{"other version prefix", "k8s-aws-v2." + payload, token.ErrPrefix},
		{"upper-case prefix", "K8S-AWS-V1." + payload, token.ErrPrefix},
		{"prefix only", token.Prefix, token.ErrEncoding},
		{"padding", token.Prefix + "aHR0cHM6Ly8=", token.ErrEncoding},
		{"standard alphabet plus", token.Prefix + "ab+c", token.ErrEncoding},
		{"standard alphabet slash", token.Prefix + "ab/c", token.ErrEncoding},
		{"embedded newline", token.Prefix + payload[:10] + "\n" + payload[10:], token.ErrEncoding},
		{"embedded carriage return", token.Prefix + payload[:10] + "\r" + payload[10:], token.ErrEncoding},
		{"trailing space", valid + " ", token.ErrEncoding},
		{"leading space", " " + valid, token.ErrPrefix},
		{"non-zero trailing bits", token.Prefix + "AB", token.ErrEncoding},
		{"impossible length", token.Prefix + "A", token.ErrEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := token.Decode(tt.tok)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
			if !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("error %v does not satisfy ErrInvalidToken", err)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	// The SHA-256 test vector; pinned so log queries stay stable.
	got := token.Fingerprint("abc")
	if got != "ba7816bf8f01" {
		t.Errorf("Fingerprint(abc) = %q, want ba7816bf8f01", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(token.Encode(presign(f, tokentest.Options{})))
	f.Add(token.Prefix + "aHR0cHM6Ly8=")
	f.Add(token.Prefix + "AB")
	f.Add(token.Prefix + "a\nb")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := token.Decode(tok)
		if err != nil {
			if !errors.Is(err, token.ErrInvalidToken) {
				t.Fatalf("error %v does not satisfy ErrInvalidToken", err)
			}
			return
		}
		// Strict decoding is a bijection: what is accepted is canonical.
		if re := token.Encode(got); re != tok {
			t.Fatalf("Encode(Decode(%q)) = %q", tok, re)
		}
	})
}
