// Package storetest is the conformance suite of the store adapters: Run for
// store.Backend adapters, RunPort for store.Port adapters. An
// adapter's test calls Run with a function that opens a fresh, empty
// backend; Run exercises the backend directly and through store.Store.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
)

// The cluster the suite's records belong to.
const (
	Cluster = "prod"
	Region  = "eu-west-1"
	Account = "111122223333"
)

// T0 is the suite's clock; it is in UTC so that records round-trip to equal
// values through JSON.
var T0 = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)

// Run runs the conformance suite of a Backend adapter: the Backend's own
// tests, then RunPort over a store.Store on it. open must return a new,
// empty backend each time it is called; Run closes it.
func Run(t *testing.T, open func(t *testing.T) store.Backend) {
	t.Run("Backend", func(t *testing.T) { testBackend(t, open) })
	t.Run("CorruptRecord", func(t *testing.T) { testCorrupt(t, open) })
	RunPort(t, func(t *testing.T) store.Port { return OpenStore(t, open(t)) })
}

// RunPort runs the conformance suite of a store.Port adapter. open must
// return a new store over empty state each time it is called and close it
// when the test ends; the store's Close is also called by a test.
func RunPort(t *testing.T, open func(t *testing.T) store.Port) {
	t.Run("Cluster", func(t *testing.T) { testCluster(t, open) })
	t.Run("ClusterRacingWriters", func(t *testing.T) { testClusterRace(t, open) })
	t.Run("ClusterHistory", func(t *testing.T) { testClusterHistory(t, open) })
	t.Run("ClusterWithEntry", func(t *testing.T) { testClusterWithEntry(t, open) })
	t.Run("Entries", func(t *testing.T) { testEntries(t, open) })
	t.Run("EntryTags", func(t *testing.T) { testEntryTags(t, open) })
	t.Run("CreateTokens", func(t *testing.T) { testCreateTokens(t, open) })
	t.Run("CreateTokenRace", func(t *testing.T) { testCreateTokenRace(t, open) })
	t.Run("UpdateTokens", func(t *testing.T) { testUpdateTokens(t, open) })
	t.Run("Associations", func(t *testing.T) { testAssociations(t, open) })
	t.Run("DeleteCascades", func(t *testing.T) { testDeleteCascades(t, open) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, open) })
	t.Run("Generation", func(t *testing.T) { testGeneration(t, open) })
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, open) })
	t.Run("ConcurrentReadersAndWriters", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, open) })
}

// OpenStore opens a store.Store over b and closes it when the test ends.
func OpenStore(t *testing.T, b store.Backend) *store.Store {
	t.Helper()
	s, err := store.Open(b)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Config returns a valid cluster config.
func Config() access.ClusterConfig {
	return access.ClusterConfig{
		Name: Cluster, Region: Region, AccountID: Account,
		AuthenticationMode:                      access.ModeAPIAndConfigMap,
		BootstrapClusterCreatorAdminPermissions: true,
		CreatorARN:                              "arn:aws:iam::111122223333:role/Creator",
		CreatedAt:                               T0,
	}
}

// Entry builds a STANDARD entry for principalARN, failing the test if
// access.NewEntry refuses it.
func Entry(t *testing.T, principalARN string, groups ...string) access.AccessEntry {
	t.Helper()
	e, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: principalARN, KubernetesGroups: groups}, Cluster, Region, Account, T0)
	if err != nil {
		t.Fatalf("NewEntry(%s): %v", principalARN, err)
	}
	return e
}

// RoleARN returns the ARN of role name in the suite's account.
func RoleARN(name string) string { return "arn:aws:iam::" + Account + ":role/" + name }

