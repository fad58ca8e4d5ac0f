package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// diagDeps is what the diagnosis commands (whoami, explain, logs, doctor)
// need of the outside world; tests replace each piece.
type diagDeps struct {
	io IO
	// loadConfig loads AWS credentials through the SDK's default chain.
	loadConfig func(context.Context, tokengen.CredentialOptions) (aws.Config, error)
	// callerIdentity asks STS (at endpoint when set) who the credentials
	// belong to, with the Date of STS's answer.
	callerIdentity func(ctx context.Context, cfg aws.Config, endpoint string) (callerInfo, error)
	// httpClient returns a client that trusts caFile (the system roots when
	// empty).
	httpClient func(caFile string) (*http.Client, error)
	// newKubeClient connects to the kubeconfig's cluster (explain's live
	// RBAC); nil is kube.NewClient.
	newKubeClient func(kube.ClientOptions) (kubernetes.Interface, error)
}

func defaultDiagDeps(s IO) diagDeps {
	return diagDeps{io: s, loadConfig: tokengen.LoadCredentials, callerIdentity: stsCallerIdentity, httpClient: caClient}
}

// callerInfo is STS's GetCallerIdentity answer.
type callerInfo struct {
	ARN, Account, UserID string
	// Date is the Date header of STS's answer: STS's clock.
	Date time.Time
}

func stsCallerIdentity(ctx context.Context, cfg aws.Config, endpoint string) (callerInfo, error) {
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return callerInfo{}, err
	}
	info := callerInfo{ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
		info.Date, _ = http.ParseTime(raw.Header.Get("Date"))
	}
	return info, nil
}

// caClient returns an HTTP client that trusts the CA in caFile.
func caClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := readInput(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 0}, nil
}

// credFlags say whose token to send: --token, or one generated like
// "kubeiam token" does.
type credFlags struct {
	token, clusterID, profile, region, roleARN, stsEndpoint string
}

func (f *credFlags) add(cmd *cobra.Command, s IO, tokenHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&f.token, "token", "", tokenHelp)
	addClusterFlag(fl, &f.clusterID, s, "that tokens are generated for and fix commands name")
	fl.StringVar(&f.profile, "profile", "", "AWS shared-config profile")
	fl.StringVar(&f.region, "region", "", "STS region")
	fl.StringVarP(&f.roleARN, "role-arn", "r", "", "assume this IAM role first")
	fl.StringVar(&f.stsEndpoint, "sts-endpoint", s.Getenv(stsEndpointEnv), "send STS calls (GetCallerIdentity, AssumeRole) to this URL (default $"+stsEndpointEnv+")")
}

func (f credFlags) options(s IO) tokengen.CredentialOptions {
	return tokengen.CredentialOptions{Profile: f.profile, Region: f.region, RoleARN: f.roleARN,
		STSEndpoint: f.stsEndpoint, Getenv: s.Getenv, Now: s.Now}
}

// generateToken mints a token for aud from the caller's credentials: the
// cluster's to be evaluated as kube-apiserver would (whoami, explain
// yourself), the API's to authenticate to the manager endpoints.
func (d diagDeps) generateToken(ctx context.Context, f credFlags, aud token.Audience) (string, error) {
	if err := tokengen.ValidateClusterID(f.clusterID); err != nil {
		return "", withExitCode(2, fmt.Errorf("--cluster-name (or $KUBEIAM_CLUSTER): %w", err))
	}
	o := f.options(d.io)
	cfg, err := d.loadConfig(ctx, o)
	if err != nil {
		return "", explainCredentialError(err, o.Source(), tokenFlags{profile: f.profile, roleARN: f.roleARN})
	}
	tok, err := tokengen.Generate(ctx, cfg.Credentials, tokengen.Options{ClusterID: f.clusterID, Region: cfg.Region, Audience: aud, Now: d.io.Now})
	if err != nil {
		return "", explainCredentialError(err, o.Source(), tokenFlags{profile: f.profile, roleARN: f.roleARN})
	}
	return tok.Value, nil
}

// callerToken is --token, or a generated one for aud.
func (d diagDeps) callerToken(ctx context.Context, f credFlags, aud token.Audience) (string, error) {
	if f.token != "" {
		return strings.TrimSpace(f.token), nil
	}
	return d.generateToken(ctx, f, aud)
}

// diagServerFlags locate the kubeiam server.
type diagServerFlags struct {
	server, caFile string
	insecureHTTP   bool
}

