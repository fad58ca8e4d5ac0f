package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/console"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/review"
	"github.com/kubeiam/kubeiam/internal/token"
)

// consoleBackend is the console's Backend: the access-management commands'
// EKS client and the diagnosis commands' client, built afresh for each call
// (tokens live 15 minutes; the console runs for hours) from the user's own
// credentials, exactly as the CLI builds them.
type consoleBackend struct {
	d   diagDeps
	wc  whoCanDeps
	f   *consoleFlags
	eks func(ctx context.Context) (*eks.Client, error)
}

func (b *consoleBackend) o() *eksOptions { return &b.f.eks }

func (b *consoleBackend) fail(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(apiFailure(b.o(), err).Error())
}

func (b *consoleBackend) Cluster(ctx context.Context) (console.Cluster, error) {
	c, err := b.eks(ctx)
	if err != nil {
		return console.Cluster{}, err
	}
	out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(b.o().clusterName)})
	if err != nil {
		return console.Cluster{}, b.fail(err)
	}
	cl := out.Cluster
	r := console.Cluster{Name: aws.ToString(cl.Name), ARN: aws.ToString(cl.Arn), Endpoint: aws.ToString(cl.Endpoint),
		Version: aws.ToString(cl.Version), Status: string(cl.Status), Creator: b.f.sources.creator, Mode: string(access.ModeConfigMap)}
	if cl.AccessConfig != nil {
		r.Mode = string(cl.AccessConfig.AuthenticationMode)
	}
	return r, nil
}

func (b *consoleBackend) SetMode(ctx context.Context, mode string) error {
	c, err := b.eks(ctx)
	if err != nil {
		return err
	}
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(b.o().clusterName),
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationMode(mode)}})
	return b.fail(err)
}

func (b *consoleBackend) Entries(ctx context.Context) ([]console.Entry, error) {
	c, err := b.eks(ctx)
	if err != nil {
		return nil, err
	}
	es, as, err := LiveAccessEntries(ctx, c, b.o().clusterName)
	if err != nil {
		return nil, b.fail(err)
	}
	out := make([]console.Entry, 0, len(es))
	byARN := map[string]int{}
	for _, e := range es {
		byARN[e.PrincipalARN] = len(out)
		out = append(out, console.Entry{PrincipalARN: e.PrincipalARN, Username: e.Username, Groups: e.KubernetesGroups, Type: string(e.Type)})
	}
	for _, a := range as {
		if i, ok := byARN[a.PrincipalARN]; ok {
			out[i].Policies = append(out[i].Policies, console.EntryPolicy{PolicyARN: a.PolicyARN, Scope: a.Scope})
		}
	}
	return out, nil
}

func (b *consoleBackend) CreateEntry(ctx context.Context, e console.EntryRequest) error {
	c, err := b.eks(ctx)
	if err != nil {
		return err
	}
	in := &eks.CreateAccessEntryInput{ClusterName: aws.String(b.o().clusterName), PrincipalArn: aws.String(e.PrincipalARN), KubernetesGroups: e.Groups}
	if e.Username != "" {
		in.Username = aws.String(e.Username)
	}
	if e.Type != "" {
		in.Type = aws.String(e.Type)
	}
	_, err = c.CreateAccessEntry(ctx, in)
	return b.fail(err)
}

func (b *consoleBackend) UpdateEntry(ctx context.Context, e console.EntryRequest) error {
	c, err := b.eks(ctx)
	if err != nil {
		return err
	}
	in := &eks.UpdateAccessEntryInput{ClusterName: aws.String(b.o().clusterName), PrincipalArn: aws.String(e.PrincipalARN), KubernetesGroups: e.Groups}
	if e.Username != "" {
		in.Username = aws.String(e.Username)
	}
	_, err = c.UpdateAccessEntry(ctx, in)
	return b.fail(err)
}

func (b *consoleBackend) DeleteEntry(ctx context.Context, principal string) error {
	c, err := b.eks(ctx)
	if err != nil {
		return err
	}
	_, err = c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(b.o().clusterName), PrincipalArn: aws.String(principal)})
	return b.fail(err)
}

func (b *consoleBackend) Associate(ctx context.Context, principal, policy string, s authz.Scope) error {
	c, err := b.eks(ctx)
	if err != nil {
		return err
	}
	_, err = c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(b.o().clusterName),
		PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy),
		AccessScope: &types.AccessScope{Type: types.AccessScopeType(s.Type), Namespaces: s.Namespaces}})
	return b.fail(err)
}

