package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// This file holds "kubeiam cluster" and what the three access-management
// command groups (cluster, access-entry, access-policy) share: the EKS
// client flags, output formats and error hints.

const (
	// fallbackRegion signs requests when neither --region nor the AWS
	// config names one; kubeiam's API accepts any region of the partition.
	fallbackRegion = "us-east-1"
)

// eksOptions are the flags every access-management command has.
type eksOptions struct {
	endpoint    string
	clusterName string
	profile     string
	region      string
	output      string
	auth        string
	caFile      string
	// insecureHTTP allows plain http to a host that is not loopback.
	insecureHTTP bool
}

// addEKSFlags registers the shared flags, with defaults from the
// environment (KUBEIAM_ENDPOINT, KUBEIAM_CLUSTER).
func addEKSFlags(cmd *cobra.Command, s IO, o *eksOptions) {
	f := cmd.PersistentFlags()
	addEndpointFlag(f, &o.endpoint, s)
	addClusterFlag(f, &o.clusterName, s, "whose access configuration is read or changed")
	f.StringVar(&o.profile, "profile", "", "AWS profile whose credentials sign the requests (default: the AWS default chain)")
	f.StringVar(&o.region, "region", "", "AWS region to sign for (default: from the AWS config, else "+fallbackRegion+")")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table, json or yaml")
	f.StringVar(&o.auth, "auth", "token", `how to authenticate: "token" sends a k8s-aws-v1 token minted for the API (not the cluster token kubectl sends; works everywhere), "sigv4" signs like the AWS CLI (works where the server knows the secret: the dev server's local STS)`)
	f.StringVar(&o.caFile, "ca-file", s.Getenv("KUBEIAM_CA"), "CA bundle for an https endpoint (default from KUBEIAM_CA)")
	f.BoolVar(&o.insecureHTTP, insecureHTTPFlag, false, insecureHTTPHelp)
}

// groupCommand returns a command that only holds subcommands.
func groupCommand(s IO, use, short, long string, o *eksOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withExitCode(2, fmt.Errorf("%s needs a subcommand; see %s --help", cmd.CommandPath(), cmd.CommandPath()))
		},
	}
	addEKSFlags(cmd, s, o)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	return cmd
}

// leaf finishes a subcommand: usage errors exit 2, the output flag is checked.
func leaf(cmd *cobra.Command, o *eksOptions, run func(ctx context.Context, c *eks.Client) error) *cobra.Command {
	cmd.Args = func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return withExitCode(2, fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args))
		}
		return nil
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		switch o.output {
		case "table", "json", "yaml":
		default:
			return withExitCode(2, fmt.Errorf("--output %q: use table, json or yaml", o.output))
		}
		if err := o.validate(); err != nil {
			return err
		}
		c, err := o.client(cmd.Context())
		if err != nil {
			return err
		}
		return run(cmd.Context(), c)
	}
	return cmd
}

// validate checks what every access-management call needs, before any
// credential is loaded: usage errors exit 2. A command's own checks of its
// flags come after it, so a plain-http endpoint is refused first whatever
// else is wrong.
func (o *eksOptions) validate() error {
	if err := requireEndpoint(o.endpoint); err != nil {
		return err
	}
	if err := checkEndpointTransport("--endpoint-url", o.endpoint, o.insecureHTTP); err != nil {
		return err
	}
	return requireCluster(o.clusterName)
}

// client builds an EKS client for the endpoint, signing with the caller's
// AWS credentials from the default chain (environment, profile, SSO, ...).
func (o *eksOptions) client(ctx context.Context) (*eks.Client, error) {
	if err := checkEndpointTransport("--endpoint-url", o.endpoint, o.insecureHTTP); err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, withExitCode(2, fmt.Errorf("load AWS configuration: %w", err))
	}
	if cfg.Region == "" {
		cfg.Region = fallbackRegion
	}
	endpoint := o.endpoint
	var apiOpts []func(*middleware.Stack) error
	switch o.auth {
	case "sigv4":
	case "token":
		tok, err := tokengen.Generate(ctx, cfg.Credentials, tokengen.Options{ClusterID: o.clusterName, Region: cfg.Region,
			Audience: token.AudienceAPI, Now: time.Now})
		if err != nil {
			return nil, fmt.Errorf("mint an API token for cluster %q: %w", o.clusterName, err)
		}
		apiOpts = append(apiOpts, bearer(tok.Value))
	default:
		return nil, withExitCode(2, fmt.Errorf("--auth %q: use token or sigv4", o.auth))
	}
	httpClient, err := caHTTPClient(o.caFile)
	if err != nil {
		return nil, withExitCode(2, err)
	}
	return eks.NewFromConfig(cfg, func(eo *eks.Options) {
		eo.BaseEndpoint = aws.String(endpoint)
		eo.APIOptions = append(eo.APIOptions, apiOpts...)
		if httpClient != nil {
			eo.HTTPClient = httpClient
		}
	}), nil
}

