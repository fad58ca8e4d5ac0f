package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
)

// verifyOptions are the flags of "kubeiam verify".
type verifyOptions struct {
	token       string
	clusterID   string
	partition   string
	stsEndpoint string
	output      string
	timeout     time.Duration
}

// maxVerifyInput bounds what verify reads from stdin: a token, or the
// ExecCredential JSON that wraps one.
const maxVerifyInput = 64 << 10

func newVerifyCommand(s IO) *cobra.Command {
	o := verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--token TOKEN] --cluster-name NAME",
		Short: "Verify a k8s-aws-v1 token with STS, as the server would",
		Long: `Verify checks a token exactly as "kubeiam server" does: first locally (format,
STS host, signed x-k8s-aws-id header, validity window, ...), then by sending its
presigned GetCallerIdentity request to STS with this cluster's ID. It prints who
signed the token, or the exact reason it is refused. The token itself is never
printed; it is identified by the first 12 hex digits of its SHA-256.

The token is read from --token or, when that is omitted or "-", from standard
input, either bare or inside the ExecCredential JSON that "kubeiam token" and
"aws eks get-token" print. Prefer standard input: a --token value is visible
to other users of this machine in the process list.

Exit status: 0 verified, 1 refused (or STS unreachable), 2 bad usage.`,
		Example: `  # Verify a fresh token for cluster "prod"
  aws eks get-token --cluster-name prod | kubeiam verify -i prod

  # The same, as JSON
  kubeiam token -i prod | kubeiam verify -i prod -o json

  # Against a local STS emulator: the request goes to 127.0.0.1:4566 while its
  # Host header stays the AWS host the token was signed for
  kubeiam verify -i dev --sts-endpoint http://127.0.0.1:4566 < token.txt

  # A GovCloud token
  kubeiam verify -i gov-cluster --partition aws-us-gov < token.txt`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return withExitCode(2, fmt.Errorf("verify takes no arguments; pass the token with --token or on standard input"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerify(cmd, s, o)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	f := cmd.Flags()
	f.StringVar(&o.token, "token", "", `the token; omitted or "-" reads it from standard input`)
	addClusterFlag(f, &o.clusterID, s, "the ID the token must be minted for, sent to STS as x-k8s-aws-id (required)")
	f.StringVar(&o.partition, "partition", sts.DefaultPartition, "AWS partition whose STS endpoints tokens may name")
	f.StringVar(&o.stsEndpoint, "sts-endpoint", s.Getenv(stsEndpointEnv), "send the STS request to this URL instead (scheme://host[:port]), e.g. a VPC endpoint or an emulator (default $"+stsEndpointEnv+")")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.DurationVar(&o.timeout, "timeout", sts.DefaultTimeout, "time allowed for the STS call")
	return cmd
}

func runVerify(cmd *cobra.Command, s IO, o verifyOptions) error {
	if o.clusterID == "" {
		return withExitCode(2, errors.New("--cluster-name is required (or set $KUBEIAM_CLUSTER): the cluster the token was minted for (kubeiam token -i, aws eks get-token --cluster-name)"))
	}
	if o.output != "text" && o.output != "json" {
		return withExitCode(2, fmt.Errorf("--output %q: want text or json", o.output))
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	v, err := sts.NewVerifier(sts.VerifierConfig{
		ClusterID: o.clusterID, Partition: o.partition, Endpoint: o.stsEndpoint, Timeout: o.timeout, Now: now,
	})
	if err != nil {
		return withExitCode(2, err)
	}
	tok := o.token
	if tok == "" || tok == "-" {
		if tok, err = readVerifyToken(s.In); err != nil {
			return withExitCode(2, err)
		}
	}
	fingerprint := token.Fingerprint(tok)
	id, err := v.Verify(cmd.Context(), tok)
	if err != nil {
		return refuseVerify(s.Out, o, fingerprint, err)
	}
	req, _ := v.Validate(tok) // passed inside Verify; only its fields are wanted
	return printVerified(s.Out, o.output, verifiedReport(id, req, fingerprint, now()))
}

// readVerifyToken reads a token from r: bare, or the status.token of an
// ExecCredential.
func readVerifyToken(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no token: pass --token or pipe one to standard input")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxVerifyInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the token from standard input: %w", err)
	}
	if len(b) > maxVerifyInput {
		return "", fmt.Errorf("standard input is longer than %d bytes; a token is at most %d", maxVerifyInput, token.MaxLength)
	}
	in := strings.TrimSpace(string(b))
	if strings.HasPrefix(in, "{") {
		var ec struct {
			Status struct {
				Token string `json:"token"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(in), &ec); err != nil {
			return "", fmt.Errorf("standard input looks like JSON but is not an ExecCredential: %w", err)
		}
		in = ec.Status.Token
	}
	if in == "" {
		return "", errors.New("no token: pass --token or pipe one to standard input")
	}
	return in, nil
}

// verifyReport is what verify prints, in either format.
type verifyReport struct {
	Verified     bool   `json:"verified"`
	ARN          string `json:"arn,omitempty"`
	CanonicalARN string `json:"canonicalARN,omitempty"`
	AccountID    string `json:"accountID,omitempty"`
	UserID       string `json:"userID,omitempty"`
	SessionName  string `json:"sessionName,omitempty"`
	AccessKeyID  string `json:"accessKeyID,omitempty"`
	TokenSHA256  string `json:"tokenSHA256"`
	STSHost      string `json:"stsHost,omitempty"`
	Region       string `json:"region,omitempty"`
	SignedAt     string `json:"signedAt,omitempty"`
	ExpiresAt    string `json:"expiresAt,omitempty"`
	Outcome      string `json:"outcome"`
	Reason       string `json:"reason,omitempty"`
	Hint         string `json:"hint,omitempty"`
	expiresIn    time.Duration
}

func verifiedReport(id identity.Identity, req token.Request, fingerprint string, now time.Time) verifyReport {
	return verifyReport{
		Verified: true, ARN: id.ARN, CanonicalARN: id.CanonicalARN, AccountID: id.AccountID,
		UserID: id.UserID, SessionName: id.SessionName, AccessKeyID: id.AccessKeyID,
		TokenSHA256: fingerprint, STSHost: req.Endpoint.Host, Region: req.Region,
		SignedAt:  req.SignedAt.UTC().Format(time.RFC3339),
		ExpiresAt: req.Expiry().UTC().Format(time.RFC3339),
		Outcome:   sts.Classify(nil),
		expiresIn: req.Expiry().Sub(now).Truncate(time.Second),
	}
}

func printVerified(w io.Writer, format string, r verifyReport) error {
	if format == "json" {
		return writeVerifyJSON(w, r)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	session := r.SessionName
	if session == "" {
		session = "-"
	}
	for _, row := range [][2]string{
		{"verified", "yes"},
		{"ARN", r.ARN},
		{"canonical ARN", r.CanonicalARN},
		{"account", r.AccountID},
		{"user ID", r.UserID},
		{"session name", session},
		{"access key ID", r.AccessKeyID},
		{"token SHA-256", r.TokenSHA256 + " (first 12 hex digits)"},
		{"STS endpoint", r.STSHost + " (" + r.Region + ")"},
		{"signed at", r.SignedAt},
		{"expires", fmt.Sprintf("%s (in %s)", r.ExpiresAt, r.expiresIn)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// refuseVerify reports a refusal: on stdout as JSON when asked, and always
// as the returned error (exit 1) with the outcome and the token's
// fingerprint, which Main prints on stderr.
func refuseVerify(w io.Writer, o verifyOptions, fingerprint string, err error) error {
	r := verifyReport{TokenSHA256: fingerprint, Outcome: sts.Classify(err), Reason: err.Error(), Hint: verifyHint(o, err)}
	if o.output == "json" {
		if werr := writeVerifyJSON(w, r); werr != nil {
			return withExitCode(1, werr)
		}
	}
	hint := ""
	if r.Hint != "" {
		hint = "\nhint: " + r.Hint
	}
	return withExitCode(1, fmt.Errorf("token refused (%s, token sha256 %s): %w%s", r.Outcome, fingerprint, err, hint))
}

// verifyHint suggests the usual cause of a refusal, where there is one.
func verifyHint(o verifyOptions, err error) string {
	var se *sts.STSError
	switch {
	case errors.Is(err, token.ErrTooOld):
		return "tokens last 15 minutes; mint a fresh one"
	case errors.Is(err, token.ErrFromFuture):
		return "this machine's clock or the signer's is wrong"
	case errors.Is(err, token.ErrHost):
		return fmt.Sprintf("the token must name an STS endpoint of partition %s (see --partition)", o.partition)
	case errors.Is(err, token.ErrSignedHeaders):
		return "the token is not bound to a cluster; mint it with kubeiam token -i or aws eks get-token --cluster-name"
	case errors.As(err, &se) && se.Code == "SignatureDoesNotMatch":
		return fmt.Sprintf("a token minted for a cluster ID other than %q fails this way", o.clusterID)
	case errors.Is(err, sts.ErrUnavailable):
		return "STS could not be reached; check the network, --sts-endpoint and --timeout"
	}
	return ""
}

func writeVerifyJSON(w io.Writer, r verifyReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
