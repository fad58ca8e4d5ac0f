package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// haCluster starts two kube-apiservers on one etcd, each wired to its own
// kubeiam replica process on the kubernetes store (issue 12, "Several
// replicas").
func haCluster(t *testing.T) *harness.HA {
	t.Helper()
	apiserver, etcd, crds := ownControlPlaneParts(t)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	h, err := harness.StartHA(ctx, harness.HAOptions{Dir: t.TempDir(), KubeAPIServer: apiserver, Etcd: etcd,
		Kubeiam: kubeiamBinary(), TokenPlugin: harness.TokenPluginNextTo(kubeiamBinary()), CRDDir: crds, Replicas: 2})
	if err != nil {
		t.Fatalf("start two replicas: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Errorf("stop the control plane: %v", err)
		}
	})
	return h
}

// eksCall is the outcome of one access-management API call.
type eksCall struct {
	Status  int
	ErrType string
	Body    []byte
	Err     error // transport error: the call was not acknowledged
}

// replicaAPI calls one replica's EKS-compatible API over TLS with an API
// token of the creator's.
type replicaAPI struct {
	r      *harness.Replica
	client *http.Client
	bearer string
	path   string // /clusters/NAME
}

func newReplicaAPI(t *testing.T, h *harness.HA, r *harness.Replica, bearer string) *replicaAPI {
	t.Helper()
	client, err := r.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	return &replicaAPI{r: r, client: client, bearer: bearer, path: "/clusters/" + h.ClusterID}
}