func (f *diagServerFlags) add(cmd *cobra.Command, s IO) {
	cmd.Flags().StringVar(&f.server, "server", s.Getenv("KUBEIAM_WEBHOOK"), "kubeiam server URL (default $KUBEIAM_WEBHOOK)")
	cmd.Flags().StringVar(&f.caFile, "ca-file", s.Getenv("KUBEIAM_CA"), "CA of the server's certificate (default $KUBEIAM_CA)")
	cmd.Flags().BoolVar(&f.insecureHTTP, insecureHTTPFlag, false, insecureHTTPHelp)
}

// check validates --server before any credential is loaded: it is where
// a token will be sent.
func (f diagServerFlags) check() error {
	if f.server == "" {
		return withExitCode(2, errors.New("no server: pass --server or set KUBEIAM_WEBHOOK"))
	}
	return checkEndpointTransport("--server", f.server, f.insecureHTTP)
}

func (d diagDeps) client(f diagServerFlags, tok string) (*diag.Client, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	hc, err := d.httpClient(f.caFile)
	if err != nil {
		return nil, withExitCode(2, err)
	}
	return &diag.Client{BaseURL: f.server, HTTP: hc, Token: tok}, nil
}

type whoamiFlags struct {
	cred   credFlags
	srv    diagServerFlags
	output string
}

// newWhoamiCommand builds "kubeiam whoami".
func newWhoamiCommand(s IO) *cobra.Command { return newWhoamiCommandWithDeps(defaultDiagDeps(s)) }

func newWhoamiCommandWithDeps(d diagDeps) *cobra.Command {
	var f whoamiFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Ask the kubeiam server who your token makes you, and why",
		Long: `Whoami sends your token to the kubeiam server, which authenticates it exactly as
kube-apiserver's TokenReview would, and prints your ARN, Kubernetes username,
groups, UID, the mapping that matched and your access policies, or the code and
reason you are refused. It is "kubectl auth whoami" for when kubectl cannot
authenticate.

The token is --token, or one generated as "kubeiam token" does (--cluster-name,
--profile, --role-arn). Exit status: 0 authenticated, 1 refused, 2 bad usage.`,
		Example: `  kubeiam whoami -i my-cluster --server https://127.0.0.1:21362 --ca-file ca.crt
  AWS_PROFILE=developer kubeiam whoami -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWhoami(cmd.Context(), d, f) },
	}
	f.cred.add(cmd, d.io, "the token to send (default: generate one from your AWS credentials)")
	f.srv.add(cmd, d.io)
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func runWhoami(ctx context.Context, d diagDeps, f whoamiFlags) error {
	if f.output != "text" && f.output != "json" {
		return withExitCode(2, fmt.Errorf("--output %q: want text or json", f.output))
	}
	if err := f.srv.check(); err != nil {
		return err
	}
	tok, err := d.callerToken(ctx, f.cred, token.AudienceCluster)
	if err != nil {
		return err
	}
	c, err := d.client(f.srv, "")
	if err != nil {
		return err
	}
	w, err := c.Whoami(ctx, tok)
	if err != nil {
		return fmt.Errorf("whoami: %w", err)
	}
	if f.output == "json" {
		err = writeJSONOut(d.io.Out, w)
	} else {
		err = printWhoami(d.io.Out, w)
	}
	if err != nil {
		return err
	}
	if !w.Authenticated {
		return withExitCode(1, errors.New("not authenticated"+codeInParens(w.Code)+": "+dash(w.Reason)))
	}
	return nil
}

func printWhoami(out io.Writer, w diag.Whoami) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	rows := [][2]string{{"authenticated", yesNo(w.Authenticated)}, {"ARN", dash(w.ARN)}}
	if w.CanonicalARN != "" && w.CanonicalARN != w.ARN {
		rows = append(rows, [2]string{"matched as", w.CanonicalARN})
	}
	if w.Authenticated {
		rows = append(rows, [][2]string{{"username", dash(w.Username)}, {"uid", dash(w.UID)}, {"groups", dash(strings.Join(w.Groups, ", "))},
			{"mapped by", dash(w.MappedBy)}, {"access policies", dash(strings.Join(w.Policies, ", "))}}...)
	} else {
		rows = append(rows, [][2]string{{"code", dash(w.Code)}, {"reason", dash(w.Reason)}}...)
		if w.ClusterCreatorARN != "" {
			rows = append(rows, [2]string{"cluster creator", w.ClusterCreatorARN})
		}
	}
	for _, n := range w.Notes {
		rows = append(rows, [2]string{"note", n})
	}
	if w.TokenSHA256 != "" {
		rows = append(rows, [2]string{"token SHA-256", w.TokenSHA256 + " (first 12 hex digits)"})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// codeInParens is " (CODE)", or nothing when a server gave no code: never
// "()".
func codeInParens(code string) string {
	if code == "" {
		return ""
	}
	return " (" + code + ")"
}
