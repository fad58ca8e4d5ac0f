package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubeiam/kubeiam/internal/certs"
	"github.com/kubeiam/kubeiam/internal/localsts"
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
	hint := ""
	if k == "kubeiam" {
		hint = ` (with kubeiam on PATH: "make build" puts it in bin/)`
	}
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

Try it in another shell%[13]s:

  . %[6]s

  # 1. Who are you to AWS? The AWS CLI, against the local STS:
  AWS_PROFILE=developer aws sts get-caller-identity --endpoint-url $KUBEIAM_AWS_ENDPOINT

  # 2. Mint a token the way kubectl's exec plugin does, and send it to the webhook:
  TOKEN=$(AWS_PROFILE=developer %[11]s token -i $KUBEIAM_CLUSTER --token-only)
  curl -s --cacert $KUBEIAM_CA --cert $KUBEIAM_CLIENT_CERT --key $KUBEIAM_CLIENT_KEY $KUBEIAM_WEBHOOK/authenticate -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"'"$TOKEN"'"}}'
  #    → "authenticated":false, "error":"ARN is not mapped"; this server logs "access denied".
  #    (The dev server accepts callers without --cert/--key; a production server answers them 401.)

  # 3. Ask kubeiam who you are to the cluster, and why:
  AWS_PROFILE=developer %[11]s whoami
  AWS_PROFILE=creator %[11]s explain --arn %[12]s --verb get --resource pods --namespace default
  AWS_PROFILE=creator %[11]s logs --decision denied
  AWS_PROFILE=creator %[11]s console --aws-auth %[8]s   # the web console (prints its URL; --open)

  # 4. The cluster creator needs no mapping (kubernetes-admin, system:masters):
  AWS_PROFILE=creator %[11]s whoami

  # 5. Fix the developer in aws-auth (this server reloads %[8]s within seconds):
  %[11]s aws-auth add-user -f %[8]s --arn %[12]s --username developer --groups system:masters
  #    or with an access entry and an access policy, as the creator:
  AWS_PROFILE=creator %[11]s cluster update-config --authentication-mode API_AND_CONFIG_MAP
  AWS_PROFILE=creator %[11]s access-entry create --principal-arn %[12]s
  AWS_PROFILE=creator %[11]s access-policy associate --principal-arn %[12]s --policy-arn AmazonEKSViewPolicy --scope cluster
  #    then: AWS_PROFILE=developer %[11]s whoami  →  authenticated

Stop with Ctrl-C.
`, t.Server.Addr(), t.AWSURL, c.Name, c.AuthenticationMode, c.CreatorARN, t.envPath(), t.Files.Credentials,
		t.AWSAuthFile, authnKC, authzKC, k, dev, hint)
}
