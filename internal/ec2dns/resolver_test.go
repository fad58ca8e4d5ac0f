package ec2dns_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/ec2dns"
	"github.com/kubeiam/kubeiam/internal/identity"
)

const (
	nodeA = "i-0aaaaaaaaaaaaaaa1"
	nodeB = "i-0bbbbbbbbbbbbbbb2"
	nodeC = "i-0ccccccccccccccc3"
	dnsA  = "ip-10-0-0-1.ec2.internal"
	dnsB  = "ip-10-0-0-2.ec2.internal"
	dnsC  = "ip-10-0-0-3.us-west-2.compute.internal"
)

var threeNodes = map[string]string{nodeA: dnsA, nodeB: dnsB, nodeC: dnsC}

// instanceID returns a distinct valid instance ID.
func instanceID(n int) string { return fmt.Sprintf("i-%017x", n) }

// lookupAll looks up every ID concurrently and returns the answers by ID.
func lookupAll(r *ec2dns.Resolver, ids []string) (map[string]string, map[string]error) {
	var mu sync.Mutex
	names, errs := map[string]string{}, map[string]error{}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			name, err := r.Lookup(context.Background(), id)
			mu.Lock()
			defer mu.Unlock()
			names[id], errs[id] = name, err
		})
	}
	wg.Wait()
	return names, errs
}

func TestLookupBatchesConcurrentLookupsIntoOneCall(t *testing.T) {
	const n = 25
	instances := map[string]string{}
	var ids []string
	for i := range n {
		id := instanceID(i + 1)
		ids = append(ids, id)
		instances[id] = fmt.Sprintf("ip-10-0-1-%d.ec2.internal", i+1)
	}
	f := &memEC2{instances: instances}
	// A full batch is sent at once; the window never ends during the test,
	// so the batch is full only if all n lookups joined it.
	r, err := ec2dns.New(ec2dns.Config{Client: f, Now: newClock().Now, Metrics: prometheus.NewRegistry(), MaxBatch: n, BatchWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	names, errs := lookupAll(r, ids)
	for _, id := range ids {
		if errs[id] != nil || names[id] != instances[id] {
			t.Errorf("Lookup(%s) = %q, %v; want %q", id, names[id], errs[id], instances[id])
		}
	}
	calls := f.Calls()
	if len(calls) != 1 || !slices.Equal(calls[0], slices.Sorted(slices.Values(ids))) {
		t.Fatalf("calls = %v; want one DescribeInstances naming all %d instances", calls, n)
	}
}

func TestLookupSplitsBatchesAtMaxBatch(t *testing.T) {
	instances := map[string]string{}
	var ids []string
	for i := range 6 {
		id := instanceID(i + 1)
		ids = append(ids, id)
		instances[id] = fmt.Sprintf("ip-10-0-2-%d.ec2.internal", i+1)
	}
	f := newFakeEC2(t, instances)
	r, _, _ := newResolver(t, f, func(c *ec2dns.Config) { c.MaxBatch, c.BatchWindow = 3, time.Hour })

	if _, errs := lookupAll(r, ids); errors.Join(mapValues(errs)...) != nil {
		t.Fatalf("lookups failed: %v", errs)
	}
	calls := f.Calls()
	if len(calls) != 2 || len(calls[0]) != 3 || len(calls[1]) != 3 {
		t.Fatalf("calls = %v; want two calls of 3 instances", calls)
	}
}

func TestLookupWindowSendsAPartialBatch(t *testing.T) {
	f := newFakeEC2(t, threeNodes)
	r, _, _ := newResolver(t, f, nil) // MaxBatch 100, window 1ms
	if name, err := r.Lookup(context.Background(), nodeA); err != nil || name != dnsA {
		t.Fatalf("Lookup = %q, %v; want %q", name, err, dnsA)
	}
	if calls := f.Calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{nodeA}) {
		t.Fatalf("calls = %v; want one call naming %s", calls, nodeA)
	}
}

func TestLookupIdenticalConcurrentLookupsShareOneEntry(t *testing.T) {
	const n = 10
	f := newFakeEC2(t, threeNodes)
	r, _, reg := newResolver(t, f, func(c *ec2dns.Config) { c.MaxBatch, c.BatchWindow = 2, time.Hour })

	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		wg.Go(func() {
			name, err := r.Lookup(context.Background(), nodeA)
			if err != nil {
				t.Errorf("Lookup: %v", err)
			}
			results[i] = name
		})
	}
	// Wait until every lookup has joined (one miss, the rest shared); only
	// then does a second instance fill the batch and send it.
	for lookups(t, reg, "miss")+lookups(t, reg, "shared") < n {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	if name, err := r.Lookup(context.Background(), nodeB); err != nil || name != dnsB {
		t.Fatalf("Lookup(%s) = %q, %v", nodeB, name, err)
	}
	wg.Wait()
	for i, name := range results {
		if name != dnsA {
			t.Errorf("lookup %d = %q, want %q", i, name, dnsA)
		}
	}
	if calls := f.Calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{nodeA, nodeB}) {
		t.Fatalf("calls = %v; want one call naming each instance once", calls)
	}
	if got := lookups(t, reg, "shared"); got != n-1 {
		t.Errorf("shared lookups = %v, want %d", got, n-1)
	}
}

