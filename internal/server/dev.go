package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// DevOptions configure "kubeiam server --dev".
type DevOptions struct {
	// Dir holds everything dev mode writes (default .kubeiam-dev).
	Dir string
	// Listen is the webhook's TLS address; AWSListen the plain-HTTP
	// address of the local STS and the access-management API.
	Listen, AWSListen string
	// Out receives the guided tour.
	Out    io.Writer
	Logger *slog.Logger
	Now    func() time.Time
	// Command is how the tour spells kubeiam ("kubeiam", "go run ./cmd/kubeiam").
	Command string

	// The settings of "kubeiam server" that dev mode honours; the zero
	// value keeps dev mode's own.

	// ClusterID replaces DevClusterID.
	ClusterID string
	// STSEndpoint is where the server sends the tokens' STS requests instead
	// of the local STS (a fault-injecting proxy in front of it, say). The
	// local STS still serves the AWS CLI on AWSListen.
	STSEndpoint string
	// STSTimeout bounds one STS call.
	STSTimeout time.Duration
	// Managers may change access besides the creator.
	Managers []string
	// AuthenticationMode is the initial mode of a new dev cluster.
	AuthenticationMode string
	// Reset deletes Dir first: new identities, a new cluster, the tour
	// from the start.
	Reset bool
}

// Dev cluster facts.
const (
	DevClusterID = "kubeiam-dev"
	DevRegion    = "us-east-1"
)

// RunDev runs the dev server: a local STS with seeded identities, the
// webhooks on loopback, an embedded store, and files that make the AWS CLI
// and kubeiam token work against them. It blocks until ctx is done.
func RunDev(ctx context.Context, o DevOptions) error {
	if o.Dir == "" {
		o.Dir = ".kubeiam-dev"
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("--dev-dir: %w", err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	// A bad option must cost nothing: not the state --reset deletes, not
	// a directory created for a server that cannot start.
	if err := CheckDevOptions(o); err != nil {
		return err
	}
	if o.Reset {
		if err := resetDevDir(dir); err != nil {
			return err
		}
	}
	undo, err := recordDir(dir)
	if err != nil {
		return err
	}
	ready := false
	err = runDev(ctx, o, dir, func() { ready = true })
	if err != nil && !ready {
		return failedStart(undo, err)
	}
	return err
}

// runDev is RunDev in dir; it calls ready once the server serves.
func runDev(ctx context.Context, o DevOptions, dir string, ready func()) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	stsCfg, err := devSTSConfig(filepath.Join(dir, "sts.yaml"))
	if err != nil {
		return err
	}
	local, err := localsts.New(stsCfg, localsts.Options{Now: o.Now, Logger: o.Logger})
	if err != nil {
		return fmt.Errorf("local STS: %w", err)
	}
	awsAuthFile := filepath.Join(dir, "aws-auth.yaml")
	if err := writeIfMissing(awsAuthFile, []byte(devAWSAuth)); err != nil {
		return err
	}
	awsLn, err := listen(o.AWSListen, "--aws-listen")
	if err != nil {
		return err
	}
	defer awsLn.Close()
	awsURL := "http://" + awsLn.Addr().String()

	cfg, err := devConfig(o, dir, awsURL, awsAuthFile)
	if err != nil {
		return err
	}
	files, err := writeAWSFiles(dir, stsCfg)
	if err != nil {
		return err
	}
	ids, err := LocalPrincipalIDs(stsCfg, awsURL)
	if err != nil {
		return err
	}
	return Run(ctx, Options{
		Config: cfg, Logger: o.Logger, Now: o.Now,
		LocalSTS: local, AWSListener: awsLn, PrincipalIDs: ids,
		OnReady: func(s *Server) {
			ready()
			t := tour{ClusterID: cfg.ClusterID, Dir: dir, Files: files, AWSURL: awsURL, Server: s, AWSAuthFile: awsAuthFile, Command: o.Command}
			if err := t.writeEnv(); err != nil {
				o.Logger.Error("write dev.env failed", "error", err)
			}
			t.print(o.Out)
		},
	})
}

// CheckDevOptions checks o's overrides of the dev configuration (cluster
// name, listen address, authentication mode, managers, STS endpoint and
// timeout) without touching anything, so that a caller can refuse them as
// bad usage before RunDev runs.
func CheckDevOptions(o DevOptions) error {
	// The local STS's address and the dev directory are not known yet;
	// placeholders of the right shape stand in for them.
	_, err := devConfig(o, filepath.Join(os.TempDir(), "kubeiam-dev-check"), "http://127.0.0.1:1", "aws-auth.yaml")
	return err
}

// devConfig is the server configuration of dev mode with o's overrides.
func devConfig(o DevOptions, dir, awsURL, awsAuthFile string) (config.Server, error) {
	cfg := config.Server{
		ClusterID:          orDefault(o.ClusterID, DevClusterID),
		Region:             DevRegion,
		Listen:             o.Listen,
		StateDir:           filepath.Join(dir, "state"),
		STSEndpoint:        orDefault(o.STSEndpoint, awsURL),
		STSTimeout:         config.Duration{Duration: o.STSTimeout},
		ClusterCreatorARN:  devARN("user/" + localsts.DevCreatorUser),
		AuthenticationMode: o.AuthenticationMode,
		Managers:           o.Managers,
		AWSAuth:            config.AWSAuth{File: awsAuthFile},
	}
	// The dev server listens on loopback only and is for trying kubeiam by
	// hand (curl a TokenReview with just its CA): it does not require the
	// client certificate. Its webhook kubeconfigs still carry one, as a
	// production server (which requires it by default) expects.
	off := false
	cfg.TLS.RequireClientCert = &off
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("dev configuration: %w", err)
	}
	return cfg, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func devARN(resource string) string {
	return "arn:aws:iam::" + localsts.DevAccount + ":" + resource
}

// devSTSConfig loads the dev identities, generating them on first run so
// that their keys stay the same across restarts of the same directory.
func devSTSConfig(path string) (*localsts.Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		cfg := localsts.DevConfig(rand.Reader)
		out, err := cfg.Marshal()
		if err != nil {
			return nil, fmt.Errorf("dev identities: %w", err)
		}
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return nil, fmt.Errorf("dev identities: %w", err)
		}
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dev identities: %w", err)
	}
	cfg, err := localsts.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("dev identities %s (delete it to start over): %w", path, err)
	}
	return cfg, nil
}

func writeIfMissing(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// devAWSAuth is the dev cluster's initial aws-auth mapping: the admin role
// is mapped with a session-name username, the developer is not mapped.
const devAWSAuth = `# aws-auth mappings of the kubeiam dev cluster, in the kube-system/aws-auth
# ConfigMap's data format. kubeiam reloads this file when it changes; a
# broken edit is rejected and the last good version stays in force.
mapRoles: |
  - rolearn: arn:aws:iam::111122223333:role/admin
    username: admin:{{SessionName}}
    groups:
      - system:masters
`
