package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/awsauthedit"
	"github.com/kubeiam/kubeiam/internal/boundedfile"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
)

type explainFlags struct {
	arn           string
	req           explain.Request
	cred          credFlags
	srv           diagServerFlags
	files         struct{ awsAuth, entries, mode, creator, rbac string }
	output, color string
	// liveRBAC, kubeconfig and kubeContext: where to read RBAC from when
	// the server leaves the request to RBAC.
	liveRBAC                bool
	kubeconfig, kubeContext string
}

const explainLong = `Explain says why an IAM identity is or is not let into the cluster, and what
exactly fixes it: its ARN and the form mappings match, the authentication mode
and what it rules out, every mapping source and whether it matched, the
resulting username and groups, which access policy (or RBAC binding) allows the
request, a stable cause code, near misses (a role path, another account, a user
mapped as a role, an access entry the mode ignores, ...) and the kubeiam,
eksctl, aws and kubectl commands that fix it.

Whom to explain: --arn, or --token (the identity STS verifies for it), or by
default yourself (your AWS credentials, through GetCallerIdentity).

Against the server (--server, default $KUBEIAM_WEBHOOK; --ca-file, default
$KUBEIAM_CA), as a cluster manager authenticated with a token generated from
your credentials (--cluster-name). Offline, from files, with any of:

  --aws-auth FILE        the aws-auth ConfigMap: "kubectl get cm aws-auth -n kube-system -o yaml",
                         or its data alone (mapRoles, mapUsers, mapAccounts)
  --access-entries FILE  access entries, YAML or JSON: a list whose items are either
                         the output of "aws eks describe-access-entry" merged with that of
                         "aws eks list-associated-access-policies" (keys accessEntry and
                         associatedAccessPolicies), or the simple form
                           - principalArn: arn:aws:iam::111122223333:role/dev
                             username: dev            # optional
                             kubernetesGroups: [devs] # optional
                             type: STANDARD           # optional
                             accessPolicies:          # optional
                             - policyArn: AmazonEKSViewPolicy   # name or ARN
                               accessScope: {type: namespace, namespaces: [dev]}
  --mode MODE            CONFIG_MAP, API_AND_CONFIG_MAP or API (default: CONFIG_MAP with
                         aws-auth only, API with access entries only, else API_AND_CONFIG_MAP)
  --creator ARN          the cluster creator
  --rbac FILE            RBAC objects ("kubectl get clusterroles,clusterrolebindings,roles,rolebindings
                         -A -o yaml"), to name the binding that allows the request

Against the server, when no access policy allows the request, RBAC is read
(list only) from the live cluster of your kubeconfig (--kubeconfig,
--context; default $KUBECONFIG or ~/.kube/config and its current context), to
name the binding that allows it or the group no binding names. The output says
which RBAC decided: live, file, or none and why (--live-rbac=false skips it).

Exit status: 0 allowed or mapped, 1 not, 2 bad usage.`

// newExplainCommand builds "kubeiam explain".
func newExplainCommand(s IO) *cobra.Command { return newExplainCommandWithDeps(defaultDiagDeps(s)) }

