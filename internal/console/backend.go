package console

import (
	"context"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/review"
)

// Backend is everything the console asks of the kubeiam server and the
// cluster, on behalf of the user who runs it: every call carries that
// user's own credentials, so the console can do exactly what the user may
// do through the API and nothing more. An error's text is shown to the
// user as the CLI would show it (EKS error type, message and hint).
type Backend interface {
	// Cluster describes the cluster (DescribeCluster).
	Cluster(ctx context.Context) (Cluster, error)
	// SetMode changes the authentication mode (UpdateClusterConfig).
	SetMode(ctx context.Context, mode string) error
	// Entries lists the access entries with their policies.
	Entries(ctx context.Context) ([]Entry, error)
	CreateEntry(ctx context.Context, e EntryRequest) error
	UpdateEntry(ctx context.Context, e EntryRequest) error
	DeleteEntry(ctx context.Context, principalARN string) error
	Associate(ctx context.Context, principalARN, policyARN string, scope authz.Scope) error
	Disassociate(ctx context.Context, principalARN, policyARN string) error
	// AWSAuth reads the aws-auth ConfigMap as stored.
	AWSAuth(ctx context.Context) (AWSAuth, error)
	// Decisions returns recent decisions; Follow streams new ones to fn
	// until ctx ends.
	Decisions(ctx context.Context, q diag.Query) ([]decisionlog.Record, error)
	Follow(ctx context.Context, q diag.Query, fn func(decisionlog.Record) error) error
	// Explain is "kubeiam explain" against the live mappings.
	Explain(ctx context.Context, req diag.ExplainRequest) (explain.Report, error)
	// ReviewInput reads every source of access, for who-can.
	ReviewInput(ctx context.Context) (review.Input, error)
}

// Cluster is what the Overview shows.
type Cluster struct {
	Name, ARN, Endpoint, Version, Status string
	Mode                                 string
	// Creator is the cluster creator, when known (--creator).
	Creator string
}

// Entry is an access entry and its access policies.
type Entry struct {
	PrincipalARN string
	Username     string
	Groups       []string
	Type         string
	Policies     []EntryPolicy
}

// EntryPolicy is an associated access policy.
type EntryPolicy struct {
	PolicyARN string
	Scope     authz.Scope
}

// EntryRequest creates or updates an access entry.
type EntryRequest struct {
	PrincipalARN string
	Username     string
	Groups       []string
	Type         string
}

// AWSAuth is the aws-auth ConfigMap as stored, and what kubeiam makes of it.
type AWSAuth struct {
	// Exists is false when there is no ConfigMap.
	Exists bool
	// Data is the ConfigMap's data, as written.
	Data map[string]string
	// ParseError is a document that does not parse at all.
	ParseError string
	// Problems are the validation findings, with line numbers.
	Problems awsauth.Problems
	// Document is the parsed document, nil when it does not parse.
	Document *awsauth.Document
}
