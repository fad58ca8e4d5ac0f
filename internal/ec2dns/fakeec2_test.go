package ec2dns_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubeiam/kubeiam/internal/ec2dns"
)

// fakeEC2 is an EC2 Query API endpoint on loopback that answers
// DescribeInstances the way EC2 does, including failing the whole call
// with InvalidInstanceID.NotFound when any ID is unknown.
type fakeEC2 struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	instances map[string]string // instance ID → private DNS name
	calls     [][]string        // the InstanceId.N of each call, in order
	// fail, when set, answers a call with an EC2 error instead
	// (status 0: a body that is not XML, with HTTP 502; status -1: no
	// failure, answer normally).
	fail func(ids []string) (status int, code string)
	// hang, when set, makes calls wait until the client gives up.
	hang bool
}

const (
	testAccessKey = "AKIDEXAMPLETEST"
	testRegion    = "us-east-1"
)

func newFakeEC2(t *testing.T, instances map[string]string) *fakeEC2 {
	t.Helper()
	f := &fakeEC2{t: t, instances: map[string]string{}}
	for id, name := range instances {
		f.instances[id] = name
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEC2) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	// The SDK must sign with the static credentials for the configured region.
	wantCred := "AWS4-HMAC-SHA256 Credential=" + testAccessKey + "/"
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, wantCred) || !strings.Contains(auth, "/"+testRegion+"/ec2/aws4_request") {
		writeError(w, http.StatusUnauthorized, "AuthFailure")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "DescribeInstances" {
		writeError(w, http.StatusBadRequest, "InvalidAction")
		return
	}
	var ids []string
	for n := 1; r.PostForm.Has("InstanceId." + strconv.Itoa(n)); n++ {
		ids = append(ids, r.PostForm.Get("InstanceId."+strconv.Itoa(n)))
	}
	f.mu.Lock()
	f.calls = append(f.calls, ids)
	fail, hang := f.fail, f.hang
	f.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if fail != nil {
		status, code := fail(ids)
		switch {
		case status < 0:
			f.describe(w, ids)
			return
		case status == 0:
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			return
		}
		writeError(w, status, code)
		return
	}
	f.describe(w, ids)
}

func (f *fakeEC2) describe(w http.ResponseWriter, ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if _, ok := f.instances[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 1 {
		writeErrorMessage(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", missing[0]))
		return
	}
	if len(missing) > 1 {
		writeErrorMessage(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", fmt.Sprintf("The instance IDs '%s' do not exist", strings.Join(missing, ", ")))
		return
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>`)
	for _, id := range ids {
		fmt.Fprintf(&b, `
    <item><reservationId>r-0123456789abcdef0</reservationId><ownerId>111122223333</ownerId>
      <instancesSet><item>
        <instanceId>%s</instanceId>
        <instanceState><code>16</code><name>running</name></instanceState>
        <privateDnsName>%s</privateDnsName>
        <privateIpAddress>10.0.0.1</privateIpAddress>
      </item></instancesSet>
    </item>`, html.EscapeString(id), html.EscapeString(f.instances[id]))
	}
	b.WriteString(`
  </reservationSet>
</DescribeInstancesResponse>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = w.Write([]byte(b.String()))
}

func writeError(w http.ResponseWriter, status int, code string) {
	writeErrorMessage(w, status, code, "fake EC2 says "+code)
}

func writeErrorMessage(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`,
		html.EscapeString(code), html.EscapeString(msg))
}

// Calls returns a copy of the calls so far, each call's IDs sorted.
func (f *fakeEC2) Calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = slices.Sorted(slices.Values(c))
	}
	return out
}

func (f *fakeEC2) setInstance(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instances[id] = name
}

func (f *fakeEC2) setFail(fn func([]string) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

// clock is a settable clock for cache expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newResolver returns a Resolver using the real SDK client against f, with
// one attempt per call so that calls can be counted, and a settable clock.
func newResolver(t *testing.T, f *fakeEC2, mut func(*ec2dns.Config)) (*ec2dns.Resolver, *clock, *prometheus.Registry) {
	t.Helper()
	client, err := ec2dns.NewClient(context.Background(), ec2dns.ClientConfig{
		Region: testRegion, Endpoint: f.srv.URL, MaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, "secret-key-for-tests", ""),
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	clk := newClock()
	reg := prometheus.NewRegistry()
	cfg := ec2dns.Config{Client: client, Now: clk.Now, Metrics: reg, BatchWindow: time.Millisecond}
	if mut != nil {
		mut(&cfg)
	}
	r, err := ec2dns.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r, clk, reg
}

// metric returns the value of a counter or gauge with the given label
// value (or no labels when label is ""), 0 when absent.
func metric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}
