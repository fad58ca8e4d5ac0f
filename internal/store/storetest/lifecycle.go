package storetest

import (
	"errors"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
)

func testGeneration(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	ch, cancel := s.Subscribe()
	defer cancel()
	g := s.Generation()
	step := func(name string, write func() error, wantBump bool) {
		t.Helper()
		before := s.Generation()
		err := write()
		if wantBump != (err == nil) {
			t.Fatalf("%s: error %v", name, err)
		}
		after := s.Generation()
		select {
		case <-ch:
			if !wantBump {
				t.Errorf("%s: failed write notified subscribers", name)
			}
		default:
			if wantBump {
				t.Errorf("%s: no notification", name)
			}
		}
		if wantBump && after <= before || !wantBump && after != before {
			t.Errorf("%s: generation %d → %d", name, before, after)
		}
	}
	step("PutCluster", func() error { _, err := s.PutCluster(Config(), 0); return err }, true)
	step("CreateEntry", func() error { return s.CreateEntry(Entry(t, RoleARN("a"))) }, true)
	step("duplicate CreateEntry", func() error { return s.CreateEntry(Entry(t, RoleARN("a"))) }, false)
	step("UpdateEntry", func() error {
		_, err := s.UpdateEntry(RoleARN("a"), access.UpdateEntryRequest{}, T0)
		return err
	}, true)
	step("Associate", func() error {
		_, err := s.Associate(RoleARN("a"), authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster}, T0)
		return err
	}, true)
	step("Disassociate", func() error { return s.Disassociate(RoleARN("a"), authz.ViewPolicyARN) }, true)
	step("DeleteEntry", func() error { return s.DeleteEntry(RoleARN("a")) }, true)
	step("stale PutCluster", func() error { _, err := s.PutCluster(Config(), 0); return err }, false)
	if s.Generation() != g+6 {
		t.Errorf("generation %d after 6 writes from %d", s.Generation(), g)
	}
	snap, err := s.Snapshot()
	mustNil(t, err)
	if snap.Generation != s.Generation() {
		t.Errorf("snapshot generation %d, store generation %d", snap.Generation, s.Generation())
	}
	cancel()
	mustNil(t, s.CreateEntry(Entry(t, RoleARN("b"))))
	select {
	case <-ch:
		t.Error("notified after cancel")
	default:
	}
}

func testCorrupt(t *testing.T, open func(t *testing.T) store.Backend) {
	b := open(t)
	s := OpenStore(t, b)
	mustNil(t, s.CreateEntry(Entry(t, RoleARN("Dev"))))
	key, err := access.EntryKey(RoleARN("Dev"))
	mustNil(t, err)
	// Write past the Store, as a damaged file or a buggy older release would.
	mustNil(t, b.Update(func(tx store.Tx) error { return tx.Put("entries", key, []byte("{not json")) }))
	if _, err := s.GetEntry(RoleARN("Dev")); err == nil || access.TypeOf(err) != "" {
		t.Errorf("GetEntry of a corrupt record = %v, want a plain (internal) error", err)
	}
	if _, err := s.Snapshot(); err == nil {
		t.Error("Snapshot over a corrupt record succeeded")
	}
	if _, _, err := s.ListEntries(10, ""); err == nil {
		t.Error("ListEntries over a corrupt record succeeded")
	}
}

func testClosed(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	mustNil(t, s.Close())
	if _, err := s.GetEntry(RoleARN("a")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("GetEntry after Close = %v, want ErrClosed", err)
	}
	if err := s.CreateEntry(Entry(t, RoleARN("a"))); !errors.Is(err, store.ErrClosed) {
		t.Errorf("CreateEntry after Close = %v, want ErrClosed", err)
	}
}
