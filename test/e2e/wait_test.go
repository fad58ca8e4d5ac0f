package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// The tests share one control plane and run in any order (CI shuffles
// them), so each one sets up the state it needs and waits until that state
// is in force before asserting anything: a previous test's clean-up (an
// aws-auth ConfigMap deleted, say) reaches kubeiam's informer and
// kube-apiserver's 10-second token cache moments later, not at once.

// waitTimeout bounds every wait; it asserts nothing about speed.
const waitTimeout = 30 * time.Second

// eventually retries check until it returns "" (success) or waitTimeout
// passes, then fails the test with check's last complaint.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after %s", what, msg, waitTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// warmDiscovery has the creator fill kubectl's API discovery cache (shared
// by every profile: one HOME). Without it kubectl words a 401 differently
// ("the server has asked for the client to provide credentials") than
// after a first successful call ("You must be logged in to the server").
func warmDiscovery(t *testing.T, c *harness.Cluster) {
	t.Helper()
	mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser), "get", "svc"))
}

// waitUnmapped waits until kubectl as profile is Unauthorized, with the
// wording kubectl uses once discovery is cached: the state of a cluster in
// which no earlier test's mapping of profile is still in force.
func waitUnmapped(t *testing.T, c *harness.Cluster, profile string) {
	t.Helper()
	warmDiscovery(t, c)
	eventually(t, "kubectl as "+profile+" to be Unauthorized", func() string {
		if r := kubectl(t, c, profile, c.Kubeconfig(profile), "get", "svc"); r.Code != 1 || r.Stderr != unauthorized {
			return fmt.Sprintf("exit %d stderr %q, want %q", r.Code, r.Stderr, unauthorized)
		}
		return ""
	})
}
