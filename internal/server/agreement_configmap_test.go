package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// The aws-auth ConfigMap is the fifth input: each version the watch
// delivers is what explain answers from, as the next TokenReview does.
func TestExplainAgreesWithTheServerAfterAConfigMapChange(t *testing.T) {
	kc := fake.NewSimpleClientset()
	d := startConfigMapServer(t, kc)
	dev := devARN("user/" + localsts.DevDeveloperUser)
	pods := &explain.Request{Verb: "get", Resource: "pods", Namespace: "default"}
	cms := kc.CoreV1().ConfigMaps("kube-system")
	ctx := context.Background()

	d.agree(t, "no ConfigMap", dev, pods, false)

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system", ResourceVersion: "11"},
		Data: map[string]string{"mapUsers": "- userarn: " + dev + "\n  username: dev-from-configmap\n  groups: [devs]\n"}}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitReadyz(t, "version 11")
	if r := d.agree(t, "ConfigMap maps the developer", dev, pods, true); r.Username != "dev-from-configmap" {
		t.Errorf("explain says username %q, want dev-from-configmap", r.Username)
	}

	cm.ResourceVersion, cm.Data["mapUsers"] = "12", "- userarn: "+dev+"\n  username: dev-renamed\n"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitReadyz(t, "version 12")
	if r := d.agree(t, "ConfigMap renames the developer", dev, pods, true); r.Username != "dev-renamed" {
		t.Errorf("explain says username %q, want dev-renamed", r.Username)
	}

	cm.ResourceVersion, cm.Data["mapUsers"] = "13", "- userarn: "+dev+"\n  username: dev-renamed\n- userarn: arn:aws:iam::bad:user/x\n"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitReadyz(t, "latest input rejected")
	r := d.agree(t, "a rejected ConfigMap version", dev, pods, true)
	if r.Username != "dev-renamed" || !slices.ContainsFunc(r.Findings, func(f explain.Finding) bool { return f.Code == explain.CodeAWSAuthRejected }) {
		t.Errorf("explain after a rejected version that also names the caller: %s %+v", r.Username, r.Findings)
	}
}

// startConfigMapServer runs the server with the local STS of dev mode and
// aws-auth read from kc's kube-system/aws-auth ConfigMap.
func startConfigMapServer(t *testing.T, kc *fake.Clientset) *devServer {
	t.Helper()
	d := &devServer{dir: t.TempDir(), clusterID: DevClusterID, out: &testutil.SyncBuffer{}, log: &testutil.SyncBuffer{}}
	stsCfg := localsts.DevConfig(rand.Reader)
	raw, err := stsCfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "sts.yaml"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(d.log, nil))
	local, err := localsts.New(stsCfg, localsts.Options{Now: time.Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	awsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Server{ClusterID: DevClusterID, Region: DevRegion, Listen: "127.0.0.1:0", StateDir: filepath.Join(d.dir, "state"),
		STSEndpoint: "http://" + awsLn.Addr().String(), ClusterCreatorARN: devARN("user/" + localsts.DevCreatorUser),
		AWSAuth: config.AWSAuth{ConfigMap: true, Namespace: "kube-system", Name: "aws-auth"}}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan *Server, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Logger: logger, Now: time.Now, LocalSTS: local, AWSListener: awsLn, KubeClient: kc,
			OnReady: func(s *Server) { ready <- s }})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	var s *Server
	select {
	case s = <-ready:
	case err := <-done:
		t.Fatalf("Run: %v\n%s", err, d.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server not ready after 30s:\n%s", d.log.String())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.Bundle().CAPEM) {
		t.Fatal("server CA does not parse")
	}
	cert, err := s.WebhookClient().Certificate()
	if err != nil {
		t.Fatal(err)
	}
	d.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
	d.env = map[string]string{"KUBEIAM_WEBHOOK": "https://" + s.Addr(), "KUBEIAM_AWS_ENDPOINT": "http://" + awsLn.Addr().String()}
	d.waitReadyz(t, `"status": "ok"`)
	return d
}
