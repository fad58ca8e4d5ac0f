package decisionlog

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLogBoundedOldestFirst(t *testing.T) {
	l := New(3)
	for i := 1; i <= 5; i++ {
		l.Add(Record{Username: fmt.Sprint(i)})
	}
	got := l.Query(Filter{}, 0)
	if len(got) != 3 || got[0].Username != "3" || got[2].Username != "5" || got[2].Seq != 5 {
		t.Fatalf("Query = %+v", got)
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d", l.Len())
	}
	if got := l.Query(Filter{}, 2); len(got) != 2 || got[0].Username != "4" {
		t.Fatalf("limit keeps newest: %+v", got)
	}
}

func TestFilter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := Record{Seq: 7, Time: t0, Decision: Denied, ARN: "arn:aws:sts::111122223333:assumed-role/Admin/alice", CanonicalARN: "arn:aws:iam::111122223333:role/Admin", Username: "alice", Code: "ARN_NOT_MAPPED", Error: "ARN is not mapped"}
	tests := []struct {
		name string
		f    Filter
		want bool
	}{
		{"empty", Filter{}, true},
		{"username", Filter{Username: "alice"}, true},
		{"other username", Filter{Username: "bob"}, false},
		{"arn substring", Filter{ARN: "ROLE/admin"}, true},
		{"arn pattern", Filter{ARN: "arn:aws:sts::*:assumed-role/*/alice"}, true},
		{"arn pattern miss", Filter{ARN: "arn:aws:iam::*:user/*"}, false},
		{"decision", Filter{Decision: Granted}, false},
		{"code", Filter{Code: "ARN_NOT_MAPPED"}, true},
		{"reason", Filter{Reason: "not MAPPED"}, true},
		{"since before", Filter{Since: t0.Add(-time.Minute)}, true},
		{"since after", Filter{Since: t0.Add(time.Minute)}, false},
		{"after seq", Filter{AfterSeq: 7}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(r); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChangedWakesFollowers(t *testing.T) {
	l := New(4)
	ch := l.Changed()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); <-ch }()
	l.Add(Record{})
	wg.Wait()
	select {
	case <-l.Changed():
		t.Fatal("a fresh Changed channel must not be closed yet")
	default:
	}
}

func TestConcurrentAdd(t *testing.T) {
	l := New(100)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				l.Add(Record{})
				l.Query(Filter{}, 5)
			}
		}()
	}
	wg.Wait()
	recs := l.Query(Filter{}, 0)
	if len(recs) != 100 || recs[99].Seq != 400 {
		t.Fatalf("got %d records, last seq %d", len(recs), recs[len(recs)-1].Seq)
	}
}
