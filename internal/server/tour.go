package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/certs"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// tour prints what dev mode started and what to try next.
type tour struct {
	ClusterID   string
	Dir         string
	Files       localsts.AWSFiles
	AWSURL      string
	AWSAuthFile string
	Server      *Server
	Command     string
}

func (t tour) envPath() string { return filepath.Join(t.Dir, "dev.env") }

// writeEnv writes dev.env: the environment the tour's commands use.
func (t tour) writeEnv() error {
	vars := [][2]string{
		{"AWS_CONFIG_FILE", t.Files.Config},
		{"AWS_SHARED_CREDENTIALS_FILE", t.Files.Credentials},
		{"AWS_REGION", DevRegion},
		{"AWS_EC2_METADATA_DISABLED", "true"},
		{"KUBEIAM_CLUSTER", t.ClusterID},
		{"KUBEIAM_ENDPOINT", t.AWSURL},
		{"KUBEIAM_AWS_ENDPOINT", t.AWSURL},
		// The STS of the AWS CLI, the SDKs and kubeiam doctor, whoami,
		// explain and verify.
		{"AWS_ENDPOINT_URL_STS", t.AWSURL},
		// The aws-auth file this server watches, for the pre-flight check
		// of "kubeiam cluster update-config".
		{"KUBEIAM_AWS_AUTH_FILE", t.AWSAuthFile},
		{"KUBEIAM_WEBHOOK", "https://" + t.Server.Addr()},
		{"KUBEIAM_CA", filepath.Join(t.Server.StateDir(), tlsDir, certs.CAFileName)},
		// The webhooks require the client certificate kube-apiserver uses
		// (mutual TLS); the tour's curl presents it too.
		{"KUBEIAM_CLIENT_CERT", t.Server.WebhookClient().CertFile},
		{"KUBEIAM_CLIENT_KEY", t.Server.WebhookClient().KeyFile},
	}
	var b strings.Builder
	b.WriteString("# Written by kubeiam server --dev; source it: . " + t.envPath() + "\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	return os.WriteFile(t.envPath(), []byte(b.String()), 0o600)
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (t tour) print(w io.Writer) {
	k := t.Command
	if k == "" {
		k = "kubeiam"
	}
	authnKC, authzKC := t.Server.KubeconfigPaths()
	c := t.Server.Cluster()
	dev := t.Files.Profiles["developer"].ARN
	t.waitSources(5 * time.Second)
	fmt.Fprintf(w, `
kubeiam dev server is ready.

  webhooks (TLS)   https://%[1]s/authenticate   https://%[1]s/authorize
  AWS endpoint     %[2]s   (local STS + access-management API, plain HTTP on loopback)
  cluster          %[3]s, authentication mode %[4]s, creator %[5]s
  environment      %[6]s   (AWS_ENDPOINT_URL_STS, KUBEIAM_WEBHOOK, KUBEIAM_CA,
                   KUBEIAM_CLUSTER, KUBEIAM_ENDPOINT, KUBEIAM_AWS_AUTH_FILE: every kubeiam command works as is)
  AWS profiles     %[7]s   (profiles: creator, developer)
  aws-auth         %[8]s   (reloaded on change)
  for kube-apiserver --authentication-token-webhook-config-file=%[9]s
                     --authorization-webhook-config-file=%[10]s

Try it in another shell, from any directory:

  . %[6]s

  # 1. Who are you to AWS? The AWS CLI, against the local STS:
  AWS_PROFILE=developer aws sts get-caller-identity --endpoint-url $KUBEIAM_AWS_ENDPOINT

  # 2. Mint a token the way kubectl's exec plugin does, and send it to the webhook:
  TOKEN=$(AWS_PROFILE=developer %[11]s token -i $KUBEIAM_CLUSTER --token-only)
  curl -s --cacert $KUBEIAM_CA --cert $KUBEIAM_CLIENT_CERT --key $KUBEIAM_CLIENT_KEY $KUBEIAM_WEBHOOK/authenticate -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"'"$TOKEN"'"}}'
%[12]s
  #    (The dev server accepts callers without --cert/--key; a production server answers them 401.)

  # 3. Ask kubeiam who you are to the cluster, and why:
  AWS_PROFILE=developer %[11]s whoami
  AWS_PROFILE=creator %[11]s explain --arn %[13]s --verb get --resource pods --namespace default
  AWS_PROFILE=creator %[11]s logs --decision denied
  AWS_PROFILE=creator %[11]s console --aws-auth %[8]s   # the web console (prints its URL; --open)

  # 4. The cluster creator needs no mapping (kubernetes-admin, system:masters):
  AWS_PROFILE=creator %[11]s whoami

%[14]s
This server keeps its state in %[15]s across restarts; start over with:
  %[11]s server --dev --reset

Stop with Ctrl-C.
`, t.Server.Addr(), t.AWSURL, c.Name, c.AuthenticationMode, c.CreatorARN, t.envPath(), t.Files.Credentials,
		t.AWSAuthFile, authnKC, authzKC, k, t.reviewOutcome(dev), dev, t.fixStep(k, dev, c.AuthenticationMode), t.Dir)
}

// waitSources waits, briefly, until the aws-auth sources have loaded, so
// that the tour describes the mappings in force rather than the empty ones
// of the first instant after start.
func (t tour) waitSources(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		synced := true
		for i := range t.Server.sources {
			// By index: a copy of the source would read the counter
			// syncSourceMetrics writes.
			synced = synced && t.Server.sources[i].synced()
		}
		if synced {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// developer returns how the server maps the developer now: after a restart
// of the same directory, the tour's fix may already be in place.
func (t tour) developer(devARN string) resolve.Result {
	id, err := identity.FromARN(devARN, localsts.DevAccount, "", "")
	if err != nil || t.Server.mapper == nil {
		return resolve.Result{}
	}
	return t.Server.mapper.Resolve(id)
}

// reviewOutcome is what step 2's curl prints, as the server answers today:
// a TokenReview whose status omits "authenticated" when it is false.
func (t tour) reviewOutcome(devARN string) string {
	r := t.developer(devARN)
	if !r.Mapped {
		return `  #    → {"kind":"TokenReview",...,"status":{"user":{},"error":"` + r.Reason + `"}}
  #      not authenticated: the developer is not mapped; this server logs "access denied".`
	}
	return fmt.Sprintf(`  #    → {"kind":"TokenReview",...,"status":{"authenticated":true,"user":{"username":%q,...}}}
  #      authenticated, through %s (this directory's state, kept across restarts).`, r.Username, r.SourceDetail)
}

// fixStep is step 5: how to map the developer in the cluster's current
// authentication mode, or, when it already is, how it is.
func (t tour) fixStep(k, devARN string, mode access.Mode) string {
	if r := t.developer(devARN); r.Mapped {
		return fmt.Sprintf(`  # 5. The developer is already mapped, through %s: step 2 authenticates it.
  #    To see the unmapped developer again, start over (below).
`, r.SourceDetail)
	}
	aws := fmt.Sprintf(`  %[1]s aws-auth add-user -f %[2]s --arn %[3]s --username developer --groups developers
  #    (on a real cluster, bind the group: kubectl create clusterrolebinding developers-view --clusterrole=view --group=developers)
`, k, t.AWSAuthFile, devARN)
	entry := fmt.Sprintf(`  AWS_PROFILE=creator %[1]s access-entry create --principal-arn %[2]s
  AWS_PROFILE=creator %[1]s access-policy associate --principal-arn %[2]s --policy-arn AmazonEKSViewPolicy --scope cluster
`, k, devARN)
	done := fmt.Sprintf("  #    then: AWS_PROFILE=developer %s whoami  →  authenticated\n", k)
	switch mode {
	case access.ModeConfigMap:
		return "  # 5. Map the developer. The mode is CONFIG_MAP, so through aws-auth (this server reloads it within seconds):\n" + aws +
			"  #    or with an access entry: first move the mode one step, to API_AND_CONFIG_MAP, as the creator:\n" +
			fmt.Sprintf("  AWS_PROFILE=creator %s cluster update-config --authentication-mode API_AND_CONFIG_MAP\n", k) + entry + done
	case access.ModeAPIAndConfigMap:
		return "  # 5. Map the developer. The mode is API_AND_CONFIG_MAP: with an access entry and an access policy, as the creator:\n" +
			entry + "  #    or through aws-auth (this server reloads it within seconds):\n" + aws + done
	default:
		return "  # 5. Map the developer. The mode is API, where aws-auth is ignored: with an access entry and an access policy, as the creator:\n" +
			entry + done
	}
}