func (b *consoleBackend) Disassociate(ctx context.Context, principal, policy string) error {
	c, err := b.eks(ctx)
	if err != nil {
		return err
	}
	_, err = c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String(b.o().clusterName),
		PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy)})
	return b.fail(err)
}

// AWSAuth reads --aws-auth FILE (the dev server's), or the ConfigMap
// through the kubeconfig.
func (b *consoleBackend) AWSAuth(ctx context.Context) (console.AWSAuth, error) {
	var data map[string]string
	switch {
	case b.f.sources.awsAuth != "":
		d, err := readAWSAuthData(b.f.sources.awsAuth)
		if err != nil {
			return console.AWSAuth{}, err
		}
		data = d
	case b.f.kubeconfig != "":
		cs, err := b.wc.kube(kube.ClientOptions{Kubeconfig: b.f.kubeconfig, Context: b.f.kubeCtx, Getenv: b.d.io.Getenv})
		if err != nil {
			return console.AWSAuth{}, err
		}
		snap, err := kube.NewConfigMap(cs, "", "").Get(ctx)
		if err != nil || !snap.Exists {
			return console.AWSAuth{}, err
		}
		data = snap.Data
	default:
		return console.AWSAuth{}, errors.New("no aws-auth source: start the console with --aws-auth FILE or --kubeconfig")
	}
	doc, problems, err := awsauth.Parse(data)
	a := console.AWSAuth{Exists: true, Data: data, Problems: problems, Document: doc}
	if err != nil {
		a.ParseError = err.Error()
	}
	return a, nil
}

func (b *consoleBackend) diag(ctx context.Context) (*diag.Client, error) {
	tok, err := b.d.generateToken(ctx, credFlags{clusterID: b.o().clusterName, profile: b.o().profile, region: b.o().region}, token.AudienceAPI)
	if err != nil {
		return nil, err
	}
	return b.d.client(diagServerFlags{server: b.f.server, caFile: b.o().caFile}, tok)
}

func (b *consoleBackend) Decisions(ctx context.Context, q diag.Query) ([]decisionlog.Record, error) {
	c, err := b.diag(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.Decisions(ctx, q)
	return out.Decisions, err
}

func (b *consoleBackend) Follow(ctx context.Context, q diag.Query, fn func(decisionlog.Record) error) error {
	c, err := b.diag(ctx)
	if err != nil {
		return err
	}
	return c.Follow(ctx, q, fn)
}

func (b *consoleBackend) Explain(ctx context.Context, req diag.ExplainRequest) (explain.Report, error) {
	c, err := b.diag(ctx)
	if err != nil {
		return explain.Report{}, err
	}
	r, err := c.Explain(ctx, req)
	if err != nil {
		return r, fmt.Errorf("explain: %w", err)
	}
	return r, nil
}

// ReviewInput reads the sources as who-can does: the mode and entries
// through the API, aws-auth and RBAC from the files or the kubeconfig.
func (b *consoleBackend) ReviewInput(ctx context.Context) (review.Input, error) {
	in := review.Input{CreatorARN: b.f.sources.creator}
	c, err := b.eks(ctx)
	if err != nil {
		return in, err
	}
	if in.Mode, err = liveMode(ctx, c, b.o()); err != nil {
		return in, err
	}
	if in.Mode.UsesAccessEntries() {
		if in.Entries, in.Associations, err = LiveAccessEntries(ctx, c, b.o().clusterName); err != nil {
			return in, b.fail(err)
		}
	}
	if b.f.sources.rbac != "" {
		if in.RBAC, err = readRBACFile(b.f.sources.rbac); err != nil {
			return in, err
		}
	}
	if b.f.kubeconfig != "" {
		cs, err := b.wc.kube(kube.ClientOptions{Kubeconfig: b.f.kubeconfig, Context: b.f.kubeCtx, Getenv: b.d.io.Getenv})
		if err != nil {
			return in, err
		}
		if in.RBAC, err = liveRBAC(ctx, cs); err != nil {
			return in, err
		}
	}
	a, err := b.AWSAuth(ctx)
	if err == nil && a.Document != nil && !a.Problems.HasErrors() {
		in.AWSAuth = a.Document
	}
	return in, nil
}
