package kubestore_test

import (
	"reflect"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// TestCopyIntoTheAPI: "kubeiam store copy" from an embedded store into the
// kubernetes store recreates the same state, and a second copy changes
// nothing.
func TestCopyIntoTheAPI(t *testing.T) {
	client := apiClient(t)
	reset(t, client)
	src := storetest.OpenStore(t, memory.New())
	cfg := storetest.Config()
	creator, assoc, err := access.BootstrapCreatorEntry(cfg, storetest.T0)
	mustNil(t, err)
	mustNil(t, src.CreateEntry(creator, assoc))
	mustNil(t, src.CreateEntry(storetest.Entry(t, storetest.RoleARN("Dev"), "devs")))
	_, err = src.Associate(storetest.RoleARN("Dev"), authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}, storetest.T0)
	mustNil(t, err)
	_, err = src.PutCluster(cfg, 0)
	mustNil(t, err)

	dst := newStore(t, client)
	r, err := store.Copy(src, dst)
	if err != nil || len(r.Created) != 2 || r.Cluster != "created" {
		t.Fatalf("copy = %+v, %v", r, err)
	}
	want, err := src.Snapshot()
	mustNil(t, err)
	got, err := dst.Snapshot()
	mustNil(t, err)
	if !reflect.DeepEqual(got.Entries, want.Entries) || !reflect.DeepEqual(got.Associations, want.Associations) {
		t.Fatalf("copied state differs:\n got %+v\nwant %+v", got, want)
	}
	if got.Cluster.AuthenticationMode != cfg.AuthenticationMode || got.Cluster.CreatorARN != cfg.CreatorARN {
		t.Fatalf("copied cluster = %+v", got.Cluster)
	}
	r, err = store.Copy(src, dst)
	if err != nil || len(r.Created) != 0 || len(r.Present) != 2 || r.Cluster != "present" {
		t.Fatalf("second copy = %+v, %v; want nothing to do", r, err)
	}
}