// bearer replaces the SigV4 Authorization header, after signing, with a
// k8s-aws-v1 token for the API's audience: kubeiam verifies it through STS,
// so it works against any kubeiam server, not only one whose local STS
// knows the caller's secret.
func bearer(tok string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("kubeiamBearerToken",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

// caHTTPClient trusts the CA bundle in file, or returns nil for the
// system's roots.
func caHTTPClient(file string) (*http.Client, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := readInput(file)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", file)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment,
	}}, nil
}

// apiFailure turns an EKS call's error into exit status 1 with the EKS
// error type, its message and what to do next.
func apiFailure(o *eksOptions, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		var ne net.Error
		if errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") {
			return withExitCode(1, fmt.Errorf("%w\nhint: is kubeiam's API listening at %s? Start it with \"kubeiam server --dev\", or pass --endpoint-url (or set KUBEIAM_ENDPOINT)", err, o.endpoint))
		}
		return withExitCode(1, err)
	}
	msg := ae.ErrorCode() + ": " + ae.ErrorMessage()
	if hint := errorHint(o, ae.ErrorCode(), ae.ErrorMessage()); hint != "" {
		msg += "\nhint: " + hint
	}
	return withExitCode(1, errors.New(msg))
}

// errorHint says what to do after an EKS error.
func errorHint(o *eksOptions, code, message string) string {
	switch {
	case strings.Contains(message, "authentication mode must be set"):
		return "enable access entries first: kubeiam cluster update-config --authentication-mode API_AND_CONFIG_MAP"
	case strings.Contains(message, "Unsupported authentication mode update"):
		return "authentication modes only move forwards (CONFIG_MAP → API_AND_CONFIG_MAP → API); see the current one with: kubeiam cluster describe"
	case code == "ResourceInUseException":
		return "the access entry exists; change it with: kubeiam access-entry update --principal-arn ..."
	case code == "ResourceNotFoundException" && strings.Contains(message, "No cluster found"):
		return "this API serves one cluster; pass its name with --cluster-name (or set KUBEIAM_CLUSTER), see: kubeiam cluster describe --cluster-name NAME"
	case code == "ResourceNotFoundException" && strings.Contains(message, "policyArn") && strings.Contains(message, "not associated"):
		return "list the entry's policies with: kubeiam access-policy list --principal-arn ..."
	case code == "ResourceNotFoundException" && strings.Contains(message, "policyArn"):
		return "list the available policies with: kubeiam access-policy catalog"
	case code == "ResourceNotFoundException":
		return "list the access entries with: kubeiam access-entry list"
	case code == "AccessDeniedException":
		return "only the cluster creator and the configured managers may change access; check who you are with: aws sts get-caller-identity"
	case code == "UnrecognizedClientException" || code == "InvalidSignatureException" || code == "MissingAuthenticationTokenException":
		return "the server did not accept your credentials: the token is minted for --cluster-name " + o.clusterName +
			", which must be the server's cluster ID, and your AWS identity must be one its STS knows (dev mode: . .kubeiam-dev/dev.env and AWS_PROFILE=creator)"
	case code == "InvalidParameterException":
		return "see the command's --help for the accepted values"
	}
	return ""
}

// render writes v as JSON or YAML, or calls table with an aligned writer.
func render(w io.Writer, format string, v any, table func(w io.Writer)) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clusterView is DescribeCluster's answer as kubeiam prints it.
type clusterView struct {
	Name                                    string `json:"name"`
	ARN                                     string `json:"arn"`
	Status                                  string `json:"status"`
	Version                                 string `json:"version,omitempty"`
	Endpoint                                string `json:"endpoint,omitempty"`
	CreatedAt                               string `json:"createdAt"`
	AuthenticationMode                      string `json:"authenticationMode"`
	BootstrapClusterCreatorAdminPermissions bool   `json:"bootstrapClusterCreatorAdminPermissions"`
}

func newClusterCommand(s IO) *cobra.Command {
	o := &eksOptions{}
	cmd := groupCommand(s, "cluster", "Show the cluster's access configuration and change its authentication mode",
		`Cluster shows and changes the cluster's access configuration through kubeiam's
EKS-compatible API, as "aws eks describe-cluster" and "aws eks
update-cluster-config --access-config" do.

The authentication mode says where IAM principals are mapped from:
  CONFIG_MAP           the aws-auth ConfigMap only
  API_AND_CONFIG_MAP   access entries first, then aws-auth
  API                  access entries only
Modes only move forwards. On the move from CONFIG_MAP, the cluster creator gets
an access entry with AmazonEKSClusterAdminPolicy, if the cluster bootstraps
creator admin permissions.

Requests are signed with your AWS credentials (the default chain, or --profile).`, o)
	cmd.AddCommand(newClusterDescribeCommand(s, o), newClusterUpdateConfigCommand(s, o))
	return cmd
}