func TestLookupCachesNamesUntilTheTTL(t *testing.T) {
	f := newFakeEC2(t, threeNodes)
	r, clk, reg := newResolver(t, f, func(c *ec2dns.Config) { c.TTL = 10 * time.Minute })
	mustLookup(t, r, nodeA, dnsA)
	mustLookup(t, r, nodeA, dnsA)
	clk.Advance(10*time.Minute - time.Second)
	mustLookup(t, r, nodeA, dnsA)
	if calls := len(f.Calls()); calls != 1 {
		t.Fatalf("%d calls before the TTL; want 1", calls)
	}
	if hits := lookups(t, reg, "hit"); hits != 2 {
		t.Errorf("cache hits = %v, want 2", hits)
	}
	clk.Advance(time.Second)
	mustLookup(t, r, nodeA, dnsA)
	if calls := len(f.Calls()); calls != 2 {
		t.Fatalf("%d calls after the TTL; want 2", calls)
	}
}

func TestLookupNotFoundIsCachedBriefly(t *testing.T) {
	f := newFakeEC2(t, nil)
	r, clk, reg := newResolver(t, f, func(c *ec2dns.Config) { c.NegativeTTL = 30 * time.Second })
	for range 2 {
		_, err := r.Lookup(context.Background(), nodeA)
		if !errors.Is(err, ec2dns.ErrNotFound) || !errors.Is(err, awsauth.ErrEC2DNSUnavailable) {
			t.Fatalf("Lookup(unknown) = %v; want ErrNotFound and awsauth.ErrEC2DNSUnavailable", err)
		}
		if want := "ec2 DescribeInstances " + nodeA + ": instance not found (InvalidInstanceID.NotFound, HTTP 400)"; err.Error() != want {
			t.Errorf("error text = %q\nwant %q", err, want)
		}
	}
	if calls := len(f.Calls()); calls != 1 {
		t.Fatalf("%d calls; want 1: not found is cached", calls)
	}
	if hits := lookups(t, reg, "negative_hit"); hits != 1 {
		t.Errorf("negative hits = %v, want 1", hits)
	}
	// The instance becomes visible; once the negative TTL passes it resolves.
	f.setInstance(nodeA, dnsA)
	clk.Advance(30 * time.Second)
	mustLookup(t, r, nodeA, dnsA)
	if calls := len(f.Calls()); calls != 2 {
		t.Fatalf("%d calls; want 2", calls)
	}
}

