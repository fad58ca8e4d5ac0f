package kubestore_test

import (
	"net"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// unreachableClient is a client of a loopback port nothing listens on.
func unreachableClient(t *testing.T) dynamic.Interface {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := dynamic.NewForConfig(&rest.Config{Host: "http://" + addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUnreachableAPI: without an API server the store never syncs, says
// why, reads as empty, and a write fails instead of hanging.
func TestUnreachableAPI(t *testing.T) {
	s, err := kubestore.New(kubestore.Config{Client: unreachableClient(t), CallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := s.BrokenFor(); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing list was never reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.HasSynced() {
		t.Fatal("synced without an API server")
	}
	if _, err := s.GetCluster(); access.TypeOf(err) != access.ResourceNotFoundException {
		t.Fatalf("GetCluster = %v, want not found", err)
	}
	if err := s.CreateEntry(storetest.Entry(t, storetest.RoleARN("Dev"))); err == nil || access.TypeOf(err) != "" {
		t.Fatalf("CreateEntry = %v, want a plain failure", err)
	}
}