func newClusterDescribeCommand(s IO, o *eksOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show the cluster's authentication mode and creator bootstrap setting",
		Example: `  kubeiam cluster describe
  kubeiam cluster describe --cluster-name prod --endpoint-url https://kubeiam.example.com:21363 -o json`,
	}
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(o.clusterName)})
		if err != nil {
			return apiFailure(o, err)
		}
		v := toClusterView(out.Cluster)
		return render(s.Out, o.output, v, func(w io.Writer) {
			// One word per header, so that each reads as the one column it is.
			fmt.Fprintln(w, "NAME\tSTATUS\tAUTHENTICATION_MODE\tBOOTSTRAP_CREATOR_ADMIN\tCREATED")
			fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\n", v.Name, dash(v.Status), dash(v.AuthenticationMode), v.BootstrapClusterCreatorAdminPermissions, dash(v.CreatedAt))
		})
	})
}

func toClusterView(cl *types.Cluster) clusterView {
	if cl == nil {
		return clusterView{}
	}
	v := clusterView{Name: aws.ToString(cl.Name), ARN: aws.ToString(cl.Arn), Status: string(cl.Status),
		Version: aws.ToString(cl.Version), Endpoint: aws.ToString(cl.Endpoint), CreatedAt: formatTime(cl.CreatedAt)}
	if cl.AccessConfig != nil {
		v.AuthenticationMode = string(cl.AccessConfig.AuthenticationMode)
		v.BootstrapClusterCreatorAdminPermissions = aws.ToBool(cl.AccessConfig.BootstrapClusterCreatorAdminPermissions)
	}
	return v
}

// updateView is UpdateClusterConfig's answer as kubeiam prints it.
type updateView struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	Type               string `json:"type"`
	AuthenticationMode string `json:"authenticationMode"`
	CreatedAt          string `json:"createdAt"`
}

func newClusterUpdateConfigCommand(s IO, o *eksOptions) *cobra.Command {
	var mode string
	cmd := &cobra.Command{
		Use:   "update-config --authentication-mode MODE",
		Short: "Change the authentication mode (CONFIG_MAP → API_AND_CONFIG_MAP → API)",
		Example: `  # Enable access entries next to aws-auth (the first step of a migration)
  kubeiam cluster update-config --authentication-mode API_AND_CONFIG_MAP

  # Stop reading aws-auth (refused while a mapping has no access entry, unless --force)
  kubeiam cluster update-config --authentication-mode API
  kubeiam cluster update-config --authentication-mode API --aws-auth-file /etc/kubeiam/aws-auth.yaml`,
		Long: `Update-config changes the authentication mode, as "aws eks update-cluster-config
--access-config authenticationMode=MODE" does. Modes only move forwards.

Before a switch to API, which stops reading aws-auth for good, it runs the pre-flight
check of "kubeiam migrate apply --final": it reads aws-auth from where the server
reads it (--aws-auth-file or $` + awsAuthFileEnv + `, else the ConfigMap through the
kubeconfig) and the access entries, and refuses, exit 1, when a mapping has no
equivalent access entry, listing who would lose access (administrators flagged) and
the commands that keep them. --force skips the check. The API itself, like EKS's,
does not check.`,
	}
	cmd.Flags().StringVar(&mode, "authentication-mode", "", "CONFIG_MAP, API_AND_CONFIG_MAP or API (required)")
	pf := &preflightOptions{deps: awsAuthDeps{IO: s, NewClient: kube.NewClient}}
	pf.addFlags(cmd, s)
	// The mode is checked before any credential is loaded, as every flag is.
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if mode == "" {
			return withExitCode(2, errors.New("--authentication-mode is required: API_AND_CONFIG_MAP or API"))
		}
		if !access.Mode(mode).Valid() {
			return withExitCode(2, fmt.Errorf("--authentication-mode %q: want CONFIG_MAP, API_AND_CONFIG_MAP or API", mode))
		}
		return nil
	}
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		if access.Mode(mode) == access.ModeAPI && !pf.force {
			if err := preflightAPIMode(ctx, cmd, s.Err, c, o, pf); err != nil {
				return err
			}
		}
		out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(o.clusterName),
			AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationMode(mode)}})
		if err != nil {
			return apiFailure(o, err)
		}
		v := updateView{}
		if u := out.Update; u != nil {
			v = updateView{ID: aws.ToString(u.Id), Status: string(u.Status), Type: string(u.Type), AuthenticationMode: mode, CreatedAt: formatTime(u.CreatedAt)}
		}
		return render(s.Out, o.output, v, func(w io.Writer) {
			fmt.Fprintln(w, "UPDATE_ID\tTYPE\tSTATUS\tAUTHENTICATION_MODE")
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", dash(v.ID), dash(v.Type), dash(v.Status), dash(v.AuthenticationMode))
		})
	})
}
