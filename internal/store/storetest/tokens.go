package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
)

// withToken returns e with a clientRequestToken.
func withToken(e access.AccessEntry, token string) access.AccessEntry {
	e.ClientRequestToken = token
	return e
}

// testCreateTokens: a CreateAccessEntry sent again with its token succeeds
// and keeps the entry it made; the token with another request is refused,
// whatever its principal; a refused create does not keep its token; a
// deleted entry frees its token.
func testCreateTokens(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	_, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	first := withToken(Entry(t, RoleARN("Dev"), "a", "b"), "t1")
	mustNil(t, s.CreateEntry(first))
	gen := s.Generation()

	again := withToken(Entry(t, "arn:aws:iam::"+Account+":role/path/Dev", "b", "a"), "t1")
	again.CreatedAt = T0.Add(time.Hour)
	mustNil(t, s.CreateEntry(again))
	if got, err := s.GetEntry(RoleARN("Dev")); err != nil || !got.CreatedAt.Equal(T0) || got.PrincipalARN != first.PrincipalARN {
		t.Errorf("after the request was sent again, GetEntry = %+v, %v; want the first entry", got, err)
	}
	if s.Generation() != gen {
		t.Errorf("the request sent again wrote (generation %d -> %d)", gen, s.Generation())
	}

	wantType(t, s.CreateEntry(withToken(Entry(t, RoleARN("Ops")), "t1")), access.InvalidRequestException)
	wantType(t, s.CreateEntry(withToken(Entry(t, RoleARN("Dev"), "a"), "t1")), access.InvalidRequestException)
	if _, err := s.GetEntry(RoleARN("Ops")); access.TypeOf(err) != access.ResourceNotFoundException {
		t.Errorf("the refused request made an entry: %v", err)
	}

	wantType(t, s.CreateEntry(withToken(Entry(t, RoleARN("Dev"), "x"), "t2")), access.ResourceInUseException)
	mustNil(t, s.CreateEntry(withToken(Entry(t, RoleARN("Ops")), "t2")))

	mustNil(t, s.DeleteEntry(RoleARN("Dev")))
	mustNil(t, s.CreateEntry(withToken(Entry(t, RoleARN("Admin")), "t1")))
}

// testCreateTokenRace: of different requests racing with one token,
// exactly one creates its entry and the others are refused; the same
// request racing with itself makes one entry and succeeds every time.
func testCreateTokenRace(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	_, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	const writers = 6
	creates := func(entry func(i int) access.AccessEntry) []error {
		return race(writers, func(i int) func() error {
			e := entry(i)
			return func() error { return s.CreateEntry(e) }
		})
	}

	errs := creates(func(i int) access.AccessEntry {
		return withToken(Entry(t, RoleARN(fmt.Sprintf("Racer%d", i))), "shared")
	})
	winner := onlyWinner(t, "requests with one token", errs, isInvalidRequest, "InvalidRequestException")
	if winner < 0 {
		t.Fatal("no request succeeded")
	}
	page, _, err := s.ListEntries(0, "")
	mustNil(t, err)
	if len(page) != 1 || page[0].PrincipalARN != RoleARN(fmt.Sprintf("Racer%d", winner)) {
		t.Fatalf("entries %+v, want the winner's (%d) only", page, winner)
	}

	for i, err := range creates(func(int) access.AccessEntry { return withToken(Entry(t, RoleARN("Same"), "g"), "same") }) {
		if err != nil {
			t.Errorf("the same request, attempt %d: %v", i, err)
		}
	}
	got, err := s.GetEntry(RoleARN("Same"))
	mustNil(t, err)
	if got.ClientRequestToken != "same" || !reflect.DeepEqual(got.KubernetesGroups, []string{"g"}) {
		t.Errorf("entry %+v", got)
	}
}

// testUpdateTokens: an UpdateAccessEntry sent again with its token returns
// the entry it made and writes nothing; the token with another update of
// the entry is refused, also when the two race.
func testUpdateTokens(t *testing.T, open func(t *testing.T) store.Port) {
	s := open(t)
	_, err := s.PutCluster(Config(), 0)
	mustNil(t, err)
	mustNil(t, s.CreateEntry(Entry(t, RoleARN("Dev"))))
	ops := []string{"ops"}
	req := access.UpdateEntryRequest{KubernetesGroups: &ops, ClientRequestToken: "u1"}
	first, err := s.UpdateEntry(RoleARN("Dev"), req, T0.Add(time.Minute))
	mustNil(t, err)
	gen := s.Generation()
	again, err := s.UpdateEntry(RoleARN("Dev"), req, T0.Add(time.Hour))
	mustNil(t, err)
	if !reflect.DeepEqual(again, first) || s.Generation() != gen {
		t.Errorf("sent again: %+v (generation %d -> %d), want %+v and no write", again, gen, s.Generation(), first)
	}
	other := []string{"other"}
	_, err = s.UpdateEntry(RoleARN("Dev"), access.UpdateEntryRequest{KubernetesGroups: &other, ClientRequestToken: "u1"}, T0)
	wantType(t, err, access.InvalidRequestException)

	const writers = 6
	errs := race(writers, func(i int) func() error {
		groups := []string{fmt.Sprintf("g%d", i)}
		return func() error {
			_, err := s.UpdateEntry(RoleARN("Dev"), access.UpdateEntryRequest{KubernetesGroups: &groups, ClientRequestToken: "u2"}, T0)
			return err
		}
	})
	winner := onlyWinner(t, "updates with one token", errs, isInvalidRequest, "InvalidRequestException")
	got, err := s.GetEntry(RoleARN("Dev"))
	mustNil(t, err)
	if winner < 0 || !reflect.DeepEqual(got.KubernetesGroups, []string{fmt.Sprintf("g%d", winner)}) {
		t.Errorf("winner %d, stored groups %v", winner, got.KubernetesGroups)
	}
}

func isInvalidRequest(err error) bool { return access.TypeOf(err) == access.InvalidRequestException }
