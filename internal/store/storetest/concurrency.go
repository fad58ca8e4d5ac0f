package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
)

func mustPrincipal(t *testing.T, s string) arn.Principal {
	t.Helper()
	p, err := arn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testClusterRace starts writers that all read version 1 and all try to
// write it: whatever the interleaving, exactly one wins.
func testClusterRace(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	base, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	const writers = 8
	errs := race(writers, func(i int) func() error {
		c := base
		c.AuthenticationMode = access.ModeAPI
		c.CreatorARN = fmt.Sprintf("arn:aws:iam::111122223333:role/Writer%d", i)
		return func() error { _, err := s.PutCluster(c, base.Version); return err }
	})
	winner := onlyWinner(t, "writers", errs, func(err error) bool { return errors.Is(err, store.ErrConflict) }, "ErrConflict")
	if winner < 0 {
		t.Fatal("no writer won")
	}
	got, err := s.GetCluster()
	mustNil(t, err)
	if got.Version != base.Version+1 || !strings.HasSuffix(got.CreatorARN, fmt.Sprintf("Writer%d", winner)) {
		t.Fatalf("stored %+v, want the winner's (%d) at version %d", got, winner, base.Version+1)
	}
}

// testConcurrent runs writers (create, associate, delete) against readers
// that check every snapshot is consistent: no association without its
// entry, and each page of a listing is sorted.
func testConcurrent(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	const writers, readers, rounds = 4, 2, 16 // rounds even: half the entries are deleted
	var wg sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, writers+readers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				principal := RoleARN(fmt.Sprintf("w%d-r%d", w, i))
				e, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: principal}, Cluster, Region, Account, T0)
				if err == nil {
					err = s.CreateEntry(e)
				}
				if err == nil {
					_, err = s.Associate(principal, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster}, T0)
				}
				if err == nil && i%2 == 0 {
					err = s.DeleteEntry(principal)
				}
				if err != nil {
					errc <- fmt.Errorf("writer %d round %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	var rg sync.WaitGroup
	for r := range readers {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := checkSnapshot(s); err != nil {
					errc <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	snap, err := s.Snapshot()
	mustNil(t, err)
	if want := writers * rounds / 2; len(snap.Entries) != want || len(snap.Associations) != want {
		t.Fatalf("%d entries and %d with associations, want %d of each", len(snap.Entries), len(snap.Associations), want)
	}
	mustNil(t, checkSnapshot(s))
}

func checkSnapshot(s store.Port) error {
	snap, err := s.Snapshot()
	if err != nil {
		return err
	}
	for key, assocs := range snap.Associations {
		if _, ok := snap.Entries[key]; !ok {
			return fmt.Errorf("generation %d: %d associations of %s without its entry", snap.Generation, len(assocs), key)
		}
	}
	page, _, err := s.ListEntries(10, "")
	if err != nil {
		return err
	}
	for i := 1; i < len(page); i++ {
		a, _ := access.EntryKey(page[i-1].PrincipalARN)
		b, _ := access.EntryKey(page[i].PrincipalARN)
		if a >= b {
			return fmt.Errorf("ListEntries out of order: %s before %s", a, b)
		}
	}
	return nil
}
