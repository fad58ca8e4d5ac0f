package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// doctorDeps is what "kubeiam doctor" needs beyond the diagnosis deps.
type doctorDeps struct {
	diagDeps
	// lookPath finds the exec plugin's command, as kubectl would.
	lookPath func(string) (string, error)
	// resolver resolves STS's host name (nil: the system's); tests answer
	// from a loopback DNS server.
	resolver *net.Resolver
	// stsTimeout bounds each call to STS, so that a host that never
	// answers is reported as such.
	stsTimeout time.Duration
}

// defaultSTSTimeout is doctor's bound on one STS call.
const defaultSTSTimeout = 15 * time.Second

func (d doctorDeps) timeout() time.Duration {
	if d.stsTimeout <= 0 {
		return defaultSTSTimeout
	}
	return d.stsTimeout
}

// stsHTTPClient is the client of every AWS call doctor makes.
func (d doctorDeps) stsHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithDialerOptions(func(dl *net.Dialer) {
		if d.resolver != nil {
			dl.Resolver = d.resolver
		}
	})
}

type doctorFlags struct {
	kubeconfig, context, clusterID, stsEndpoint string
	srv                                         diagServerFlags
}

// newDoctorCommand builds "kubeiam doctor".
func newDoctorCommand(s IO) *cobra.Command {
	return newDoctorCommandWithDeps(doctorDeps{diagDeps: defaultDiagDeps(s), lookPath: exec.LookPath, stsTimeout: defaultSTSTimeout})
}