func wantType(t *testing.T, err error, want access.ErrorType) {
	t.Helper()
	if got := access.TypeOf(err); got != want {
		t.Fatalf("error = %v, want an access error of type %s", err, want)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testBackend(t *testing.T, open func(t *testing.T) store.Backend) {
	b := open(t)
	t.Cleanup(func() { _ = b.Close() })
	mustNil(t, b.Update(func(tx store.Tx) error {
		for _, k := range []string{"b", "c", "a", "b\x00x"} {
			if err := tx.Put("bk", k, []byte("v-"+k)); err != nil {
				return err
			}
		}
		return nil
	}))
	sentinel := errors.New("abort")
	err := b.Update(func(tx store.Tx) error {
		if err := tx.Put("bk", "z", []byte("no")); err != nil {
			return err
		}
		if err := tx.Delete("bk", "a"); err != nil {
			return err
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update returned %v, want the fn's error", err)
	}
	mustNil(t, b.View(func(tx store.Tx) error {
		if tx.Get("bk", "z") != nil || tx.Get("bk", "a") == nil {
			t.Error("a failed Update was not rolled back")
		}
		if tx.Get("missing-bucket", "a") != nil {
			t.Error("Get in a missing bucket must return nil")
		}
		v := tx.Get("bk", "b")
		v[0] = 'X'
		if string(tx.Get("bk", "b")) != "v-b" {
			t.Error("Get must return a copy the caller owns")
		}
		if err := tx.Put("bk", "w", []byte("x")); err == nil {
			t.Error("Put in a View transaction succeeded")
		}
		var keys []string
		err := tx.Scan("bk", "b", func(k string, _ []byte) (bool, error) {
			keys = append(keys, k)
			return len(keys) < 3, nil
		})
		if want := []string{"b", "b\x00x", "c"}; err != nil || !reflect.DeepEqual(keys, want) {
			t.Errorf("Scan from b = %q, %v; want %q", keys, err, want)
		}
		return tx.Scan("missing-bucket", "", func(string, []byte) (bool, error) {
			t.Error("Scan of a missing bucket called fn")
			return true, nil
		})
	}))
}

func testCluster(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	_, err := s.GetCluster()
	wantType(t, err, access.ResourceNotFoundException)

	c, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	if c.Version != 1 {
		t.Fatalf("first PutCluster version = %d, want 1", c.Version)
	}
	if _, err := s.PutCluster(Config(), 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}
	c.AuthenticationMode = access.ModeAPI
	c2, err := s.PutCluster(c, 1)
	mustNil(t, err)
	got, err := s.GetCluster()
	mustNil(t, err)
	if !reflect.DeepEqual(got, c2) || got.Version != 2 || got.AuthenticationMode != access.ModeAPI {
		t.Fatalf("GetCluster = %+v, want %+v", got, c2)
	}
	if _, err := s.PutCluster(c, 1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale PutCluster = %v, want ErrConflict", err)
	}
	back := c2
	back.AuthenticationMode = access.ModeAPIAndConfigMap
	_, err = s.PutCluster(back, 2)
	wantType(t, err, access.InvalidParameterException) // modes only go forward
	c2.CreatorARN = RoleARN("Other")
	c3, err := s.PutCluster(c2, 2) // same mode: not a mode change
	mustNil(t, err)
	if c3.Version != 3 {
		t.Fatalf("version %d, want 3", c3.Version)
	}
	bad := Config()
	bad.AuthenticationMode = access.ModeConfigMap
	bad.BootstrapClusterCreatorAdminPermissions = false
	_, err = s.PutCluster(bad, 3)
	wantType(t, err, access.InvalidParameterException)
}

func testEntries(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	const withPath = "arn:aws:iam::111122223333:role/team/Dev"
	e := Entry(t, withPath, "developers")
	e.PrincipalID = "AROA3EXAMPLEPRINCIPAL" // kept by every backend, and by updates
	mustNil(t, s.CreateEntry(e))

	// Every spelling of the same principal finds, and collides with, the entry.
	for _, alias := range []string{withPath, RoleARN("Dev"), RoleARN("dev"), "arn:aws:sts::111122223333:assumed-role/Dev/alice"} {
		got, err := s.GetEntry(alias)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("GetEntry(%s) = %+v, %v; want %+v", alias, got, err, e)
		}
	}
	wantType(t, s.CreateEntry(Entry(t, RoleARN("DEV"))), access.ResourceInUseException)

	_, err := s.GetEntry(RoleARN("Other"))
	wantType(t, err, access.ResourceNotFoundException)
	_, err = s.GetEntry("arn:aws:iam::111122223333:group/devs")
	wantType(t, err, access.InvalidParameterException)

	groups, user := []string{"ops"}, "dev-user"
	upd, err := s.UpdateEntry(RoleARN("Dev"), access.UpdateEntryRequest{KubernetesGroups: &groups, Username: &user}, T0.Add(time.Hour))
	mustNil(t, err)
	got, err := s.GetEntry(withPath)
	mustNil(t, err)
	if !reflect.DeepEqual(got, upd) || got.Username != user || !reflect.DeepEqual(got.KubernetesGroups, groups) ||
		!got.ModifiedAt.Equal(T0.Add(time.Hour)) || !got.CreatedAt.Equal(T0) || got.PrincipalID != e.PrincipalID {
		t.Fatalf("after update GetEntry = %+v, want %+v", got, upd)
	}
	bad := []string{"system:masters"}
	_, err = s.UpdateEntry(withPath, access.UpdateEntryRequest{KubernetesGroups: &bad}, T0)
	wantType(t, err, access.InvalidParameterException)
	_, err = s.UpdateEntry(RoleARN("Other"), access.UpdateEntryRequest{}, T0)
	wantType(t, err, access.ResourceNotFoundException)

	mustNil(t, s.DeleteEntry(RoleARN("dev")))
	_, err = s.GetEntry(withPath)
	wantType(t, err, access.ResourceNotFoundException)
	wantType(t, s.DeleteEntry(withPath), access.ResourceNotFoundException)
	mustNil(t, s.CreateEntry(e)) // the principal is free again
}

func testAssociations(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	ns := authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev-*"}}
	_, err := s.Associate(RoleARN("Dev"), authz.EditPolicyARN, ns, T0)
	wantType(t, err, access.ResourceNotFoundException)
	_, err = s.ListAssociations(RoleARN("Dev"))
	wantType(t, err, access.ResourceNotFoundException)

	mustNil(t, s.CreateEntry(Entry(t, RoleARN("Dev"))))
	a1, err := s.Associate(RoleARN("Dev"), authz.ViewPolicyARN, ns, T0)
	mustNil(t, err)
	_, err = s.Associate(RoleARN("Dev"), authz.EditPolicyARN, ns, T0)
	mustNil(t, err)
	_, err = s.Associate(RoleARN("Dev"), "arn:aws:eks::aws:cluster-access-policy/NoSuchPolicy", ns, T0)
	wantType(t, err, access.ResourceNotFoundException)
	_, err = s.Associate(RoleARN("Dev"), authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace}, T0)
	wantType(t, err, access.InvalidParameterException)

	// Associating again replaces the scope, keeping AssociatedAt.
	later := T0.Add(time.Minute)
	a2, err := s.Associate("arn:aws:sts::111122223333:assumed-role/Dev/s", authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster}, later)
	mustNil(t, err)
	if !a2.AssociatedAt.Equal(a1.AssociatedAt) || !a2.ModifiedAt.Equal(later) || a2.Scope.Type != authz.ScopeCluster {
		t.Fatalf("re-association = %+v, want scope replaced, AssociatedAt kept", a2)
	}
	list, err := s.ListAssociations(RoleARN("Dev"))
	mustNil(t, err)
	if len(list) != 2 || list[0].PolicyARN != authz.EditPolicyARN || list[1].PolicyARN != authz.ViewPolicyARN ||
		!reflect.DeepEqual(list[1], a2) {
		t.Fatalf("ListAssociations = %+v, want Edit then the replaced View", list)
	}

	mustNil(t, s.Disassociate(RoleARN("Dev"), authz.EditPolicyARN))
	wantType(t, s.Disassociate(RoleARN("Dev"), authz.EditPolicyARN), access.ResourceNotFoundException)
	wantType(t, s.Disassociate(RoleARN("Other"), authz.EditPolicyARN), access.ResourceNotFoundException)
	if list, _ := s.ListAssociations(RoleARN("Dev")); len(list) != 1 {
		t.Fatalf("after Disassociate: %+v", list)
	}

	// Node entries take no policies.
	node, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: RoleARN("Node"), Type: access.EntryEC2Linux}, Cluster, Region, Account, T0)
	mustNil(t, err)
	mustNil(t, s.CreateEntry(node))
	_, err = s.Associate(RoleARN("Node"), authz.ViewPolicyARN, ns, T0)
	wantType(t, err, access.InvalidParameterException)
}

