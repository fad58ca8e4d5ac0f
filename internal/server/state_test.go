package server

import (
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
)

// TestEnsureClusterBootstrap: the first start stores the configured mode
// and bootstrapClusterCreatorAdminPermissions, and the creator's
// cluster-admin entry exactly when EKS would create one (an API mode with
// the bootstrap on).
func TestEnsureClusterBootstrap(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		mode      string
		bootstrap bool
		wantEntry bool
	}{
		{"CONFIG_MAP", true, false},
		{"API_AND_CONFIG_MAP", true, true},
		{"API", true, true},
		{"API_AND_CONFIG_MAP", false, false},
		{"API", false, false},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			st, err := store.Open(memory.New())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			b := tt.bootstrap
			cfg := config.Server{ClusterID: "prod", ClusterCreatorARN: "arn:aws:iam::111122223333:role/admin",
				AuthenticationMode: tt.mode, BootstrapClusterCreatorAdminPermissions: &b}
			cfg.Defaults()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			c, created, err := ensureCluster(st, cfg, now)
			if err != nil || !created {
				t.Fatalf("ensureCluster = %v, %v", created, err)
			}
			if string(c.AuthenticationMode) != tt.mode || c.BootstrapClusterCreatorAdminPermissions != tt.bootstrap {
				t.Errorf("stored %+v", c)
			}
			_, err = st.GetEntry(cfg.ClusterCreatorARN)
			if got := err == nil; got != tt.wantEntry {
				t.Errorf("creator entry exists = %v (%v), want %v", got, err, tt.wantEntry)
			}
			if err != nil && access.TypeOf(err) != access.ResourceNotFoundException {
				t.Errorf("GetEntry: %v", err)
			}
		})
	}
}
