package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/partition"
)

// defaultSTSListen is where "kubeiam sts" listens unless told otherwise: a
// fixed loopback port, so that configs and docs can name it.
const defaultSTSListen = "127.0.0.1:9911"

// stsShutdownGrace is how long in-flight requests get after cancellation.
const stsShutdownGrace = 5 * time.Second

// stsOptions are the flags of "kubeiam sts".
type stsOptions struct {
	configFile  string
	listen      string
	writeConfig string
}

// stsDeps is what "kubeiam sts" needs beyond IO; tests replace them.
type stsDeps struct {
	IO
	// Rand generates the dev identities and session credentials.
	Rand io.Reader
	// Listen opens the listening socket.
	Listen func(network, address string) (net.Listener, error)
	// Ready, when set, is called once the banner is printed and the server
	// accepts connections.
	Ready func(addr net.Addr)
}

func newSTSCommand(s IO) *cobra.Command {
	return newSTSCommandWith(stsDeps{IO: s, Rand: rand.Reader, Listen: net.Listen})
}

func newSTSCommandWith(d stsDeps) *cobra.Command {
	o := stsOptions{}
	cmd := &cobra.Command{
		Use:   "sts [--config FILE | --write-config FILE] [--listen ADDR]",
		Short: "Run a local STS with real SigV4 verification, for development and tests",
		Long: `Sts runs an STS-compatible endpoint that answers GetCallerIdentity and AssumeRole
for identities you define (and IAM GetRole and GetUser, which report their unique
IDs: "kubeiam sts recreate-role" gives a role a new one), and verifies every AWS
Signature Version 4 for real:
in the Authorization header (the AWS CLI and SDKs calling it with
--endpoint-url) and in presigned URLs (k8s-aws-v1 tokens from "kubeiam token" or
"aws eks get-token", sent by "kubeiam verify" or "kubeiam server" with the Host
of the AWS endpoint they were signed for). No request leaves this machine.

Without --config it generates dev identities in account 111122223333 and prints
their credentials: the users "creator" (the cluster creator) and "developer"
(mapped to nothing), the role "admin" (assumable by both) and the IAM Identity
Center role AWSReservedSSO_AdminAccess_0123456789abcdef (assumable by
developer). --write-config FILE saves them so that --config FILE brings the same
keys back next time. With --config the secrets are not printed: they are in
your file.

It listens on ` + defaultSTSListen + ` by default; --listen 127.0.0.1:0 picks a free port.
The endpoint speaks plain HTTP and is meant for loopback. It stops cleanly on
interrupt; sessions from AssumeRole live in memory until then.

The config file (YAML):

  partition: aws            # default aws
  accounts:
  - id: "111122223333"
    users:
    - name: alice
      path: /engineering/   # optional
      accessKeys:
      - accessKeyId: AKIA...             # AKIA + upper-case letters and digits
        secretAccessKey: ...
    roles:
    - name: admin
      trust:                # who may assume it
      - arn:aws:iam::111122223333:user/alice
      - arn:aws:iam::111122223333:root   # anyone in the account
      - "*"                              # anyone the server knows`,
		Example: `  # Generate dev identities, keep them, and serve on 127.0.0.1:9911
  kubeiam sts --write-config dev-sts.yaml

  # Ask it who you are, with the AWS CLI (keys as printed at start-up)
  AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... \
    aws sts get-caller-identity --endpoint-url http://127.0.0.1:9911 --region us-east-1

  # Assume the admin role
  AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... \
    aws sts assume-role --role-arn arn:aws:iam::111122223333:role/admin \
    --role-session-name alice --endpoint-url http://127.0.0.1:9911 --region us-east-1

  # Verify a token against it: the request goes to the local STS, its Host stays AWS's
  AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... aws eks get-token --cluster-name dev \
    | kubeiam verify -i dev --sts-endpoint http://127.0.0.1:9911

  # Reuse the saved identities on a free port
  kubeiam sts --config dev-sts.yaml --listen 127.0.0.1:0`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return withExitCode(2, errors.New("sts takes no arguments"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSTS(cmd.Context(), d, o)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	f := cmd.Flags()
	f.StringVar(&o.configFile, "config", "", "YAML file of accounts, users, keys and roles; default: generate dev identities")
	f.StringVar(&o.listen, "listen", defaultSTSListen, "address to listen on; port 0 picks a free one")
	f.StringVar(&o.writeConfig, "write-config", "", "save the generated dev identities to this new file (mode 0600), for --config later")
	cmd.AddCommand(newSTSRecreateRoleCommand(d.IO))
	return cmd
}

func runSTS(ctx context.Context, d stsDeps, o stsOptions) error {
	if o.configFile != "" && o.writeConfig != "" {
		return withExitCode(2, errors.New("--write-config saves generated identities; it cannot be combined with --config"))
	}
	cfg, generated, err := loadSTSConfig(d, o)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(d.Err, nil))
	srv, err := localsts.New(cfg, localsts.Options{Now: d.Now, Logger: logger, Rand: d.Rand})
	if err != nil {
		return withExitCode(2, err)
	}
	ln, err := d.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	if !isLoopback(ln.Addr()) {
		logger.Warn("local STS listening beyond loopback; it speaks plain HTTP", "addr", ln.Addr().String())
	}
	endpoint := "http://" + ln.Addr().String()
	if err := printSTSBanner(d.Out, cfg, endpoint, generated, o.writeConfig); err != nil {
		_ = ln.Close()
		return err
	}
	return serveSTS(ctx, d, srv, ln, logger)
}

// loadSTSConfig reads --config, or generates dev identities and saves them
// to --write-config.
func loadSTSConfig(d stsDeps, o stsOptions) (cfg *localsts.Config, generated bool, err error) {
	if o.configFile != "" {
		data, err := readInput(o.configFile)
		if err != nil {
			return nil, false, withExitCode(2, fmt.Errorf("read --config: %w", err))
		}
		cfg, err := localsts.ParseConfig(data)
		if err != nil {
			return nil, false, withExitCode(2, fmt.Errorf("--config %s: %w", o.configFile, err))
		}
		return cfg, false, nil
	}
	cfg = localsts.DevConfig(d.Rand)
	if o.writeConfig == "" {
		return cfg, true, nil
	}
	data, err := cfg.Marshal()
	if err != nil {
		return nil, false, err
	}
	// O_EXCL: never overwrite a file that may hold someone's keys.
	file, err := os.OpenFile(o.writeConfig, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, withExitCode(2, fmt.Errorf("--write-config: %w (to reuse an existing file, pass --config)", err))
	}
	if _, err := file.Write(data); err != nil {
		_ = file.Close()
		return nil, false, fmt.Errorf("write --write-config %s: %w", o.writeConfig, err)
	}
	if err := file.Close(); err != nil {
		return nil, false, fmt.Errorf("write --write-config %s: %w", o.writeConfig, err)
	}
	return cfg, true, nil
}

// serveSTS serves until ctx is cancelled, then drains in-flight requests.
func serveSTS(ctx context.Context, d stsDeps, h http.Handler, ln net.Listener, logger *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	logger.Info("local STS serving", "endpoint", "http://"+ln.Addr().String())
	if d.Ready != nil {
		d.Ready(ln.Addr())
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// The parent context is done; the grace period needs its own.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stsShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	<-served // http.ErrServerClosed
	logger.Info("local STS stopped")
	return nil
}

// printSTSBanner tells the user where the endpoint is and who can call it.
// Generated dev secrets are printed, since nothing else holds them; secrets
// from a config file are not.
func printSTSBanner(w io.Writer, cfg *localsts.Config, endpoint string, generated bool, savedTo string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "kubeiam local STS listening on %s (partition %s)\n", endpoint, cfg.Partition)
	switch {
	case generated && savedTo != "":
		fmt.Fprintf(&b, "\nGenerated dev identities, saved to %s (reuse them with --config %s):\n", savedTo, savedTo)
	case generated:
		b.WriteString("\nGenerated dev identities (new keys every start; --write-config FILE keeps them):\n")
	default:
		b.WriteString("\nIdentities from the config file:\n")
	}
	var tryKey localsts.AccessKey
	for _, a := range cfg.Accounts {
		for _, u := range a.Users {
			fmt.Fprintf(&b, "\n  user %s\n    arn:%s:iam::%s:user%s%s\n", u.Name, cfg.Partition, a.ID, u.Path, u.Name)
			for _, k := range u.AccessKeys {
				if tryKey.AccessKeyID == "" {
					tryKey = k
				}
				if generated {
					fmt.Fprintf(&b, "    export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", k.AccessKeyID, k.SecretAccessKey)
				} else {
					fmt.Fprintf(&b, "    access key %s\n", k.AccessKeyID)
				}
			}
		}
		for _, r := range a.Roles {
			trust := strings.Join(r.Trust, ", ")
			if trust == "" {
				trust = "nobody"
			}
			fmt.Fprintf(&b, "\n  role %s\n    arn:%s:iam::%s:role%s%s\n    trusted by %s\n", r.Name, cfg.Partition, a.ID, r.Path, r.Name, trust)
		}
	}
	if tryKey.AccessKeyID != "" {
		secret := tryKey.SecretAccessKey
		if !generated {
			secret = "..."
		}
		region := "us-east-1"
		if p, ok := partition.New().Lookup(cfg.Partition); ok {
			region = p.DefaultRegion
		}
		fmt.Fprintf(&b, "\nTry:\n  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s \\\n    aws sts get-caller-identity --endpoint-url %s --region %s\n",
			tryKey.AccessKeyID, secret, endpoint, region)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