func testDeleteCascades(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	entry, assoc, err := access.BootstrapCreatorEntry(Config(), T0)
	mustNil(t, err)
	mustNil(t, s.CreateEntry(entry, assoc))
	mustNil(t, s.CreateEntry(Entry(t, RoleARN("Creator2"))))
	_, err = s.Associate(RoleARN("Creator2"), authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster}, T0)
	mustNil(t, err)
	list, err := s.ListAssociations(entry.PrincipalARN)
	mustNil(t, err)
	if len(list) != 1 || !reflect.DeepEqual(list[0], assoc) {
		t.Fatalf("creator associations = %+v, want %+v", list, assoc)
	}

	if err := s.CreateEntry(Entry(t, RoleARN("Third")), assoc); err == nil {
		t.Fatal("CreateEntry accepted an association of another principal")
	}
	if _, err := s.GetEntry(RoleARN("Third")); access.TypeOf(err) != access.ResourceNotFoundException {
		t.Fatalf("a refused CreateEntry stored the entry: %v", err)
	}

	mustNil(t, s.DeleteEntry(entry.PrincipalARN))
	mustNil(t, s.CreateEntry(entry))
	if list, err := s.ListAssociations(entry.PrincipalARN); err != nil || len(list) != 0 {
		t.Fatalf("a recreated entry inherited associations: %+v, %v", list, err)
	}
	// The neighbour, whose key shares the prefix "role/creator", kept its own.
	if list, err := s.ListAssociations(RoleARN("Creator2")); err != nil || len(list) != 1 {
		t.Fatalf("neighbour's associations = %+v, %v", list, err)
	}
	snap, err := s.Snapshot()
	mustNil(t, err)
	if len(snap.Associations) != 1 {
		t.Fatalf("snapshot associations = %+v", snap.Associations)
	}
}

