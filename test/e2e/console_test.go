package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// TestConsoleInABrowser drives "kubeiam console" in headless chromium
// against a real control plane: changes made in the console are seen by
// the AWS CLI, a denied kubectl request reaches the live Decisions page,
// Explain agrees with "kubeiam explain", and a non-manager's changes are
// refused with the API's error. Every page is saved as a screenshot.
func TestConsoleInABrowser(t *testing.T) {
	c := freshCluster(t)
	ctx := browser(t)
	mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "namespace", "team"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	url, origin := startConsole(t, c, localsts.DevCreatorUser)
	step(t, ctx, "open the console", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#mode")))
	screenshot(t, ctx, "overview")
	adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole

	t.Run("an entry created and associated in the console is listed by the AWS CLI", func(t *testing.T) {
		step(t, ctx, "create the entry", chromedp.Navigate(origin+"/entries"),
			chromedp.SetValue(chromedp.CSS("#ce-principal"), adminRole),
			chromedp.SetValue(chromedp.CSS("#ce-groups"), "auditors"),
			chromedp.Click(chromedp.CSS(`#create-entry button[value="create"]`)),
		)
		waitText(t, ctx, "flash", "created the access entry")
		step(t, ctx, "associate a policy", chromedp.SetValue(chromedp.CSS("#as-principal"), adminRole),
			chromedp.SetValue(chromedp.CSS("#as-policy"), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
			chromedp.Click(chromedp.CSS("#as-scope-ns")), chromedp.SetValue(chromedp.CSS("#as-namespaces"), "team"),
			chromedp.Click(chromedp.CSS("#associate button")),
		)
		waitText(t, ctx, "flash", "associated")
		screenshot(t, ctx, "entries")
		entries := awsEKS(t, c, "list-access-entries", "--cluster-name", c.ClusterID)
		if !strings.Contains(entries, adminRole) {
			t.Fatalf("aws eks list-access-entries does not list %s:\n%s", adminRole, entries)
		}
		policies := awsEKS(t, c, "list-associated-access-policies", "--cluster-name", c.ClusterID, "--principal-arn", adminRole)
		if !strings.Contains(policies, "AmazonEKSViewPolicy") || !strings.Contains(policies, `"team"`) {
			t.Fatalf("aws eks list-associated-access-policies:\n%s", policies)
		}
	})

	t.Run("a denied kubectl request appears on the Decisions page", func(t *testing.T) {
		step(t, ctx, "open Decisions", chromedp.Navigate(origin+"/decisions?decision=denied"),
			chromedp.WaitVisible(chromedp.CSS("#decisions")))
		kc, err := c.WriteKubeconfig("console-sso", localsts.DevDeveloperUser, "--role-arn", ssoRolePathARN, "--session-name", "denied", "--sts-endpoint", c.STSURL)
		if err != nil {
			t.Fatal(err)
		}
		if r := kubectl(t, c, localsts.DevDeveloperUser, kc, "get", "pods", "-n", "team"); r.Code == 0 {
			t.Fatalf("an unmapped role was let in: %s", r.Stdout)
		}
		get(t, ctx, "wait for the denied decision", chromedp.Poll[bool](
			`document.querySelector("#decisions tbody").textContent.includes("`+localsts.DevSSORole+`")`,
			chromedp.WithPollingTimeout(browserDeadline-time.Second)))
		screenshot(t, ctx, "decisions")
	})

	t.Run("the Explain form gives the verdict of kubeiam explain", func(t *testing.T) {
		dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
		for _, arn := range []string{adminRole, dev} {
			step(t, ctx, "explain "+arn, chromedp.Navigate(origin+"/explain"),
				chromedp.SetValue(chromedp.CSS("#x-arn"), arn), chromedp.SetValue(chromedp.CSS("#x-verb"), "list"),
				chromedp.SetValue(chromedp.CSS("#x-resource"), "pods"), chromedp.SetValue(chromedp.CSS("#x-namespace"), "team"),
				chromedp.Click(chromedp.CSS("#explain-form button")), chromedp.WaitVisible(chromedp.CSS("#verdict")))
			verdict := get(t, ctx, "verdict", chromedp.Text(chromedp.CSS("#verdict")))
			code := get(t, ctx, "code", chromedp.Text(chromedp.CSS("#code")))
			r := run(t, c.Env(localsts.DevCreatorUser), kubeiamBinary(), "explain", "--arn", arn, "--verb", "list", "--resource", "pods", "-n", "team",
				"-o", "json", "--server", c.Kubeiam.URL(""), "--ca-file", c.Kubeiam.Bundle().CAFile, "--cluster-id", c.ClusterID)
			var rep explain.Report
			if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
				t.Fatalf("kubeiam explain -o json: %v: %s %s", err, r.Stdout, r.Stderr)
			}
			if verdict != string(rep.Verdict) || code != string(rep.Code) {
				t.Errorf("%s: console says %s %s, kubeiam explain %s %s", arn, verdict, code, rep.Verdict, rep.Code)
			}
		}
		screenshot(t, ctx, "explain")
	})

	t.Run("who can, aws-auth", func(t *testing.T) {
		step(t, ctx, "who can", chromedp.Navigate(origin+"/who-can?verb=list&resource=pods&namespace=team"),
			chromedp.WaitVisible(chromedp.CSS("#graph")))
		graph := get(t, ctx, "graph", chromedp.Text(chromedp.CSS("#graph")))
		if !strings.Contains(graph, adminRole) || !strings.Contains(graph, "AmazonEKSViewPolicy") {
			t.Errorf("who-can graph lacks the entry made above:\n%s", graph)
		}
		screenshot(t, ctx, "who-can")
		step(t, ctx, "aws-auth", chromedp.Navigate(origin+"/aws-auth"), chromedp.WaitVisible(chromedp.CSS("main")))
		screenshot(t, ctx, "aws-auth")
	})

	t.Run("a non-manager sees its changes refused with the API's error", func(t *testing.T) {
		devURL, devOrigin := startConsole(t, c, localsts.DevDeveloperUser)
		step(t, ctx, "create as the developer", chromedp.Navigate(devURL), chromedp.Navigate(devOrigin+"/entries"),
			chromedp.SetValue(chromedp.CSS("#ce-principal"), "arn:aws:iam::"+localsts.DevAccount+":role/not-allowed"),
			chromedp.Click(chromedp.CSS(`#create-entry button[value="create"]`)),
		)
		waitText(t, ctx, "error", "AccessDeniedException")
		waitText(t, ctx, "error", "eks:CreateAccessEntry")
		screenshot(t, ctx, "refused")
	})
}

// awsEKS runs "aws eks ..." (the AWS CLI v2, with the EKS model that knows
// access entries) as the creator against the cluster's AWS endpoint.
func awsEKS(t *testing.T, c *harness.Cluster, args ...string) string {
	t.Helper()
	env := c.Env(localsts.DevCreatorUser)
	home := ""
	for _, e := range env {
		if h, ok := strings.CutPrefix(e, "HOME="); ok {
			home = h
		}
	}
	model, err := os.ReadFile(filepath.Join("..", "..", "internal", "api", "testdata", "awscli-models", "eks", "2017-11-01", "service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".aws", "models", "eks", "2017-11-01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "service-2.json"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, append(env, "AWS_PAGER="), awsPath, append([]string{"eks"}, append(args, "--endpoint-url", c.STSURL, "--region", "us-east-1", "--output", "json")...)...)
	if r.Code != 0 {
		t.Fatalf("aws eks %s: exit %d: %s", args[0], r.Code, r.Stderr)
	}
	return r.Stdout
}
