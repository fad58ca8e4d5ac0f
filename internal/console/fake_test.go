package console

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/review"
)

// memBackend is an in-memory Backend for the handler tests and the
// benchmark; the browser tests use the real one against a dev server.
type memBackend struct {
	mu        sync.Mutex
	mode      string
	entries   []Entry
	decisions []decisionlog.Record
	awsAuth   map[string]string
	refuse    error
}

func newMemBackend(n int) *memBackend {
	b := &memBackend{mode: "API_AND_CONFIG_MAP", awsAuth: map[string]string{
		"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev\n  groups: [devs]\n"}}
	for i := range n {
		b.entries = append(b.entries, Entry{PrincipalARN: fmt.Sprintf("arn:aws:iam::111122223333:role/r%05d", i), Username: fmt.Sprintf("u%d", i),
			Groups: []string{"g"}, Type: "STANDARD", Policies: []EntryPolicy{{PolicyARN: authz.ViewPolicyARN, Scope: authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"ns" + fmt.Sprint(i%7)}}}}})
		b.decisions = append(b.decisions, decisionlog.Record{Seq: uint64(i + 1), Time: time.Unix(1_800_000_000, 0).UTC(), Decision: "denied",
			ARN: fmt.Sprintf("arn:aws:sts::111122223333:assumed-role/r%05d/s", i), Code: "ARN_NOT_MAPPED"})
	}
	return b
}

func (b *memBackend) Cluster(context.Context) (Cluster, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Cluster{Name: "kubeiam-dev", ARN: "arn:aws:eks:us-east-1:111122223333:cluster/kubeiam-dev", Mode: b.mode, Status: "ACTIVE"}, nil
}

func (b *memBackend) SetMode(_ context.Context, m string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := access.ValidateModeChange(access.Mode(b.mode), access.Mode(m)); err != nil {
		return err
	}
	b.mode = m
	return nil
}

func (b *memBackend) Entries(context.Context) ([]Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Entry(nil), b.entries...), nil
}

func (b *memBackend) CreateEntry(_ context.Context, e EntryRequest) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refuse != nil {
		return b.refuse
	}
	b.entries = append(b.entries, Entry{PrincipalARN: e.PrincipalARN, Username: e.Username, Groups: e.Groups, Type: e.Type})
	return nil
}

func (b *memBackend) UpdateEntry(context.Context, EntryRequest) error { return b.refuse }

func (b *memBackend) DeleteEntry(_ context.Context, p string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, e := range b.entries {
		if e.PrincipalARN == p {
			b.entries = append(b.entries[:i], b.entries[i+1:]...)
			return nil
		}
	}
	return errors.New("ResourceNotFoundException: no access entry")
}

func (b *memBackend) Associate(_ context.Context, p, policy string, s authz.Scope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.entries {
		if b.entries[i].PrincipalARN == p {
			b.entries[i].Policies = append(b.entries[i].Policies, EntryPolicy{PolicyARN: policy, Scope: s})
			return nil
		}
	}
	return errors.New("ResourceNotFoundException: no access entry")
}

func (b *memBackend) Disassociate(context.Context, string, string) error { return b.refuse }

func (b *memBackend) AWSAuth(context.Context) (AWSAuth, error) {
	doc, ps, err := awsauth.Parse(b.awsAuth)
	a := AWSAuth{Exists: true, Data: b.awsAuth, Problems: ps, Document: doc}
	if err != nil {
		a.ParseError = err.Error()
	}
	return a, nil
}

// Decisions keeps the newest q.Limit, as the server does.
func (b *memBackend) Decisions(_ context.Context, q diag.Query) ([]decisionlog.Record, error) {
	recs := b.decisions
	if q.Limit > 0 && len(recs) > q.Limit {
		recs = recs[len(recs)-q.Limit:]
	}
	return append([]decisionlog.Record(nil), recs...), nil
}

func (b *memBackend) Follow(ctx context.Context, _ diag.Query, fn func(decisionlog.Record) error) error {
	if err := fn(decisionlog.Record{Seq: 99999, Decision: "denied", Code: "ARN_NOT_MAPPED", ARN: "arn:aws:iam::111122223333:user/streamed"}); err != nil {
		return err
	}
	<-ctx.Done()
	return ctx.Err()
}

func (b *memBackend) Explain(_ context.Context, req diag.ExplainRequest) (explain.Report, error) {
	return explain.Explain(explain.Input{ARN: req.ARN, Request: &req.Request}), nil
}

func (b *memBackend) ReviewInput(context.Context) (review.Input, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := review.Input{Mode: access.Mode(b.mode)}
	for _, e := range b.entries {
		in.Entries = append(in.Entries, access.AccessEntry{PrincipalARN: e.PrincipalARN, Username: e.Username, KubernetesGroups: e.Groups, Type: access.EntryType(e.Type)})
		for _, p := range e.Policies {
			in.Associations = append(in.Associations, access.AccessPolicyAssociation{PrincipalARN: e.PrincipalARN, PolicyARN: p.PolicyARN, Scope: p.Scope})
		}
	}
	doc, _, _ := awsauth.Parse(b.awsAuth)
	in.AWSAuth = doc
	return in, nil
}
