package storetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
)

// testClusterHistory: the cluster's tags and update history round-trip,
// and a later write replaces them.
func testClusterHistory(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	c := Config()
	c.AuthenticationMode = access.ModeConfigMap
	c.Tags = map[string]string{"team": "platform", "env": "prod"}
	c, err := s.PutCluster(c, 0)
	mustNil(t, err)
	u := access.NewModeUpdate("5f0c3a36-8a5d-4c2e-9d6e-2a1b3c4d5e6f", access.ModeAPIAndConfigMap, "token-1", T0)
	next := c.WithUpdate(u)
	next.AuthenticationMode = access.ModeAPIAndConfigMap
	next, err = s.PutCluster(next, c.Version)
	mustNil(t, err)
	done, ok := next.WithUpdateStatus(u.ID, access.UpdateFailed, []access.UpdateError{{Code: "Unknown", Message: "why"}})
	if !ok {
		t.Fatal("WithUpdateStatus: no such update")
	}
	done.Tags = map[string]string{"team": "platform"}
	want, err := s.PutCluster(done, next.Version)
	mustNil(t, err)
	got := waitCluster(t, s, want.Version)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetCluster = %+v\nwant        %+v", got, want)
	}
	snap, err := s.Snapshot()
	mustNil(t, err)
	if !reflect.DeepEqual(snap.Cluster, want) {
		t.Errorf("Snapshot().Cluster = %+v", snap.Cluster)
	}
	// What a caller gets is its own.
	got.Tags["team"], got.Updates[0].Status = "x", access.UpdateSuccessful
	if again, _ := s.GetCluster(); !reflect.DeepEqual(again, want) {
		t.Errorf("a caller's change reached the store: %+v", again)
	}
}

// testClusterWithEntry: the creator's bootstrap entry and the mode change
// are stored together; an entry that exists is kept; a refused change
// writes neither.
func testClusterWithEntry(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	c := Config()
	c.AuthenticationMode = access.ModeConfigMap
	c, err := s.PutCluster(c, 0)
	mustNil(t, err)
	waitCluster(t, s, c.Version)
	creator := Entry(t, c.CreatorARN)
	admin, err := access.Associate(creator, nil, "arn:aws:eks::aws:cluster-access-policy/"+authz.ClusterAdminPolicyName, authz.Scope{Type: authz.ScopeCluster}, T0)
	mustNil(t, err)

	skip := c
	skip.AuthenticationMode = access.ModeAPI
	_, err = s.PutClusterWithEntry(skip, c.Version, creator, admin)
	wantType(t, err, access.InvalidParameterException)
	if _, err := s.GetEntry(c.CreatorARN); access.TypeOf(err) != access.ResourceNotFoundException {
		t.Errorf("a refused mode change created the entry: %v", err)
	}
	if _, err := s.PutClusterWithEntry(skip, c.Version+7, creator, admin); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale version: %v, want ErrConflict", err)
	}

	next := c
	next.AuthenticationMode = access.ModeAPIAndConfigMap
	saved, err := s.PutClusterWithEntry(next, c.Version, creator, admin)
	mustNil(t, err)
	if got := waitCluster(t, s, saved.Version); got.AuthenticationMode != access.ModeAPIAndConfigMap {
		t.Errorf("mode = %s", got.AuthenticationMode)
	}
	assocs, err := s.ListAssociations(c.CreatorARN)
	mustNil(t, err)
	if len(assocs) != 1 || assocs[0].PolicyARN != admin.PolicyARN {
		t.Errorf("creator's associations = %+v", assocs)
	}

	// An entry that exists is kept as it is.
	s2 := open(t)
	c2, err := s2.PutCluster(Config(), 0)
	mustNil(t, err)
	mine := Entry(t, Config().CreatorARN, "ops")
	mustNil(t, s2.CreateEntry(mine))
	cm := Config()
	cm.AuthenticationMode = access.ModeAPI
	waitCluster(t, s2, c2.Version)
	_, err = s2.PutClusterWithEntry(cm, c2.Version, creator, admin)
	mustNil(t, err)
	got, err := s2.GetEntry(Config().CreatorARN)
	mustNil(t, err)
	kept, err := s2.ListAssociations(Config().CreatorARN)
	mustNil(t, err)
	if !reflect.DeepEqual(got.KubernetesGroups, []string{"ops"}) || len(kept) != 0 {
		t.Errorf("the existing entry changed: %+v, %+v", got, kept)
	}
}

// testEntryTags: an entry's idempotency token round-trips; EditEntryTags edits an entry's tags atomically, a refusal
// by edit changes nothing, and an unknown entry is not found.
func testEntryTags(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	_, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	e := Entry(t, RoleARN("Dev"))
	e.Tags = map[string]string{"a": "1"}
	e.ClientRequestToken = "token-1"
	mustNil(t, s.CreateEntry(e))
	if got, err := s.GetEntry(RoleARN("Dev")); err != nil || got.ClientRequestToken != "token-1" {
		t.Errorf("ClientRequestToken did not round-trip: %+v, %v", got, err)
	}
	got, err := s.EditEntryTags(RoleARN("Dev"), func(cur map[string]string) (map[string]string, error) {
		return access.MergeTags(cur, map[string]string{"b": "2"}, access.BadRequestException)
	})
	mustNil(t, err)
	want := map[string]string{"a": "1", "b": "2"}
	if !reflect.DeepEqual(got.Tags, want) {
		t.Errorf("EditEntryTags = %v", got.Tags)
	}
	refused := errors.New("refused")
	if _, err := s.EditEntryTags(RoleARN("Dev"), func(map[string]string) (map[string]string, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Errorf("edit's error = %v", err)
	}
	stored, err := s.GetEntry(RoleARN("Dev"))
	mustNil(t, err)
	if !reflect.DeepEqual(stored.Tags, want) {
		t.Errorf("stored tags = %v, want %v", stored.Tags, want)
	}
	_, err = s.EditEntryTags(RoleARN("Nobody"), func(cur map[string]string) (map[string]string, error) { return cur, nil })
	wantType(t, err, access.ResourceNotFoundException)
}

// waitCluster returns the stored cluster, failing unless it is at version:
// every adapter reads its own writes once they have returned.
func waitCluster(t *testing.T, s store.Port, version int64) access.ClusterConfig {
	t.Helper()
	c, err := s.GetCluster()
	mustNil(t, err)
	if c.Version != version {
		t.Fatalf("GetCluster version %d, want %d", c.Version, version)
	}
	return c
}