func TestLookupOneMissingInstanceDoesNotFailItsBatch(t *testing.T) {
	f := newFakeEC2(t, map[string]string{nodeA: dnsA, nodeC: dnsC})
	r, _, _ := newResolver(t, f, func(c *ec2dns.Config) { c.MaxBatch, c.BatchWindow = 3, time.Hour })
	names, errs := lookupAll(r, []string{nodeA, nodeB, nodeC})
	if names[nodeA] != dnsA || names[nodeC] != dnsC || errs[nodeA] != nil || errs[nodeC] != nil {
		t.Errorf("existing instances: %v, %v", names, errs)
	}
	if !errors.Is(errs[nodeB], ec2dns.ErrNotFound) {
		t.Errorf("Lookup(%s) = %v; want ErrNotFound", nodeB, errs[nodeB])
	}
	// EC2 names the missing instance; the others are asked again.
	want := [][]string{{nodeA, nodeB, nodeC}, {nodeA, nodeC}}
	if calls := f.Calls(); !slices.EqualFunc(calls, want, slices.Equal) {
		t.Fatalf("calls = %v; want %v", calls, want)
	}
}

func TestLookupSplitsABatchWhenEC2DoesNotNameTheMissingInstance(t *testing.T) {
	f := newFakeEC2(t, map[string]string{nodeA: dnsA, nodeC: dnsC})
	// Not found, in words that name no instance, whenever B is asked about.
	f.setFail(func(ids []string) (int, string) {
		if slices.Contains(ids, nodeB) {
			return 400, "InvalidInstanceID.NotFound"
		}
		return -1, ""
	})
	r, _, _ := newResolver(t, f, func(c *ec2dns.Config) { c.MaxBatch, c.BatchWindow = 3, time.Hour })
	names, errs := lookupAll(r, []string{nodeA, nodeB, nodeC})
	if names[nodeA] != dnsA || names[nodeC] != dnsC || !errors.Is(errs[nodeB], ec2dns.ErrNotFound) {
		t.Fatalf("answers %v, %v; want A and C named, B not found", names, errs)
	}
	// Halving until B is alone: at most 1 + 2 + 2 calls for 3 instances,
	// each retry naming fewer instances than the first call.
	calls := f.Calls()
	if len(calls) > 5 {
		t.Errorf("calls = %v; want at most 5", calls)
	}
	for _, c := range calls[1:] {
		if len(c) >= 3 {
			t.Errorf("calls = %v; a retry named the whole batch again", calls)
		}
	}
}

func TestLookupInstanceWithoutPrivateDNSNameIsNotFound(t *testing.T) {
	f := newFakeEC2(t, map[string]string{nodeA: ""})
	r, _, _ := newResolver(t, f, nil)
	_, err := r.Lookup(context.Background(), nodeA)
	if !errors.Is(err, ec2dns.ErrNotFound) || !strings.Contains(err.Error(), "no private DNS name") {
		t.Fatalf("Lookup = %v; want ErrNotFound naming the missing private DNS name", err)
	}
}

