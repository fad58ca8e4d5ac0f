package memory_test

import (
	"testing"

	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Backend { return memory.New() })
}