func (a *replicaAPI) do(method, path string, body any) eksCall {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return eksCall{Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.r.URL+a.path+path, rd)
	if err != nil {
		return eksCall{Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+a.bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return eksCall{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return eksCall{Err: err}
	}
	return eksCall{Status: resp.StatusCode, ErrType: resp.Header.Get("X-Amzn-ErrorType"), Body: b}
}

func (a *replicaAPI) createEntry(principal string) eksCall {
	return a.do(http.MethodPost, "/access-entries", map[string]any{"principalArn": principal})
}

// entries lists every access entry's principal through this replica.
func (a *replicaAPI) entries(t *testing.T) map[string]bool {
	t.Helper()
	all := map[string]bool{}
	next := ""
	for {
		path := "/access-entries?maxResults=100"
		if next != "" {
			path += "&nextToken=" + next
		}
		c := a.do(http.MethodGet, path, nil)
		if c.Err != nil || c.Status != http.StatusOK {
			t.Fatalf("ListAccessEntries through replica %s: %v %d %s", a.r.Name, c.Err, c.Status, c.Body)
		}
		var page struct {
			AccessEntries []string `json:"accessEntries"`
			NextToken     string   `json:"nextToken"`
		}
		if err := json.Unmarshal(c.Body, &page); err != nil {
			t.Fatalf("ListAccessEntries: %v: %s", err, c.Body)
		}
		for _, p := range page.AccessEntries {
			all[p] = true
		}
		if page.NextToken == "" {
			return all
		}
		next = page.NextToken
	}
}

func (a *replicaAPI) mode(t *testing.T) string {
	t.Helper()
	c := a.do(http.MethodGet, "", nil)
	if c.Err != nil || c.Status != http.StatusOK {
		t.Fatalf("DescribeCluster through replica %s: %v %d %s", a.r.Name, c.Err, c.Status, c.Body)
	}
	var out struct {
		Cluster struct {
			AccessConfig struct {
				AuthenticationMode string `json:"authenticationMode"`
			} `json:"accessConfig"`
		} `json:"cluster"`
	}
	if err := json.Unmarshal(c.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Cluster.AccessConfig.AuthenticationMode
}

func (a *replicaAPI) setMode(mode string) eksCall {
	return a.do(http.MethodPost, "/update-config", map[string]any{"accessConfig": map[string]string{"authenticationMode": mode}})
}

// apiToken mints an API-audience token for the profile.
func apiToken(t *testing.T, h *harness.HA, profile string) string {
	t.Helper()
	p, ok := h.Profile(profile)
	if !ok {
		t.Fatalf("no profile %s", profile)
	}
	tok, err := tokengen.Generate(context.Background(), credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, ""),
		tokengen.Options{ClusterID: h.ClusterID, Region: harness.Region, Audience: token.AudienceAPI, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Value
}

// TestReplicas: issue 12, "Several replicas", on two kube-apiservers sharing
// one etcd, each wired to its own kubeiam replica process, both on the
// kubernetes store. The steps share the control plane and run in order (the
// authentication mode only moves forwards).
func TestReplicas(t *testing.T) {
	h := haCluster(t)
	a, b := h.Replicas[0], h.Replicas[1]
	bearer := apiToken(t, h, localsts.DevCreatorUser)
	apiA, apiB := newReplicaAPI(t, h, a, bearer), newReplicaAPI(t, h, b, bearer)
	account := localsts.DevAccount

	t.Run("concurrent mode changes through both replicas: no lost update", func(t *testing.T) {
		if m := apiA.mode(t); m != "CONFIG_MAP" {
			t.Fatalf("initial mode %s, want CONFIG_MAP", m)
		}
		// A asks for the next step while B asks for the end state. Whatever
		// the interleaving, the stored mode is the one the last acknowledged
		// change set: API when B's change was acknowledged, else
		// API_AND_CONFIG_MAP; a change acknowledged and then lost would
		// leave the other.
		var wg sync.WaitGroup
		start := make(chan struct{})
		var toBoth, toAPI eksCall
		wg.Add(2)
		go func() { defer wg.Done(); <-start; toBoth = apiA.setMode("API_AND_CONFIG_MAP") }()
		go func() { defer wg.Done(); <-start; toAPI = apiB.setMode("API") }()
		close(start)
		wg.Wait()
		ok := func(c eksCall) bool { return c.Err == nil && c.Status == http.StatusOK }
		t.Logf("through A to API_AND_CONFIG_MAP: %d %s; through B to API: %d %s", toBoth.Status, toBoth.ErrType, toAPI.Status, toAPI.ErrType)
		want := ""
		switch {
		case ok(toAPI):
			want = "API"
		case ok(toBoth):
			want = "API_AND_CONFIG_MAP"
		default:
			t.Fatalf("both mode changes refused: %s / %s", toBoth.Body, toAPI.Body)
		}
		for _, api := range []*replicaAPI{apiA, apiB} {
			eventually(t, "replica "+api.r.Name+" reports mode "+want, func() string {
				if m := api.mode(t); m != want {
					return m
				}
				return ""
			})
		}
	})

	t.Run("concurrent creates of one principal through both replicas: exactly one wins", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			principal := fmt.Sprintf("arn:aws:iam::%s:role/race-%d", account, i)
			calls := raceReplicas([]*replicaAPI{apiA, apiB}, func(_ int, api *replicaAPI) eksCall { return api.createEntry(principal) })
			// EKS API reference, CreateAccessEntry errors:
			// ResourceInUseException (HTTP 409) for an existing entry.
			oneWinsOneLoses(t, principal, calls, http.StatusConflict, "ResourceInUseException")
		}
	})

	t.Run("one clientRequestToken, different requests through both replicas: exactly one wins", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			token := fmt.Sprintf("replica-token-%d", i)
			calls := raceReplicas([]*replicaAPI{apiA, apiB}, func(j int, api *replicaAPI) eksCall {
				body := map[string]any{"principalArn": fmt.Sprintf("arn:aws:iam::%s:role/token-%d-%d", account, i, j), "clientRequestToken": token}
				return api.do(http.MethodPost, "/access-entries", body)
			})
			oneWinsOneLoses(t, token, calls, http.StatusBadRequest, "InvalidRequestException")
		}
	})

	t.Run("an entry created through replica A is enforced through API server B", func(t *testing.T) {
		dev, ok := h.Profile(localsts.DevDeveloperUser)
		if !ok {
			t.Fatal("no developer profile")
		}
		devB := b.Kubeconfig(localsts.DevDeveloperUser)
		if r := run(t, h.Env(localsts.DevDeveloperUser), kubectlPath, "--kubeconfig", devB, "get", "pods", "-n", "default"); r.Code == 0 {
			t.Fatal("the unmapped developer listed pods through API server B")
		}
		created := time.Now()
		if c := apiA.createEntry(dev.ARN); c.Err != nil || c.Status != http.StatusOK {
			t.Fatalf("CreateAccessEntry through A: %v %d %s", c.Err, c.Status, c.Body)
		}
		c := apiA.do(http.MethodPost, "/access-entries/"+url.PathEscape(dev.ARN)+"/access-policies", map[string]any{
			"policyArn":   "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
			"accessScope": map[string]any{"type": "cluster"},
		})
		if c.Err != nil || c.Status != http.StatusOK {
			t.Fatalf("AssociateAccessPolicy through A: %v %d %s", c.Err, c.Status, c.Body)
		}
		associated := time.Now()
		var visible time.Duration
		eventually(t, "replica B's API shows the entry", func() string {
			if !apiB.entries(t)[dev.ARN] {
				return "absent"
			}
			visible = time.Since(associated)
			return ""
		})
		var attempts int
		eventually(t, "kubectl through API server B allowed", func() string {
			attempts++
			r := run(t, h.Env(localsts.DevDeveloperUser), kubectlPath, "--kubeconfig", devB, "get", "pods", "-n", "default")
			if r.Code != 0 {
				return "refused: " + r.Stderr
			}
			return ""
		})
		enforced := time.Since(associated)
		// The figure the issue asks for, reported rather than asserted (no
		// timing assertions on a shared machine): README "Several replicas".
		t.Logf("entry created through replica A: in replica B's API %v after the association was acknowledged; "+
			"kubectl through API server B allowed %v after it (%v after the create), %d kubectl runs "+
			"(each run starts kubectl and the token plugin, so this is an upper bound)",
			visible.Round(time.Millisecond), enforced.Round(time.Millisecond), time.Since(created).Round(time.Millisecond), attempts)
	})

	t.Run("SIGKILL replica A during 200 concurrent writes: every acknowledged write survives", func(t *testing.T) {
		const writes, workers, killAfter = 200, 16, 60
		var acked sync.Map
		var nAcked atomic.Int32
		killed := make(chan struct{})
		var killOnce sync.Once
		jobs := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					principal := fmt.Sprintf("arn:aws:iam::%s:role/write-%03d", account, i)
					c := apiA.createEntry(principal)
					switch {
					case c.Err == nil && c.Status == http.StatusOK:
						acked.Store(principal, true)
						if nAcked.Add(1) == killAfter {
							killOnce.Do(func() {
								go func() {
									if err := a.Kill(); err != nil {
										t.Errorf("kill replica A: %v", err)
									}
									close(killed)
								}()
							})
						}
					case c.Err != nil:
						// Not acknowledged: the replica died under it.
					default:
						// An answer that is not a success is not an
						// acknowledged write; a server error before the
						// kill would be a bug.
						select {
						case <-killed:
						default:
							t.Errorf("%s: %d %s %s", principal, c.Status, c.ErrType, c.Body)
						}
					}
				}
			}()
		}
		for i := 0; i < writes; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		select {
		case <-killed:
		case <-time.After(time.Minute):
			t.Fatalf("replica A was never killed: only %d writes acknowledged", nAcked.Load())
		}
		t.Logf("%d of %d writes acknowledged before and while replica A was killed", nAcked.Load(), writes)

		var missing []string
		onB := apiB.entries(t)
		acked.Range(func(k, _ any) bool {
			if !onB[k.(string)] {
				missing = append(missing, k.(string))
			}
			return true
		})
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Fatalf("%d acknowledged writes are missing through replica B: %s", len(missing), strings.Join(missing, ", "))
		}

		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if err := a.Start(ctx); err != nil {
			t.Fatalf("replica A did not restart cleanly: %v", err)
		}
		eventually(t, "replica A, restarted, lists what replica B lists", func() string {
			onA, onB := apiA.entries(t), apiB.entries(t)
			if len(onA) != len(onB) {
				return fmt.Sprintf("%d entries through A, %d through B", len(onA), len(onB))
			}
			for p := range onB {
				if !onA[p] {
					return "A lacks " + p
				}
			}
			return ""
		})
		// The restarted replica serves writes again.
		if c := apiA.createEntry(fmt.Sprintf("arn:aws:iam::%s:role/after-restart", account)); c.Err != nil || c.Status != http.StatusOK {
			t.Errorf("CreateAccessEntry through the restarted replica A: %v %d %s", c.Err, c.Status, c.Body)
		}
	})
}

// raceReplicas makes one call through each replica at the same instant
// and returns their answers in the replicas' order.
func raceReplicas(apis []*replicaAPI, call func(j int, api *replicaAPI) eksCall) []eksCall {
	var wg sync.WaitGroup
	start := make(chan struct{})
	calls := make([]eksCall, len(apis))
	for j, api := range apis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			calls[j] = call(j, api)
		}()
	}
	close(start)
	wg.Wait()
	return calls
}

// oneWinsOneLoses checks that exactly one call succeeded and exactly one
// was refused with the given status and EKS error type.
func oneWinsOneLoses(t *testing.T, what string, calls []eksCall, lostStatus int, lostType string) {
	t.Helper()
	var won, lost int
	for _, c := range calls {
		switch {
		case c.Err == nil && c.Status == http.StatusOK:
			won++
		case c.Err == nil && c.Status == lostStatus && c.ErrType == lostType:
			lost++
		default:
			t.Errorf("%s: unexpected answer %d %s %v %s", what, c.Status, c.ErrType, c.Err, c.Body)
		}
	}
	if won != 1 || lost != 1 {
		t.Errorf("%s: %d calls won and %d got %s, want exactly 1 and 1", what, won, lost, lostType)
	}
}