func TestLookupClassifiesFailures(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		code       string
		dns        string // the instance's private DNS name when EC2 answers
		class      error
		outcome    string
		text       string
		wantEC2Err bool
	}{
		{name: "RequestLimitExceeded is throttling", status: 503, code: "RequestLimitExceeded",
			class: ec2dns.ErrThrottled, outcome: "throttled", text: "throttled (RequestLimitExceeded, HTTP 503)", wantEC2Err: true},
		{name: "HTTP 429 is throttling", status: 429, code: "SlowDown",
			class: ec2dns.ErrThrottled, outcome: "throttled", text: "throttled (SlowDown, HTTP 429)", wantEC2Err: true},
		{name: "an internal error is unavailable", status: 500, code: "InternalError",
			class: ec2dns.ErrUnavailable, outcome: "unavailable", text: "unavailable (InternalError, HTTP 500)", wantEC2Err: true},
		{name: "a non-XML 502 is unavailable", status: 0,
			class: ec2dns.ErrUnavailable, outcome: "unavailable", text: "unavailable", wantEC2Err: true},
		{name: "no permission for DescribeInstances is unavailable", status: 403, code: "UnauthorizedOperation",
			class: ec2dns.ErrUnavailable, outcome: "unavailable", text: "unavailable (UnauthorizedOperation, HTTP 403)", wantEC2Err: true},
		{name: "a malformed private DNS name is unavailable", dns: "Evil:Name",
			class: ec2dns.ErrUnavailable, outcome: "unavailable", text: "unavailable (malformed private DNS name)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEC2(t, map[string]string{nodeA: tt.dns})
			if tt.wantEC2Err {
				f.setFail(func([]string) (int, string) { return tt.status, tt.code })
			}
			r, _, reg := newResolver(t, f, nil)
			for range 2 {
				_, err := r.Lookup(context.Background(), nodeA)
				if !errors.Is(err, tt.class) || !errors.Is(err, awsauth.ErrEC2DNSUnavailable) {
					t.Fatalf("Lookup = %v; want %v and awsauth.ErrEC2DNSUnavailable", err, tt.class)
				}
				if got := ec2dns.Classify(err); got != tt.outcome {
					t.Errorf("Classify = %q, want %q", got, tt.outcome)
				}
				if want := "ec2 DescribeInstances " + nodeA + ": " + tt.text; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("error text = %q, want prefix %q", err, want)
				}
				if strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "fake EC2 says") {
					t.Errorf("error text %q quotes the endpoint or EC2's message; it is public", err)
				}
			}
			if calls := len(f.Calls()); calls != 2 {
				t.Errorf("%d calls; want 2: failures other than not found are not cached", calls)
			}
			// A malformed name comes in a successful call.
			callOutcome := tt.outcome
			if !tt.wantEC2Err {
				callOutcome = ec2dns.OutcomeOK
			}
			if got := metric(t, reg, "kubeiam_ec2_describe_instances_calls_total", callOutcome); got != 2 {
				t.Errorf("calls_total{outcome=%q} = %v, want 2", callOutcome, got)
			}
		})
	}
}

func TestLookupTimeoutIsUnavailable(t *testing.T) {
	f := newFakeEC2(t, threeNodes)
	f.hang = true
	r, _, _ := newResolver(t, f, func(c *ec2dns.Config) { c.Timeout = 50 * time.Millisecond })
	_, err := r.Lookup(context.Background(), nodeA)
	if !errors.Is(err, ec2dns.ErrUnavailable) || !strings.Contains(err.Error(), "unavailable (timeout)") {
		t.Fatalf("Lookup = %v; want ErrUnavailable (timeout)", err)
	}
}

