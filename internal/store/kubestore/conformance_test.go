package kubestore_test

import (
	"testing"

	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// TestConformance runs the store conformance suite, the one the embedded
// store passes, on a real kube-apiserver.
func TestConformance(t *testing.T) {
	client := apiClient(t)
	storetest.RunPort(t, func(t *testing.T) store.Port {
		reset(t, client)
		return newStore(t, client)
	})
}