func testPagination(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	var want []string
	for i := range 7 {
		e := Entry(t, RoleARN(fmt.Sprintf("r%d", i)))
		mustNil(t, s.CreateEntry(e))
		want = append(want, e.PrincipalARN)
	}
	var got []string
	token, pages := "", 0
	for {
		page, next, err := s.ListEntries(3, token)
		mustNil(t, err)
		pages++
		if len(page) > 3 {
			t.Fatalf("page of %d entries, asked for 3", len(page))
		}
		for _, e := range page {
			got = append(got, e.PrincipalARN)
		}
		if next == "" {
			break
		}
		if pages == 1 {
			// A token survives the deletion of the entry it points after.
			mustNil(t, s.DeleteEntry(page[len(page)-1].PrincipalARN))
		}
		token = next
	}
	if pages != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("pages=%d got %q, want %q in 3 pages", pages, got, want)
	}
	all, next, err := s.ListEntries(0, "")
	mustNil(t, err)
	if len(all) != 6 || next != "" {
		t.Fatalf("ListEntries(0) = %d entries, next %q", len(all), next)
	}
	exact, next, err := s.ListEntries(6, "")
	if err != nil || len(exact) != 6 || next != "" {
		t.Fatalf("a page that ends exactly at the last entry: %d entries, next %q, %v", len(exact), next, err)
	}
	for _, bad := range []int{-1, access.MaxResults + 1} {
		_, _, err := s.ListEntries(bad, "")
		wantType(t, err, access.InvalidParameterException)
	}
	for _, bad := range []string{"!!!", "Zm9v"} {
		_, _, err := s.ListEntries(3, bad)
		wantType(t, err, access.InvalidParameterException)
	}
}

func testSnapshot(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	empty, err := s.Snapshot()
	mustNil(t, err)
	if empty.Cluster.Version != 0 || len(empty.Entries) != 0 {
		t.Fatalf("empty snapshot = %+v", empty)
	}
	cfg, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	dev := Entry(t, "arn:aws:iam::111122223333:role/team/Dev", "developers")
	mustNil(t, s.CreateEntry(dev))
	alice := Entry(t, "arn:aws:iam::111122223333:user/alice") // no groups: [] must round-trip as []
	alice.Tags = map[string]string{"team": "a"}
	mustNil(t, s.CreateEntry(alice))
	ns := authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}
	_, err = s.Associate(dev.PrincipalARN, authz.EditPolicyARN, ns, T0)
	mustNil(t, err)

	snap, err := s.Snapshot()
	mustNil(t, err)
	if !reflect.DeepEqual(snap.Cluster, cfg) || len(snap.Entries) != 2 || snap.Generation != s.Generation() {
		t.Fatalf("snapshot = %+v", snap)
	}
	p := mustPrincipal(t, "arn:aws:sts::111122223333:assumed-role/DEV/alice")
	e, grants, ok := snap.Lookup(p)
	want := []authz.Grant{{PolicyARN: authz.EditPolicyARN, Scope: ns}}
	if !ok || !reflect.DeepEqual(e, dev) || !reflect.DeepEqual(grants, want) {
		t.Fatalf("Lookup(session) = %+v, %+v, %v", e, grants, ok)
	}
	if e, grants, ok := snap.Lookup(mustPrincipal(t, alice.PrincipalARN)); !ok || !reflect.DeepEqual(e, alice) || grants != nil {
		t.Fatalf("Lookup(alice) = %+v, %+v, %v; want %+v and no grants", e, grants, ok, alice)
	}
	// The snapshot is the caller's: changing it changes nothing stored.
	for k := range snap.Entries {
		delete(snap.Entries, k)
	}
	again, err := s.Snapshot()
	mustNil(t, err)
	if len(again.Entries) != 2 {
		t.Fatal("modifying a snapshot changed the store")
	}
}
