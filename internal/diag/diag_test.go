package diag

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// tokenManagers authenticates manager calls by their bearer token through
// the real authentication chain, as api's bearer authenticator does.
type tokenManagers struct{ svc *authn.Service }

func (m tokenManagers) Authenticate(r *http.Request) (identity.Identity, error) {
	tok, ok := bearer(r)
	if !ok {
		return identity.Identity{}, errors.New("no bearer token")
	}
	out := m.svc.Authenticate(r.Context(), authn.Request{Token: tok})
	if !out.Authenticated {
		return identity.Identity{}, errors.New(out.PublicError)
	}
	return *out.Identity, nil
}

type fixture struct {
	sts       *authntest.STS
	url       string
	decisions *decisionlog.Log
	creator   string // a token of the creator, a manager
	developer string // a token of the developer, mapped but no manager
	admin     string // a token of the admin role, not mapped
	done      chan string
	now       func() time.Time
}

// start serves diag.New on loopback over the real authentication chain:
// local STS, STS verifier, authn.Service, a CONFIG_MAP snapshot mapping
// the developer.
func start(t *testing.T) *fixture {
	t.Helper()
	clock := authntest.NewClock()
	s := authntest.StartSTS(t, clock)
	snap := authntest.Snapshot(t, "CONFIG_MAP", map[string]string{
		awsauth.KeyMapUsers: "- userarn: " + authntest.DeveloperARN + "\n  username: developer\n  groups: [devs]\n",
	})
	mapper := authntest.NewMapper(snap, resolve.Options{})
	svc, err := authn.New(authn.Config{Verifier: s.Verifier(t, authntest.ClusterID), Mapper: mapper, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sts: s, decisions: decisionlog.New(100), done: make(chan string, 16), now: clock.Now}
	h := New(Config{
		Decisions: f.decisions, Tokens: svc, Snapshots: staticSnapshot{snap},
		Managers:    tokenManagers{svc},
		IsManager:   func(id identity.Identity) bool { return id.CanonicalARN == authntest.CreatorARN },
		ClusterName: "kubeiam-test", CreatorHint: true, Now: clock.Now,
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		select {
		case f.done <- r.URL.Path:
		default: // nobody is waiting for this one
		}
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.creator = s.Token(t, s.UserCredentials(t, localsts.DevCreatorUser), authntest.ClusterID)
	f.developer = s.Token(t, s.UserCredentials(t, localsts.DevDeveloperUser), authntest.ClusterID)
	f.admin = s.Token(t, s.AssumeRole(t, localsts.DevDeveloperUser, authntest.AdminRoleARN, "alice"), authntest.ClusterID)
	return f
}

type staticSnapshot struct{ s *resolve.Snapshot }

func (s staticSnapshot) Snapshot() *resolve.Snapshot { return s.s }

func (f *fixture) client(tok string) *Client { return &Client{BaseURL: f.url, Token: tok} }

func status(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func TestWhoami(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		tok      string
		authn    bool
		username string
		code     string
		creator  string
	}{
		{"the creator is the implicit administrator", f.creator, true, "kubernetes-admin", "MAPPED", ""},
		{"the developer maps through mapUsers", f.developer, true, "developer", "MAPPED", ""},
		{"an unmapped role session learns who the creator is", f.admin, false, "", "ARN_NOT_MAPPED", authntest.CreatorARN},
		{"a token for another cluster is reported as a wrong cluster ID",
			f.sts.Token(t, f.sts.UserCredentials(t, localsts.DevCreatorUser), "other-cluster"), false, "", "WRONG_CLUSTER_ID", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.client("").Whoami(ctx, tt.tok)
			if err != nil {
				t.Fatal(err)
			}
			if got.Authenticated != tt.authn || got.Username != tt.username || got.Code != tt.code || got.ClusterCreatorARN != tt.creator {
				t.Errorf("Whoami = %+v", got)
			}
			if got.TokenSHA256 != authn.TokenHash(tt.tok) {
				t.Errorf("token hash %q", got.TokenSHA256)
			}
		})
	}
	t.Run("no token is 401", func(t *testing.T) {
		if _, err := f.client("").Whoami(ctx, ""); status(err) != http.StatusUnauthorized {
			t.Errorf("err = %v", err)
		}
	})
}

func TestManagerEndpointsNeedAManager(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		tok  string
		want int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"an unmapped caller", f.admin, http.StatusUnauthorized},
		{"a mapped caller who is no manager", f.developer, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.client(tt.tok).Decisions(ctx, Query{}); status(err) != tt.want {
				t.Errorf("decisions: err = %v, want %d", err, tt.want)
			}
			if _, err := f.client(tt.tok).Explain(ctx, ExplainRequest{ARN: authntest.DeveloperARN}); status(err) != tt.want {
				t.Errorf("explain: err = %v, want %d", err, tt.want)
			}
		})
	}
	if _, err := f.client(f.creator).Decisions(ctx, Query{}); err != nil {
		t.Errorf("the creator: %v", err)
	}
	disabled := httptest.NewServer(New(Config{Decisions: f.decisions}))
	defer disabled.Close()
	c := &Client{BaseURL: disabled.URL, Token: f.creator}
	if _, err := c.Decisions(ctx, Query{}); status(err) != http.StatusForbidden {
		t.Errorf("without a manager check: err = %v, want 403", err)
	}
}

