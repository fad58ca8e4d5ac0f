package storetest

import (
	"sync"
	"testing"
)

// race runs n writers at the same instant: prepare(i) builds writer i's
// call before the start, so that only the calls themselves race. It
// returns each call's error, in the writers' order.
func race(n int, prepare func(i int) func() error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		call := prepare(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call()
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// onlyWinner checks that at most one of the raced calls succeeded and that
// every other one lost as lost says (want names that loss), and returns
// the winner's index, or -1 when none won.
func onlyWinner(t *testing.T, what string, errs []error, lost func(error) bool, want string) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s %d and %d both succeeded", what, winner, i)
		case err == nil:
			winner = i
		case !lost(err):
			t.Fatalf("%s %d: %v, want %s", what, i, err, want)
		}
	}
	return winner
}