func newExplainCommandWithDeps(d diagDeps) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain [--arn ARN | --token TOKEN] [--verb VERB --resource RESOURCE [--namespace NS]]",
		Short: "Explain why an IAM identity is (not) authorized, and what fixes it",
		Long:  explainLong,
		Example: `  kubeiam explain --arn arn:aws:sts::111122223333:assumed-role/dev/alice --verb get --resource pods -n default
  kubeiam explain --arn arn:aws:iam::111122223333:user/developer --aws-auth aws-auth.yaml --mode CONFIG_MAP
  kubeiam explain --aws-auth aws-auth.yaml --access-entries entries.yaml --mode API_AND_CONFIG_MAP --rbac rbac.yaml \
    --arn arn:aws:iam::111122223333:role/ops --verb delete --resource deployments --api-group apps -n prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExplain(cmd.Context(), d, f) },
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	fl := cmd.Flags()
	fl.StringVar(&f.arn, "arn", "", "the IAM or STS ARN to explain")
	fl.StringVar(&f.req.Verb, "verb", "", "request verb (get, list, create, ...)")
	fl.StringVar(&f.req.Resource, "resource", "", "request resource (pods, deployments, ...)")
	fl.StringVar(&f.req.Subresource, "subresource", "", "request subresource (log, exec, ...)")
	fl.StringVar(&f.req.Name, "name", "", "request object name")
	fl.StringVarP(&f.req.Namespace, "namespace", "n", "", "request namespace")
	fl.StringVar(&f.req.APIGroup, "api-group", "", `request API group ("" is core)`)
	fl.StringVar(&f.req.Path, "path", "", "non-resource request path (/healthz)")
	f.cred.add(cmd, d.io, "explain the identity STS verifies for this token")
	f.srv.add(cmd, d.io)
	fl.StringVar(&f.files.awsAuth, "aws-auth", "", "offline: aws-auth ConfigMap file")
	fl.StringVar(&f.files.entries, "access-entries", "", "offline: access entries file")
	fl.StringVar(&f.files.mode, "mode", "", "offline: authentication mode")
	fl.StringVar(&f.files.creator, "creator", "", "offline: cluster creator ARN")
	fl.StringVar(&f.files.rbac, "rbac", "", "offline: RBAC objects file")
	fl.BoolVar(&f.liveRBAC, "live-rbac", true, "against the server: read RBAC (read-only) from the kubeconfig's cluster")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for live RBAC (default $KUBECONFIG, else ~/.kube/config)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context for live RBAC (default the current one)")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.color, "color", "auto", "color: auto (on a terminal, unless NO_COLOR), always or never")
	return cmd
}

func (f explainFlags) offline() bool {
	return f.files.awsAuth != "" || f.files.entries != "" || f.files.mode != "" || f.files.rbac != ""
}

func runExplain(ctx context.Context, d diagDeps, f explainFlags) error {
	if f.output != "text" && f.output != "json" {
		return withExitCode(2, fmt.Errorf("--output %q: want text or json", f.output))
	}
	if f.req.Verb == "" && (f.req.Resource != "" || f.req.Path != "") {
		return withExitCode(2, errors.New("--resource and --path need --verb"))
	}
	if f.req.Verb != "" && f.req.Resource == "" && f.req.Path == "" {
		return withExitCode(2, errors.New("--verb needs --resource or --path"))
	}
	// A request is to a resource or to a non-resource URL, never both, as
	// kube-apiserver validates a SubjectAccessReview ("exactly one of
	// nonResourceAttributes or resourceAttributes must be specified").
	if f.req.Resource != "" && f.req.Path != "" {
		return withExitCode(2, errors.New("give --resource (a resource request) or --path (a non-resource URL such as /healthz), not both"))
	}
	if f.req.Path != "" && !strings.HasPrefix(f.req.Path, "/") {
		return withExitCode(2, fmt.Errorf("--path %q: want a URL path beginning with /, such as /healthz or /version", f.req.Path))
	}
	var r explain.Report
	var err error
	if f.offline() {
		r, err = explainOffline(ctx, d, f)
	} else {
		r, err = explainOnline(ctx, d, f)
	}
	if err != nil {
		return err
	}
	if f.output == "json" {
		err = explain.WriteJSON(d.io.Out, r)
	} else {
		err = explain.WriteText(d.io.Out, r, explain.TextOptions{Color: useColor(f.color, d.io)})
	}
	if err != nil {
		return err
	}
	if !r.Verdict.OK() {
		return withExitCode(1, fmt.Errorf("%s: %s", r.Verdict, r.Code))
	}
	return nil
}

// useColor decides on color: asked for, or a terminal without NO_COLOR.
func useColor(mode string, s IO) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	f, ok := s.Out.(*os.File)
	if !ok || s.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (f explainFlags) request() *explain.Request {
	if f.req.Verb == "" {
		return nil
	}
	q := f.req
	return &q
}

// explainOnline asks the server, authenticated as the caller with an API
// token. Explaining yourself sends a cluster token as the subject: the one
// kube-apiserver would see.
func explainOnline(ctx context.Context, d diagDeps, f explainFlags) (explain.Report, error) {
	if err := f.srv.check(); err != nil {
		return explain.Report{}, err
	}
	auth, err := d.generateToken(ctx, f.cred, token.AudienceAPI)
	if err != nil && f.cred.token == "" {
		return explain.Report{}, err
	}
	if err != nil {
		auth = f.cred.token // no credentials here: the token must also be a manager's API token
	}
	c, err := d.client(f.srv, auth)
	if err != nil {
		return explain.Report{}, err
	}
	req := diag.ExplainRequest{ARN: f.arn, Request: f.req}
	if f.arn == "" {
		if req.Token = f.cred.token; req.Token == "" {
			if req.Token, err = d.generateToken(ctx, f.cred, token.AudienceCluster); err != nil {
				return explain.Report{}, err
			}
		}
	}
	r, err := c.Explain(ctx, req)
	if err != nil {
		return r, fmt.Errorf("explain: %w", err)
	}
	return withLiveRBAC(ctx, d, f, r), nil
}

// explainOffline explains against files.
func explainOffline(ctx context.Context, d diagDeps, f explainFlags) (explain.Report, error) {
	parts, err := readParts(f)
	if err != nil {
		return explain.Report{}, withExitCode(2, err)
	}
	snap, err := parts.Snapshot()
	if err != nil {
		return explain.Report{}, withExitCode(2, err)
	}
	in := explain.Input{ARN: f.arn, Snapshot: snap, Request: f.request(), RBAC: parts.RBAC, ClusterName: f.cred.clusterID}
	if f.arn == "" {
		id, err := d.whoIs(ctx, f.cred)
		if err != nil {
			return explain.Report{}, err
		}
		in.Identity = &id
	}
	r := explain.Explain(in)
	if r.Request != nil && r.Mapped && r.Request.AllowedBy != "accessPolicy" {
		r.RBACSource = "none: no --rbac file (offline)"
		if f.files.rbac != "" {
			r.RBACSource = "file " + f.files.rbac
		}
	}
	return r, nil
}

// whoIs finds the identity to explain when no ARN is given: the token's,
// verified by STS, or the caller's own.
func (d diagDeps) whoIs(ctx context.Context, f credFlags) (identity.Identity, error) {
	if f.token != "" {
		if f.clusterID == "" {
			return identity.Identity{}, withExitCode(2, errors.New("--token offline needs --cluster-name, the cluster it was minted for"))
		}
		v, err := sts.NewVerifier(sts.VerifierConfig{ClusterID: f.clusterID, Endpoint: f.stsEndpoint, Now: d.io.Now})
		if err != nil {
			return identity.Identity{}, withExitCode(2, err)
		}
		id, err := v.Verify(ctx, f.token)
		if err != nil {
			return identity.Identity{}, fmt.Errorf("token not verified: %w", err)
		}
		return id, nil
	}
	o := f.options(d.io)
	cfg, err := d.loadConfig(ctx, o)
	if err != nil {
		return identity.Identity{}, explainCredentialError(err, o.Source(), tokenFlags{profile: f.profile, roleARN: f.roleARN})
	}
	info, err := d.callerIdentity(ctx, cfg, f.stsEndpoint)
	if err != nil {
		return identity.Identity{}, fmt.Errorf("GetCallerIdentity: %w", err)
	}
	return identity.FromARN(info.ARN, info.Account, info.UserID, "")
}

// readParts reads the offline inputs.
func readParts(f explainFlags) (explain.Parts, error) {
	var p explain.Parts
	var err error
	if f.files.awsAuth != "" {
		if p.AWSAuth, err = readAWSAuthFile(f.files.awsAuth); err != nil {
			return p, err
		}
	}
	if f.files.entries != "" {
		if p.Entries, p.Associations, err = readAccessEntriesFile(f.files.entries); err != nil {
			return p, err
		}
	}
	if f.files.rbac != "" {
		if p.RBAC, err = readRBACFile(f.files.rbac); err != nil {
			return p, err
		}
	}
	p.CreatorARN = f.files.creator
	switch {
	case f.files.mode != "":
		p.Mode, err = access.ParseMode(f.files.mode)
		if err != nil {
			return p, fmt.Errorf("--mode: %w", err)
		}
	case f.files.entries != "" && f.files.awsAuth != "":
		p.Mode = access.ModeAPIAndConfigMap
	case f.files.entries != "":
		p.Mode = access.ModeAPI
	default:
		p.Mode = access.ModeConfigMap
	}
	return p, nil
}

// maxInputFile bounds an input file.
const maxInputFile = 16 << 20

func readInput(path string) ([]byte, error) {
	return boundedfile.Read(path, maxInputFile, "an input file")
}

// readAWSAuthData reads the data of a ConfigMap, or its data alone, as
// "kubeiam aws-auth" reads a file (awsauthedit.ParseFile): the same errors,
// a key given twice or a second document refused.
func readAWSAuthData(path string) (map[string]string, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, fmt.Errorf("--aws-auth: %w", err)
	}
	file, err := awsauthedit.ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("--aws-auth %s: %w", path, err)
	}
	return file.Data(), nil
}

// readAWSAuthFile reads a ConfigMap or its data alone.
func readAWSAuthFile(path string) (*awsauth.Document, error) {
	data, err := readAWSAuthData(path)
	if err != nil {
		return nil, err
	}
	doc, problems, err := awsauth.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("--aws-auth %s: %w", path, err)
	}
	if problems.HasErrors() {
		return nil, fmt.Errorf("--aws-auth %s: %s (the server would reject this ConfigMap)", path, problems.Errors()[0])
	}
	return doc, nil
}

// entryDoc is one access entry in either accepted form.
type entryDoc struct {
	AccessEntry *entryFields `json:"accessEntry"`
	entryFields
	AssociatedAccessPolicies []policyDoc `json:"associatedAccessPolicies"`
	AccessPolicies           []policyDoc `json:"accessPolicies"`
}

type entryFields struct {
	PrincipalARN     string   `json:"principalArn"`
	Username         string   `json:"username"`
	KubernetesGroups []string `json:"kubernetesGroups"`
	Type             string   `json:"type"`
}

type policyDoc struct {
	PolicyARN   string `json:"policyArn"`
	AccessScope struct {
		Type       string   `json:"type"`
		Namespaces []string `json:"namespaces"`
	} `json:"accessScope"`
}

// readAccessEntriesFile reads a list of access entries, or one.
func readAccessEntriesFile(path string) ([]access.AccessEntry, []access.AccessPolicyAssociation, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--access-entries: %w", err)
	}
	var docs []entryDoc
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] != '[' && t[0] != '-' {
		var one entryDoc
		err = yaml.Unmarshal(b, &one)
		docs = []entryDoc{one}
	} else {
		err = yaml.Unmarshal(b, &docs)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("--access-entries %s: %w", path, err)
	}
	var entries []access.AccessEntry
	var assocs []access.AccessPolicyAssociation
	for i, d := range docs {
		fields := d.entryFields
		if d.AccessEntry != nil {
			fields = *d.AccessEntry
		}
		t, err := access.ParseEntryType(fields.Type)
		if err != nil || fields.PrincipalARN == "" {
			return nil, nil, fmt.Errorf("--access-entries %s: entry %d: no principalArn or a bad type", path, i)
		}
		e := access.AccessEntry{PrincipalARN: fields.PrincipalARN, Username: fields.Username, KubernetesGroups: fields.KubernetesGroups, Type: t}
		if e.Username == "" {
			// The default EKS would have given it, as CreateAccessEntry does.
			if made, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: e.PrincipalARN, Type: t}, "kubeiam", "us-east-1", "111122223333", time.Time{}); err == nil {
				e.Username = made.Username
			}
		}
		entries = append(entries, e)
		for _, p := range append(d.AssociatedAccessPolicies, d.AccessPolicies...) {
			policy := p.PolicyARN
			if !strings.HasPrefix(policy, "arn:") {
				policy = "arn:aws:eks::aws:cluster-access-policy/" + policy
			}
			if _, ok := authz.LookupPolicy(policy); !ok {
				return nil, nil, fmt.Errorf("--access-entries %s: entry %d: unknown access policy %q", path, i, p.PolicyARN)
			}
			assocs = append(assocs, access.AccessPolicyAssociation{PrincipalARN: e.PrincipalARN, PolicyARN: policy,
				Scope: authz.Scope{Type: authz.ScopeType(p.AccessScope.Type), Namespaces: p.AccessScope.Namespaces}})
		}
	}
	return entries, assocs, nil
}

// readRBACFile reads RBAC objects: a List, or YAML documents.
func readRBACFile(path string) (*explain.RBAC, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, fmt.Errorf("--rbac: %w", err)
	}
	r := &explain.RBAC{}
	for _, doc := range bytes.Split(b, []byte("\n---")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		if err := checkObject(doc); err != nil {
			return nil, fmt.Errorf("--rbac %s: %w", path, err)
		}
		var list struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := yaml.Unmarshal(doc, &list); err != nil {
			return nil, fmt.Errorf("--rbac %s: %w", path, err)
		}
		items := list.Items
		if !strings.HasSuffix(list.Kind, "List") {
			items = []json.RawMessage{json.RawMessage(doc)}
		}
		for _, it := range items {
			if err := addRBACObject(r, it); err != nil {
				return nil, fmt.Errorf("--rbac %s: %w", path, err)
			}
		}
	}
	return r, nil
}

// checkObject refuses a YAML document that is not a mapping, which cannot
// be a Kubernetes object, in words rather than as the decoder's Go types.
func checkObject(doc []byte) error {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return err
	}
	got := "scalar"
	switch v.(type) {
	case map[string]any:
		return nil
	case []any:
		got = "list"
	}
	return fmt.Errorf(`want RBAC objects (Role, ClusterRole, RoleBinding, ClusterRoleBinding) or a List of them, as "kubectl get ... -o yaml" prints, got a YAML %s`, got)
}

// addRBACObject adds one ClusterRole, Role, ClusterRoleBinding or
// RoleBinding; other kinds are ignored.
func addRBACObject(r *explain.RBAC, raw []byte) error {
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return err
	}
	var err error
	switch meta.Kind {
	case "ClusterRole":
		var o rbacv1.ClusterRole
		if err = yaml.Unmarshal(raw, &o); err == nil {
			r.ClusterRoles = append(r.ClusterRoles, o)
		}
	case "Role":
		var o rbacv1.Role
		if err = yaml.Unmarshal(raw, &o); err == nil {
			r.Roles = append(r.Roles, o)
		}
	case "ClusterRoleBinding":
		var o rbacv1.ClusterRoleBinding
		if err = yaml.Unmarshal(raw, &o); err == nil {
			r.ClusterRoleBindings = append(r.ClusterRoleBindings, o)
		}
	case "RoleBinding":
		var o rbacv1.RoleBinding
		if err = yaml.Unmarshal(raw, &o); err == nil {
			r.RoleBindings = append(r.RoleBindings, o)
		}
	}
	return err
}
