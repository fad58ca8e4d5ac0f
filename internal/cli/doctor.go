package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
}

type doctorFlags struct {
	kubeconfig, context, clusterID, stsEndpoint string
	srv                                         diagServerFlags
}

// newDoctorCommand builds "kubeiam doctor".
func newDoctorCommand(s IO) *cobra.Command {
	return newDoctorCommandWithDeps(doctorDeps{diagDeps: defaultDiagDeps(s), lookPath: exec.LookPath})
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
  credentials    AWS credentials found, not expired, and whose they are (STS GetCallerIdentity)
  clock          this machine's clock against STS's (tokens allow 5 minutes of skew)
  token          a token generated as the plugin would
  token check    its STS host and expiry, checked as the server checks them
  server         the kubeiam server's verdict on the token (--server, default $KUBEIAM_WEBHOOK)

Exit status: 0 every link holds, 1 a link is broken, 2 bad usage.`,
		Example: `  kubeiam doctor
  kubeiam doctor --context prod --cluster-id prod --server https://kubeiam.example:21362 --ca-file ca.crt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), d, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, else ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context (default the current one)")
	fl.StringVarP(&f.clusterID, "cluster-id", "i", d.io.Getenv("KUBEIAM_CLUSTER"), "the cluster ID the server expects (default $KUBEIAM_CLUSTER)")
	fl.StringVar(&f.stsEndpoint, "sts-endpoint", "", "send GetCallerIdentity and AssumeRole to this STS URL")
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
	kctx, ok := raw.Contexts[ctxName]
	if ctxName == "" || !ok {
		return fail(name, fmt.Sprintf("context %q not found in %s", ctxName, strings.Join(rules.Precedence, ":")+rules.ExplicitPath),
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

// execPlugin is what the kubeconfig's exec plugin would do.
type execPlugin struct {
	user, command                       string
	clusterID, profile, region, roleARN string
	env                                 map[string]string
}

// parseExecPlugin reads the flags of kubeiam token, aws eks get-token
// and aws-iam-authenticator token.
func parseExecPlugin(user string, e *clientcmdapi.ExecConfig) execPlugin {
	p := execPlugin{user: user, command: e.Command, env: map[string]string{}}
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
		return fail(name, fmt.Sprintf("the plugin mints tokens for cluster ID %q, but the cluster's ID is %q: the server's STS call fails the signature check", p.clusterID, doc.f.clusterID),
			fmt.Sprintf("change the cluster ID arg of user %s from %s to %s (kubectl config view --raw; edit users[].user.exec.args)", p.user, p.clusterID, doc.f.clusterID))
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

// credentials finds the plugin's AWS credentials and asks STS whose they are.
func (doc *doctor) credentials(ctx context.Context) step {
	const name = "credentials"
	p := doc.plugin
	o := tokengen.CredentialOptions{Profile: p.profile, Region: p.region, RoleARN: p.roleARN, STSEndpoint: doc.f.stsEndpoint,
		Getenv: p.getenv(doc.d.io.Getenv), Now: doc.d.io.Now}
	src := o.Source()
	cfg, err := doc.d.loadConfig(ctx, o)
	if err != nil {
		return fail(name, explainCredentialError(err, src, tokenFlags{profile: p.profile, roleARN: p.roleARN}).Error(), credentialFix(src))
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fail(name, fmt.Sprintf("no usable credentials from %s: %v", src, err), credentialFix(src))
	}
	if now := doc.d.io.Now(); creds.CanExpire && !creds.Expires.After(now) {
		return fail(name, fmt.Sprintf("the credentials from %s expired at %s", src, creds.Expires.UTC().Format(time.RFC3339)), credentialFix(src))
	}
	info, err := doc.d.callerIdentity(ctx, cfg, doc.f.stsEndpoint)
	if err != nil {
		return fail(name, fmt.Sprintf("STS refuses the credentials from %s: %v", src, err), credentialFix(src))
	}
	doc.cfg, doc.caller = cfg, info
	return step{name: name, ok: true, detail: fmt.Sprintf("from %s: you are %s (account %s)", src, info.ARN, info.Account)}
}

func credentialFix(src tokengen.Source) string {
	if src.Kind == tokengen.SourceProfile || src.Kind == tokengen.SourceProfileFlag {
		profile := orPlaceholder(src.Profile, "default")
		return fmt.Sprintf("aws sso login --profile %s (SSO), or aws configure --profile %s (keys); check with: aws sts get-caller-identity --profile %s", profile, profile, profile)
	}
	return "refresh the AWS credentials in your environment; check with: aws sts get-caller-identity"
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
		return fail(name, fmt.Sprintf("this machine's clock is %s off STS's: tokens it signs are refused", skew),
			"synchronize the clock (timedatectl set-ntp true, or your OS's time settings)")
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
	return fail(name, fmt.Sprintf("Unauthorized (%s): %s; %s", w.Code, w.Reason, doc.expected(w)), doc.serverFix(w))
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

func (doc *doctor) serverFix(w diag.Whoami) string {
	switch w.Code {
	case "ARN_NOT_MAPPED", "USERNAME_TEMPLATE_FAILED":
		principal := orPlaceholder(w.CanonicalARN, doc.caller.ARN)
		return "a cluster manager can see exactly why and what fixes it with: kubeiam explain --arn " + orPlaceholder(w.ARN, doc.caller.ARN) +
			"\nthe usual fix: kubeiam access-entry create --principal-arn " + principal + "  (or map it in aws-auth)"
	case "STS_REJECTED":
		return "a token minted for another cluster ID fails this way: check the plugin's cluster ID against the server's --cluster-id"
	case "TOKEN_EXPIRED":
		return "synchronize this machine's clock"
	}
	return ""
}
