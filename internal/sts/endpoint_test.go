package sts

import (
	"errors"
	"testing"
)

// TestEndpointPlainHTTP: plain http reaches STS only on loopback, or with
// the explicit opt-in (issue 10, item 4).
func TestEndpointPlainHTTP(t *testing.T) {
	tests := []struct {
		endpoint  string
		allowHTTP bool
		wantErr   error
	}{
		{"https://sts.vpce.example.com", false, nil},
		{"http://127.0.0.1:4566", false, nil},
		{"http://127.9.8.7:4566", false, nil},
		{"http://[::1]:4566", false, nil},
		{"http://localhost:4566", false, nil},
		{"http://LOCALHOST:4566", false, nil},
		{"http://sts.example.com", false, ErrPlainHTTP},
		{"http://10.0.0.1:4566", false, ErrPlainHTTP},
		{"http://[::2]:4566", false, ErrPlainHTTP},
		{"http://localhost.example.com", false, ErrPlainHTTP},
		{"http://127.0.0.1.nip.io", false, ErrPlainHTTP},
		{"http://sts.example.com", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			err := CheckEndpoint(tt.endpoint, tt.allowHTTP)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckEndpoint(%q, %v) = %v, want %v", tt.endpoint, tt.allowHTTP, err, tt.wantErr)
			}
			_, err = NewVerifier(VerifierConfig{ClusterID: "c", Endpoint: tt.endpoint, AllowInsecureHTTP: tt.allowHTTP})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("NewVerifier: %v, want %v", err, tt.wantErr)
			}
			if got := InsecureEndpoint(tt.endpoint); got != (tt.allowHTTP || tt.wantErr != nil) {
				t.Errorf("InsecureEndpoint = %v", got)
			}
		})
	}
}
