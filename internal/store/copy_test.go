package store_test

import (
	"reflect"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

func TestCopyIsIdempotentAndKeepsTheTarget(t *testing.T) {
	from := storetest.OpenStore(t, memory.New())
	to := storetest.OpenStore(t, memory.New())
	cfg := storetest.Config()
	creator, creatorAssoc, err := access.BootstrapCreatorEntry(cfg, storetest.T0)
	if err != nil {
		t.Fatal(err)
	}
	must(t, from.CreateEntry(creator, creatorAssoc))
	must(t, from.CreateEntry(storetest.Entry(t, storetest.RoleARN("Dev"), "devs")))
	_, err = from.Associate(storetest.RoleARN("Dev"), authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}, storetest.T0)
	must(t, err)
	_, err = from.PutCluster(cfg, 0)
	must(t, err)
	// The target has its own entry for one principal, with other groups.
	must(t, to.CreateEntry(storetest.Entry(t, storetest.RoleARN("Dev"), "others")))

	r, err := store.Copy(from, to)
	must(t, err)
	if len(r.Created) != 1 || len(r.Differ) != 1 || r.Cluster != "created" {
		t.Fatalf("first copy = %+v, want the creator created, Dev differing, the cluster created", r)
	}
	if got, _ := to.GetEntry(storetest.RoleARN("Dev")); !reflect.DeepEqual(got.KubernetesGroups, []string{"others"}) {
		t.Fatalf("the target's own entry was overwritten: %+v", got)
	}
	r, err = store.Copy(from, to)
	must(t, err)
	if len(r.Created) != 0 || len(r.Present) != 1 || len(r.Differ) != 1 || r.Cluster != "present" {
		t.Fatalf("second copy = %+v, want nothing created", r)
	}
	// A source further along in mode moves the target forward, never back.
	next, err := from.GetCluster()
	must(t, err)
	next.AuthenticationMode = access.ModeAPI
	_, err = from.PutCluster(next, next.Version)
	must(t, err)
	r, err = store.Copy(from, to)
	must(t, err)
	if got, _ := to.GetCluster(); r.Cluster != "mode moved forward" || got.AuthenticationMode != access.ModeAPI {
		t.Fatalf("copy of a later mode = %+v, target mode %s", r, got.AuthenticationMode)
	}
	r, err = store.Copy(to, from) // the other way: from is not behind
	must(t, err)
	if r.Cluster != "present" {
		t.Fatalf("copy into a store at the same mode = %q", r.Cluster)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCopyKeepsTheTargetsTokens: an entry whose clientRequestToken the
// target holds for another entry is copied without it.
func TestCopyKeepsTheTargetsTokens(t *testing.T) {
	from := storetest.OpenStore(t, memory.New())
	to := storetest.OpenStore(t, memory.New())
	dev := storetest.Entry(t, storetest.RoleARN("Dev"))
	dev.ClientRequestToken = "shared"
	must(t, from.CreateEntry(dev))
	ops := storetest.Entry(t, storetest.RoleARN("Ops"))
	ops.ClientRequestToken = "shared"
	must(t, to.CreateEntry(ops))

	r, err := store.Copy(from, to)
	must(t, err)
	got, err := to.GetEntry(storetest.RoleARN("Dev"))
	if err != nil || len(r.Created) != 1 || got.ClientRequestToken != "" {
		t.Fatalf("copy = %+v; Dev in the target %+v, %v: want it created without the token", r, got, err)
	}
	if held, _ := to.GetEntry(storetest.RoleARN("Ops")); held.ClientRequestToken != "shared" {
		t.Errorf("the target's entry lost its token: %+v", held)
	}
	if r, err = store.Copy(from, to); err != nil || len(r.Present) != 1 || len(r.Differ) != 0 {
		t.Errorf("second copy = %+v, %v: want Dev present", r, err)
	}
}
