package server

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// TestInsecureSTSEndpointWarns: a plain-http STS endpoint off loopback is
// accepted only with the opt-in, and then the server says so loudly at
// start (issue 10, item 4).
func TestInsecureSTSEndpointWarns(t *testing.T) {
	for _, tt := range []struct {
		endpoint string
		allow    bool
		wantWarn bool
	}{
		{"http://sts.vpce.example.com", true, true},
		{"http://127.0.0.1:4566", false, false},
	} {
		t.Run(tt.endpoint, func(t *testing.T) {
			cfg := config.Server{ClusterID: "demo", ClusterCreatorARN: "arn:aws:iam::111122223333:user/creator",
				StateDir: t.TempDir(), STSEndpoint: tt.endpoint, InsecureAllowHTTPSTSEndpoint: tt.allow}
			cfg.Defaults()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			var logs testutil.SyncBuffer
			s, err := newServer(Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			s.close()
			warned := strings.Contains(logs.String(), "level=WARN msg=\"INSECURE: the STS endpoint is plain http")
			if warned != tt.wantWarn {
				t.Errorf("warned %v, want %v; log:\n%s", warned, tt.wantWarn, logs.String())
			}
		})
	}
}
