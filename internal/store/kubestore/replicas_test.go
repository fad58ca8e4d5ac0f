package kubestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// secondAPIServer starts (once) a second kube-apiserver on the shared
// control plane's etcd and returns an admin client of it.
var second struct {
	once   sync.Once
	client dynamic.Interface
	err    error
}

func secondClient(t *testing.T) dynamic.Interface {
	t.Helper()
	apiClient(t)
	second.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		path, err := shared.cp.AddAPIServer(ctx)
		if err != nil {
			second.err = err
			return
		}
		cfg, err := harness.RESTConfig(path)
		if err != nil {
			second.err = err
			return
		}
		cfg.QPS, cfg.Burst = kubestore.ClientQPS, kubestore.ClientBurst
		second.client, second.err = dynamic.NewForConfig(cfg)
	})
	if second.err != nil {
		t.Fatalf("second kube-apiserver: %v", second.err)
	}
	return second.client
}

// TestReplicasShareState: two stores, each on its own kube-apiserver of one
// etcd, as two kubeiam replicas are. A write through one reaches the
// other's cache by its watch; the time it takes is logged, not asserted.
func TestReplicasShareState(t *testing.T) {
	a, b := apiClient(t), secondClient(t)
	reset(t, a)
	sa, sb := newStore(t, a), newStore(t, b)
	ch, cancel := sb.Subscribe()
	defer cancel()
	start := time.Now()
	if err := sa.CreateEntry(storetest.Entry(t, storetest.RoleARN("Shared"), "devs")); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(time.Minute)
	for {
		if _, err := sb.GetEntry(storetest.RoleARN("Shared")); err == nil {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("the entry written through A never reached B")
		}
	}
	t.Logf("entry written through kube-apiserver A visible in the cache of the store on kube-apiserver B after %s", time.Since(start).Round(time.Millisecond))
}

// TestReplicasRaceOnOnePrincipal: concurrent creates of the same principal
// through both API servers: exactly one wins, every other gets EKS's
// ResourceInUseException.
func TestReplicasRaceOnOnePrincipal(t *testing.T) {
	a, b := apiClient(t), secondClient(t)
	reset(t, a)
	stores := []*kubestore.Store{newStore(t, a), newStore(t, b)}
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := storetest.Entry(t, storetest.RoleARN("Contested"), fmt.Sprintf("writer-%d", i))
			<-start
			errs[i] = stores[i%2].CreateEntry(e)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case access.TypeOf(err) != access.ResourceInUseException:
			t.Errorf("writer %d: %v, want ResourceInUseException", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creates won, want exactly 1", won)
	}
}

// TestReplicasNoLostModeUpdate: writers on both API servers move the mode
// forward (the one step EKS allows) from the same version; exactly one
// wins and the others conflict.
func TestReplicasNoLostModeUpdate(t *testing.T) {
	a, b := apiClient(t), secondClient(t)
	reset(t, a)
	sa, sb := newStore(t, a), newStore(t, b)
	cfg := storetest.Config()
	cfg.AuthenticationMode = access.ModeConfigMap
	base, err := sa.PutCluster(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 6)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := base
			next.AuthenticationMode = access.ModeAPIAndConfigMap
			<-start
			_, errs[i] = []*kubestore.Store{sa, sb}[i%2].PutCluster(next, base.Version)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("writer %d: %v, want ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d mode updates won, want exactly 1", won)
	}
}
