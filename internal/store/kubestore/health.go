package kubestore

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// watchHealth tracks since when listing or watching has been failing.
type watchHealth struct {
	now func() time.Time

	mu      sync.Mutex
	since   map[string]time.Time
	lastErr error
}

// record notes the outcome of a list or watch call of resource.
func (h *watchHealth) record(resource string, err error) {
	if err != nil {
		h.failed(resource, err)
		return
	}
	h.mu.Lock()
	delete(h.since, resource)
	h.mu.Unlock()
}

// failed notes a failure of resource's list or watch.
func (h *watchHealth) failed(resource string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.since == nil {
		h.since = make(map[string]time.Time)
	}
	if _, ok := h.since[resource]; !ok {
		h.since[resource] = h.now()
	}
	h.lastErr = fmt.Errorf("%s: %w", resource, err)
}

func (h *watchHealth) brokenFor() (time.Duration, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var longest time.Duration
	for _, t := range h.since {
		if d := h.now().Sub(t); d > longest {
			longest = d
		}
	}
	if len(h.since) == 0 {
		return 0, nil
	}
	return longest, h.lastErr
}

func parseRV(rv string) (uint64, error) {
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("resource version %q is not a number: %w", rv, err)
	}
	return n, nil
}