func newDoctorCommandWithDeps(d doctorDeps) *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find the broken link between you and the cluster, and how to fix it",
		Long: `Doctor is for the person kubectl answers "Unauthorized". It walks the chain on
this machine, one link at a time, and stops at the first broken one with its fix:

  kubeconfig     the current context (--kubeconfig, --context, KUBECONFIG) and its user
  exec plugin    the command on PATH, the cluster ID in its args, its profile, region, role
  credentials    where the AWS credentials come from (environment, profile: keys, SSO,
                 assume-role, ...), and whose they are (STS GetCallerIdentity); a failure
                 is classified: UNREACHABLE (DNS, TCP, TLS, timeout: the credentials were
                 not checked), CREDENTIALS_REFUSED, CREDENTIALS_EXPIRED, CLOCK_SKEW
  clock          this machine's clock against STS's (tokens allow 5 minutes of skew)
  token          a token generated as the plugin would
  token check    its STS host and expiry, checked as the server checks them
  server         the kubeiam server's verdict on the token (--server, default $KUBEIAM_WEBHOOK);
                 when it does not map you, which of your other profiles it accepts

A token minted for a cluster ID other than the server's (--cluster-name, default
$KUBEIAM_CLUSTER) is reported as WRONG_CLUSTER_ID with the kubectl command that
fixes the kubeconfig. A wrong identity is fixed in the client (profile, role,
kubeconfig), never by giving the wrong identity access.

Exit status: 0 every link holds, 1 a link is broken, 2 bad usage.`,
		Example: `  kubeiam doctor
  kubeiam doctor --context prod --cluster-name prod --server https://kubeiam.example:21362 --ca-file ca.crt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), d, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, else ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context (default the current one)")
	addClusterFlag(fl, &f.clusterID, d.io, "the cluster ID the server expects")
	fl.StringVar(&f.stsEndpoint, "sts-endpoint", d.io.Getenv(stsEndpointEnv), "send GetCallerIdentity and AssumeRole to this STS URL (default $"+stsEndpointEnv+")")
	f.srv.add(cmd, d.io)
	return cmd
}

// step is one link of the chain.
type step struct {
	name   string
	ok     bool
	skip   bool
	detail string
	fix    string
}

// doctor is one run: the links found so far.
type doctor struct {
	d   doctorDeps
	f   doctorFlags
	out io.Writer

	ctxName string
	plugin  execPlugin
	cfg     aws.Config
	caller  callerInfo
	source  credSource
	tok     string
}

func runDoctor(ctx context.Context, d doctorDeps, f doctorFlags) error {
	doc := &doctor{d: d, f: f, out: d.io.Out}
	if f.srv.server != "" {
		// The token goes there: refuse plain http before making one.
		if err := f.srv.check(); err != nil {
			return err
		}
	}
	links := []func(context.Context) step{doc.kubeconfig, doc.execPlugin, doc.credentials, doc.clock, doc.token, doc.tokenCheck, doc.server}
	for _, link := range links {
		s := link(ctx)
		doc.print(s)
		if !s.ok && !s.skip {
			return withExitCode(1, fmt.Errorf("%s: %s", s.name, s.detail))
		}
	}
	return nil
}

func (doc *doctor) print(s step) {
	mark := "PASS"
	switch {
	case s.skip:
		mark = "SKIP"
	case !s.ok:
		mark = "FAIL"
	}
	fmt.Fprintf(doc.out, "%-4s  %-12s %s\n", mark, s.name, s.detail)
	if s.fix != "" {
		label := "fix:"
		for _, line := range strings.Split(s.fix, "\n") {
			fmt.Fprintf(doc.out, "      %-12s %s\n", label, line)
			label = ""
		}
	}
}

func fail(name, detail, fix string) step { return step{name: name, detail: detail, fix: fix} }

// kubeconfig loads the context kubectl would use.
func (doc *doctor) kubeconfig(context.Context) step {
	const name = "kubeconfig"
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: doc.f.kubeconfig}
	if rules.ExplicitPath == "" {
		if env := doc.d.io.Getenv("KUBECONFIG"); env != "" {
			rules.Precedence = filepath.SplitList(env)
		} else {
			rules.Precedence = []string{filepath.Join(doc.d.io.Getenv("HOME"), ".kube", "config")}
		}
	}
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: doc.f.context}).RawConfig()
	if err != nil {
		return fail(name, "cannot read kubeconfig: "+err.Error(), "point --kubeconfig or KUBECONFIG at your kubeconfig")
	}
	ctxName := doc.f.context
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	if ctxName == "" && doc.f.context == "" && doc.f.clusterID != "" {
		return doc.withoutKubeconfig(rules)
	}
	kctx, ok := raw.Contexts[ctxName]
	where := strings.Join(rules.Precedence, ":") + rules.ExplicitPath
	switch {
	case ctxName == "" && len(raw.Contexts) == 0:
		return fail(name, "no kubeconfig with a context in "+where,
			"pass --cluster-name to check \"kubeiam token\" without a kubeconfig, or write one: kubectl config set-context")
	case ctxName == "":
		return fail(name, "the kubeconfig has no current context ("+where+")",
			"kubectl config get-contexts; kubectl config use-context NAME, or pass --context")
	case !ok:
		return fail(name, fmt.Sprintf("context %q not found in %s", ctxName, where),
			"kubectl config get-contexts; kubectl config use-context NAME")
	}
	user, ok := raw.AuthInfos[kctx.AuthInfo]
	if !ok {
		return fail(name, fmt.Sprintf("context %q names user %q, which is not in the kubeconfig", ctxName, kctx.AuthInfo), "")
	}
	if user.Exec == nil {
		return fail(name, fmt.Sprintf("user %q has no exec credential plugin", kctx.AuthInfo),
			fmt.Sprintf("kubectl config set-credentials %s --exec-api-version=client.authentication.k8s.io/v1beta1 --exec-command=kubeiam --exec-arg=token --exec-arg=--cluster-id --exec-arg=CLUSTER", kctx.AuthInfo))
	}
	doc.ctxName = ctxName
	doc.plugin = parseExecPlugin(kctx.AuthInfo, user.Exec)
	server := ""
	if c, ok := raw.Clusters[kctx.Cluster]; ok {
		server = " at " + c.Server
	}
	return step{name: name, ok: true, detail: fmt.Sprintf("context %q: user %q, cluster %q%s", ctxName, kctx.AuthInfo, kctx.Cluster, server)}
}

// withoutKubeconfig checks what "kubeiam token -i CLUSTER" would do in this
// shell when no kubeconfig names a context (the dev server's shell): the
// credentials and the server's verdict are still worth checking.
func (doc *doctor) withoutKubeconfig(rules *clientcmd.ClientConfigLoadingRules) step {
	doc.plugin = execPlugin{command: "kubeiam", clusterID: doc.f.clusterID, env: map[string]string{}, implicit: true,
		args: []string{"token", "-i", doc.f.clusterID}}
	where := rules.ExplicitPath
	if where == "" {
		where = strings.Join(rules.Precedence, ":")
	}
	return step{name: "kubeconfig", skip: true, detail: fmt.Sprintf("no current context in %s: checking \"kubeiam token -i %s\" with this shell's AWS settings", where, doc.f.clusterID)}
}

// execPlugin is what the kubeconfig's exec plugin would do.
type execPlugin struct {
	user, command                       string
	clusterID, profile, region, roleARN string
	env                                 map[string]string
	// args are the plugin's arguments as the kubeconfig has them.
	args []string
	// implicit: there is no kubeconfig; this is "kubeiam token" itself.
	implicit bool
}

// parseExecPlugin reads the flags of kubeiam token, aws eks get-token
// and aws-iam-authenticator token.
func parseExecPlugin(user string, e *clientcmdapi.ExecConfig) execPlugin {
	p := execPlugin{user: user, command: e.Command, env: map[string]string{}, args: e.Args}
	for _, v := range e.Env {
		p.env[v.Name] = v.Value
	}
	args := e.Args
	for i := 0; i < len(args); i++ {
		a := args[i]
		key, val, hasVal := strings.Cut(a, "=")
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		var dst *string
		switch key {
		case "-i", "--cluster-id", "--cluster-name":
			dst = &p.clusterID
		case "--profile":
			dst = &p.profile
		case "--region":
			dst = &p.region
		case "-r", "--role-arn", "--role":
			dst = &p.roleARN
		default:
			continue
		}
		*dst = val
		if !hasVal {
			i++
		}
	}
	return p
}

// getenv is the environment the plugin runs in: the kubeconfig's env over ours.
func (p execPlugin) getenv(base func(string) string) func(string) string {
	return func(k string) string {
		if v, ok := p.env[k]; ok {
			return v
		}
		return base(k)
	}
}

func (doc *doctor) execPlugin(context.Context) step {
	const name = "exec plugin"
	p := doc.plugin
	if p.implicit {
		return step{name: name, skip: true, detail: "no kubeconfig: kubeiam token itself"}
	}
	path, err := doc.d.lookPath(p.command)
	if err != nil {
		return fail(name, fmt.Sprintf("command %q of user %q is not found on PATH", p.command, p.user),
			"install kubeiam and put it on PATH, or set the absolute path: kubectl config set-credentials "+p.user+" --exec-command=$(command -v kubeiam)")
	}
	if p.clusterID == "" {
		return fail(name, fmt.Sprintf("the args of %q name no cluster ID", p.command),
			fmt.Sprintf("kubectl config set-credentials %s --exec-arg=--cluster-id --exec-arg=%s", p.user, orPlaceholder(doc.f.clusterID, "CLUSTER")))
	}
	if doc.f.clusterID != "" && p.clusterID != doc.f.clusterID {
		return fail(name, fmt.Sprintf("%s: the plugin mints tokens for cluster ID %q, but the cluster's ID is %q: STS refuses the server's check of such a token (SignatureDoesNotMatch), whatever the credentials",
			classWrongClusterID, p.clusterID, doc.f.clusterID), doc.clusterIDFix(doc.f.clusterID))
	}
	detail := fmt.Sprintf("%s (%s), cluster ID %q", p.command, path, p.clusterID)
	for _, kv := range [][2]string{{"profile", p.profile}, {"AWS_PROFILE", p.env["AWS_PROFILE"]}, {"region", p.region}, {"AWS_REGION", p.env["AWS_REGION"]}, {"role", p.roleARN}} {
		if kv[1] != "" {
			detail += ", " + kv[0] + " " + kv[1]
		}
	}
	return step{name: name, ok: true, detail: detail}
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// stsEndpoint is where doctor sends STS calls: --sts-endpoint, else the
// plugin's own AWS_ENDPOINT_URL_STS; "" for the region's.
func (doc *doctor) stsEndpoint() string {
	if doc.f.stsEndpoint != "" {
		return doc.f.stsEndpoint
	}
	return doc.plugin.env[stsEndpointEnv]
}

// credentials finds the plugin's AWS credentials and asks STS whose they
// are. A failure is classified (diagnoseSTSFailure): a network failure is
// never reported as a refusal of the credentials.
func (doc *doctor) credentials(ctx context.Context) step {
	const name = "credentials"
	p := doc.plugin
	o := tokengen.CredentialOptions{Profile: p.profile, Region: p.region, RoleARN: p.roleARN, STSEndpoint: doc.stsEndpoint(),
		Getenv: p.getenv(doc.d.io.Getenv), Now: doc.d.io.Now, HTTPClient: doc.d.stsHTTPClient()}
	src := describeSource(ctx, o)
	cfg, err := doc.d.loadConfig(ctx, o)
	if err != nil {
		return fail(name, explainCredentialError(err, src.src, tokenFlags{profile: p.profile, roleARN: p.roleARN}).Error(), doc.loadFix(err, src))
	}
	// One attempt each: a retry would only hide what failed.
	cfg.RetryMaxAttempts = 1
	callCtx, cancel := context.WithTimeout(ctx, doc.d.timeout())
	defer cancel()
	call := stsCall{endpoint: orPlaceholder(doc.stsEndpoint(), "https://sts."+cfg.Region+".amazonaws.com"), timeout: doc.d.timeout(), src: src}
	creds, err := cfg.Credentials.Retrieve(callCtx)
	if err != nil {
		call.now = doc.d.io.Now()
		_, detail, fix := diagnoseSTSFailure(err, call)
		return fail(name, detail, fix)
	}
	if now := doc.d.io.Now(); creds.CanExpire && !creds.Expires.After(now) {
		return fail(name, fmt.Sprintf("%s: the credentials from %s expired at %s", classExpired, src.name, creds.Expires.UTC().Format(time.RFC3339)), src.expiredFix())
	}
	info, err := doc.d.callerIdentity(callCtx, cfg, doc.stsEndpoint())
	if err != nil {
		call.now = doc.d.io.Now()
		_, detail, fix := diagnoseSTSFailure(err, call)
		return fail(name, detail, fix)
	}
	doc.cfg, doc.caller, doc.source = cfg, info, src
	return step{name: name, ok: true, detail: fmt.Sprintf("from %s: you are %s (account %s)", src.used(creds), info.ARN, info.Account)}
}

// clock compares this machine's clock with STS's.
func (doc *doctor) clock(context.Context) step {
	const name = "clock"
	if doc.caller.Date.IsZero() {
		return step{name: name, skip: true, detail: "STS's answer had no Date header"}
	}
	skew := doc.d.io.Now().Sub(doc.caller.Date).Round(time.Second)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	// The Date header has a resolution of one second; allow for it.
	if abs >= token.MaxClockSkew {
		return fail(name, fmt.Sprintf("%s: this machine's clock is %s off STS's: tokens it signs are refused", classClockSkew, skew), clockFix)
	}
	return step{name: name, ok: true, detail: fmt.Sprintf("within %s of STS's", abs+time.Second)}
}

// token generates a token as the plugin would.
func (doc *doctor) token(ctx context.Context) step {
	const name = "token"
	tok, err := tokengen.Generate(ctx, doc.cfg.Credentials, tokengen.Options{ClusterID: doc.plugin.clusterID, Region: doc.cfg.Region, Now: doc.d.io.Now})
	if err != nil {
		return fail(name, "cannot generate a token: "+err.Error(), "kubeiam token -i "+doc.plugin.clusterID+" shows the same error with more detail")
	}
	doc.tok = tok.Value
	return step{name: name, ok: true, detail: fmt.Sprintf("generated for cluster ID %q (sha256 %s)", doc.plugin.clusterID, token.Fingerprint(tok.Value))}
}

// tokenCheck validates the token as the server does.
func (doc *doctor) tokenCheck(context.Context) step {
	const name = "token check"
	p, err := partition.New().ForRegion(doc.cfg.Region)
	if err != nil {
		return fail(name, err.Error(), "set a valid region: --region or AWS_REGION")
	}
	now := doc.d.io.Now()
	req, err := token.Validator{Partition: p, Now: doc.d.io.Now}.Validate(doc.tok)
	if err != nil {
		return fail(name, "the server would refuse the token: "+err.Error(), "")
	}
	return step{name: name, ok: true, detail: fmt.Sprintf("STS host %s, expires %s (in %s)", req.Endpoint.Host,
		req.Expiry().UTC().Format(time.RFC3339), req.Expiry().Sub(now).Round(time.Second))}
}

// server asks the server what it makes of the token.
func (doc *doctor) server(ctx context.Context) step {
	const name = "server"
	if doc.f.srv.server == "" {
		return step{name: name, skip: true, detail: "no --server or KUBEIAM_WEBHOOK: the server's verdict is not checked"}
	}
	c, err := doc.d.client(doc.f.srv, "")
	if err != nil {
		return fail(name, err.Error(), "")
	}
	w, err := c.Whoami(ctx, doc.tok)
	var se *diag.StatusError
	switch {
	case errors.As(err, &se):
		return fail(name, "the server refused the whoami request: "+se.Error(), "")
	case err != nil:
		return fail(name, "cannot reach the server: "+err.Error(), "check --server and --ca-file (KUBEIAM_WEBHOOK, KUBEIAM_CA)")
	}
	if w.Authenticated {
		return step{name: name, ok: true, detail: fmt.Sprintf("authenticated as %q, groups [%s], by %s", w.Username, strings.Join(w.Groups, " "), w.MappedBy)}
	}
	return fail(name, fmt.Sprintf("Unauthorized%s: %s; %s", codeInParens(w.Code), dash(w.Reason), doc.expected(w)), doc.serverFix(ctx, c, w))
}

// expected compares who you are with who the configuration expects.
func (doc *doctor) expected(w diag.Whoami) string {
	you := orPlaceholder(w.ARN, doc.caller.ARN)
	msg := "you are " + you
	if doc.plugin.roleARN != "" {
		if k, err := arn.Key(doc.plugin.roleARN); err == nil {
			if p, err := arn.Parse(you); err == nil && p.Key() != k {
				msg += ", but the kubeconfig asks for role " + doc.plugin.roleARN
			}
		}
	}
	if w.ClusterCreatorARN != "" {
		msg += ", the cluster creator is " + w.ClusterCreatorARN
	}
	return msg
}

// serverFix is the fix for the server's refusal. For an identity the
// server does not map, the other local profiles are tried first: when one
// is accepted, the likely cause is the client's choice of identity, fixed
// in the kubeconfig, not in the cluster.
func (doc *doctor) serverFix(ctx context.Context, c *diag.Client, w diag.Whoami) string {
	you := orPlaceholder(w.ARN, doc.caller.ARN)
	switch w.Code {
	case "ARN_NOT_MAPPED", "USERNAME_TEMPLATE_FAILED":
		if others := doc.otherIdentities(ctx, c, doc.source.src); len(others) > 0 {
			return doc.wrongIdentityFix(you, others, doc.source.src)
		}
		return "a cluster manager sees exactly why and what maps you: kubeiam explain --arn " + you
	case "PRINCIPAL_RECREATED":
		return "your IAM principal " + you + " was deleted and recreated since its access entry was created, and an entry never carries over to a recreated principal (as in EKS): " +
			"a cluster manager recreates the entry; kubeiam explain --token with a token of yours prints the exact commands"
	case classWrongClusterID:
		if doc.f.clusterID != "" {
			return doc.clusterIDFix(doc.f.clusterID)
		}
		return "the token names cluster ID " + doc.plugin.clusterID + "; find the server's (its --cluster-id) and run: kubeiam doctor --cluster-name ID"
	case "STS_REJECTED":
		if doc.f.clusterID == "" {
			return "a token minted for another cluster ID fails this way: run kubeiam doctor --cluster-name ID with the server's cluster ID (its --cluster-id)"
		}
		return "the credentials passed STS's check here, the token does not at the server: check that the server's --sts-endpoint and region reach the STS that knows them"
	case "TOKEN_EXPIRED":
		return clockFix
	}
	return ""
}