func seed(l *decisionlog.Log, at time.Time) {
	for _, r := range []decisionlog.Record{
		{Time: at.Add(-time.Hour), Decision: decisionlog.Granted, ARN: authntest.CreatorARN, Username: "kubernetes-admin", Code: "MAPPED"},
		{Time: at.Add(-10 * time.Minute), Decision: decisionlog.Denied, ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice", Code: "ARN_NOT_MAPPED", Error: "ARN is not mapped"},
		{Time: at.Add(-5 * time.Minute), Decision: decisionlog.Granted, ARN: authntest.DeveloperARN, Username: "developer", Code: "MAPPED"},
		{Time: at.Add(-time.Minute), Decision: decisionlog.Denied, Code: "TOKEN_EXPIRED", Error: "token expired"},
	} {
		l.Add(r)
	}
}

func TestDecisionsFilters(t *testing.T) {
	f := start(t)
	seed(f.decisions, authntest.Start)
	ctx := context.Background()
	c := f.client(f.creator)
	tests := []struct {
		name string
		q    Query
		want []uint64
	}{
		{"everything", Query{}, []uint64{1, 2, 3, 4}},
		{"username", Query{Username: "developer"}, []uint64{3}},
		{"arn substring", Query{ARN: "assumed-role/ADMIN"}, []uint64{2}},
		{"arn pattern", Query{ARN: "arn:aws:iam::*:user/*"}, []uint64{1, 3}},
		{"denied", Query{Decision: "denied"}, []uint64{2, 4}},
		{"code", Query{Code: "TOKEN_EXPIRED"}, []uint64{4}},
		{"reason", Query{Reason: "not mapped"}, []uint64{2}},
		{"since a duration", Query{Since: "15m"}, []uint64{2, 3, 4}},
		{"since a time", Query{Since: authntest.Start.Add(-6 * time.Minute).Format(time.RFC3339)}, []uint64{3, 4}},
		{"limit keeps the newest", Query{Limit: 2}, []uint64{3, 4}},
		{"after", Query{After: 2}, []uint64{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Decisions(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			for _, r := range got.Decisions {
				seqs = append(seqs, r.Seq)
			}
			if len(seqs) != len(tt.want) || (len(seqs) > 0 && (seqs[0] != tt.want[0] || seqs[len(seqs)-1] != tt.want[len(tt.want)-1])) {
				t.Errorf("seqs = %v, want %v", seqs, tt.want)
			}
		})
	}
	for _, bad := range []Query{{Decision: "maybe"}, {Since: "yesterday"}, {Limit: MaxLimit + 1}} {
		if _, err := c.Decisions(ctx, bad); status(err) != http.StatusBadRequest {
			t.Errorf("%+v: err = %v, want 400", bad, err)
		}
	}
}

// TestDecisionsFollow streams the backlog, then a decision logged while
// following, and stops when the client goes away.
func TestDecisionsFollow(t *testing.T) {
	f := start(t)
	seed(f.decisions, authntest.Start)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan decisionlog.Record, 16)
	errc := make(chan error, 1)
	go func() {
		errc <- f.client(f.creator).Follow(ctx, Query{Decision: "denied"}, func(r decisionlog.Record) error {
			got <- r
			return nil
		})
	}()
	for _, want := range []uint64{2, 4} {
		if r := <-got; r.Seq != want {
			t.Fatalf("backlog record seq %d, want %d", r.Seq, want)
		}
	}
	f.decisions.Add(decisionlog.Record{Decision: decisionlog.Granted, Username: "skipped"})
	f.decisions.Add(decisionlog.Record{Decision: decisionlog.Denied, Code: "ARN_NOT_MAPPED", Error: "ARN is not mapped"})
	if r := <-got; r.Seq != 6 || r.Code != "ARN_NOT_MAPPED" {
		t.Fatalf("followed record %+v, want seq 6", r)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow returned %v, want context.Canceled", err)
	}
	for path := range f.done {
		if path == PathDecisions {
			break // the streaming handler returned
		}
	}
}

func TestExplainEndpoint(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	c := f.client(f.creator)
	r, err := c.Explain(ctx, ExplainRequest{ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice",
		Request: explain.Request{Verb: "get", Resource: "pods", Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != explain.CodeNotMapped || r.Request == nil || len(r.Fixes) == 0 || !strings.Contains(r.Fixes[0].Kubeiam, "aws-auth add-role --arn arn:aws:iam::111122223333:role/admin") {
		t.Errorf("report = %+v", r)
	}
	r, err = c.Explain(ctx, ExplainRequest{Token: f.developer})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Verified || r.Verdict != explain.VerdictMapped || r.Username != "developer" {
		t.Errorf("token report = %+v", r)
	}
	for _, bad := range []ExplainRequest{{}, {ARN: authntest.DeveloperARN, Request: explain.Request{Resource: "pods"}}} {
		if _, err := c.Explain(ctx, bad); status(err) != http.StatusBadRequest {
			t.Errorf("%+v: err = %v, want 400", bad, err)
		}
	}
}

// A caller kube-apiserver authenticated a moment ago, and whom the mapping
// no longer lets in, is told that kubectl may still work for a while,
// rather than a flat contradiction of what they see.
func TestWhoamiAndExplainNoteKubeAPIServerCache(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.decisions.Add(decisionlog.Record{Time: f.now().Add(-5 * time.Second), Decision: decisionlog.Granted, Path: "/authenticate",
		ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice", CanonicalARN: authntest.AdminRoleARN, Username: "admin:alice"})
	w, err := f.client("").Whoami(ctx, f.admin)
	if err != nil {
		t.Fatal(err)
	}
	if w.Authenticated || !strings.Contains(strings.Join(w.Notes, "\n"), `kube-apiserver authenticated this caller as "admin:alice"`) {
		t.Errorf("whoami notes = %q, want the kube-apiserver cache note", w.Notes)
	}
	r, err := f.client(f.creator).Explain(ctx, ExplainRequest{ARN: authntest.AdminRoleARN})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, fd := range r.Findings {
		found = found || fd.Code == explain.CodeAPIServerCache
	}
	if !found {
		t.Errorf("explain findings = %+v, want %s", r.Findings, explain.CodeAPIServerCache)
	}
	// A grant asked through the diagnosis endpoints is no kube-apiserver cache.
	g := decisionlog.New(10)
	g.Add(decisionlog.Record{Time: f.now(), Decision: decisionlog.Granted, Path: PathWhoami, CanonicalARN: authntest.AdminRoleARN, Username: "admin:alice"})
	h := &handler{cfg: Config{Decisions: g, Now: f.now}}
	if last := h.lastGranted(authntest.AdminRoleARN); last != nil {
		t.Errorf("lastGranted = %+v from a whoami call", last)
	}
}