func TestLookupCallerGivingUpDoesNotCancelTheCall(t *testing.T) {
	f := newFakeEC2(t, threeNodes)
	r, _, reg := newResolver(t, f, func(c *ec2dns.Config) { c.MaxBatch, c.BatchWindow = 2, time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Lookup(ctx, nodeA); !errors.Is(err, ec2dns.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Lookup(canceled) = %v; want ErrUnavailable wrapping context.Canceled", err)
	}
	mustLookup(t, r, nodeB, dnsB) // fills the batch: one call for both
	mustLookup(t, r, nodeA, dnsA) // answered by that call, from the cache
	if calls := f.Calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{nodeA, nodeB}) {
		t.Fatalf("calls = %v; want one naming both", calls)
	}
	if hits := lookups(t, reg, "hit"); hits != 1 {
		t.Errorf("cache hits = %v, want 1", hits)
	}
}

func TestLookupCacheIsBounded(t *testing.T) {
	f := newFakeEC2(t, threeNodes)
	r, _, reg := newResolver(t, f, func(c *ec2dns.Config) { c.CacheSize = 2 })
	mustLookup(t, r, nodeA, dnsA)
	mustLookup(t, r, nodeB, dnsB)
	mustLookup(t, r, nodeC, dnsC) // evicts A, the least recently used
	mustLookup(t, r, nodeB, dnsB)
	mustLookup(t, r, nodeC, dnsC)
	if calls := len(f.Calls()); calls != 3 {
		t.Fatalf("%d calls; want 3", calls)
	}
	mustLookup(t, r, nodeA, dnsA)
	if calls := len(f.Calls()); calls != 4 {
		t.Fatalf("%d calls; want 4: A was evicted", calls)
	}
	if n := metric(t, reg, "kubeiam_ec2_private_dns_cache_entries", ""); n != 2 {
		t.Errorf("cache entries = %v, want 2", n)
	}
}

func TestInvalidInstanceIDsMakeNoCall(t *testing.T) {
	bad := []string{
		"", "i-", "i-0123", "i-0123456789", "i-0123456789abcdef", "i-0123456789abcdef01",
		"I-0123456789ABCDEF0", "i-0123456789ABCDEF0", "i-0123456789abcdefg", " i-0123456789abcdef0",
		"i-0123456789abcdef0 ", "i-0123456789abcdef0,i-0123456789abcdef1", "i-*", "i-01234567\n",
		"mi-0123456789abcdef0", "i-0123456789abcdef0&Action=RunInstances", "alice@example.com",
	}
	f := newFakeEC2(t, threeNodes)
	r, _, reg := newResolver(t, f, nil)
	for _, id := range bad {
		_, err := r.Lookup(context.Background(), id)
		if !errors.Is(err, ec2dns.ErrInvalidInstanceID) || errors.Is(err, awsauth.ErrEC2DNSUnavailable) {
			t.Errorf("Lookup(%q) = %v; want only ErrInvalidInstanceID", id, err)
		}
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Fatalf("calls = %v; want none", calls)
	}
	if got := lookups(t, reg, "invalid"); got != float64(len(bad)) {
		t.Errorf("invalid lookups = %v, want %d", got, len(bad))
	}
}

func TestResolverTakesTheInstanceIDFromTheSessionName(t *testing.T) {
	f := newFakeEC2(t, threeNodes)
	r, _, _ := newResolver(t, f, nil)
	tests := []struct {
		name    string
		id      identity.Identity
		want    string
		wantErr string
	}{
		{"an instance session", identity.Identity{SessionName: nodeA}, dnsA, ""},
		{"a user has no session", identity.Identity{ARN: "arn:aws:iam::111122223333:user/bob"}, "", "not an assumed-role session"},
		{"a session that is not an instance", identity.Identity{SessionName: "alice@example.com"}, "", `role session name "alice@example.com" is not an instance ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolver(tt.id)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Resolver = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ec2dns.ErrInvalidInstanceID) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resolver = %q, %v; want ErrInvalidInstanceID saying %q", got, err, tt.wantErr)
			}
		})
	}
	if calls := f.Calls(); len(calls) != 1 {
		t.Errorf("calls = %v; want only the instance session's", calls)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	f := newFakeEC2(t, nil)
	client, _ := ec2dns.NewClient(context.Background(), ec2dns.ClientConfig{Region: testRegion, Endpoint: f.srv.URL})
	reg := prometheus.NewRegistry()
	if _, err := ec2dns.New(ec2dns.Config{Client: client, Metrics: reg}); err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		name string
		cfg  ec2dns.Config
	}{
		{"no client", ec2dns.Config{}},
		{"batch too large", ec2dns.Config{Client: client, MaxBatch: 1001}},
		{"negative TTL", ec2dns.Config{Client: client, TTL: -time.Second}},
		{"metrics registered twice", ec2dns.Config{Client: client, Metrics: reg}},
	}
	for _, tt := range tests {
		if _, err := ec2dns.New(tt.cfg); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	if _, err := ec2dns.NewClient(context.Background(), ec2dns.ClientConfig{}); err == nil {
		t.Error("NewClient without a region succeeded")
	}
}

func mustLookup(t *testing.T, r *ec2dns.Resolver, id, want string) {
	t.Helper()
	if got, err := r.Lookup(context.Background(), id); err != nil || got != want {
		t.Fatalf("Lookup(%s) = %q, %v; want %q", id, got, err, want)
	}
}

func lookups(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	return metric(t, reg, "kubeiam_ec2_private_dns_lookups_total", result)
}

func mapValues(m map[string]error) []error {
	var out []error
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
