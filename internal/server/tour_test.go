package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// The tour's step 2 promises what the webhook answers: the very JSON
// status the curl prints.
func TestTourPromisesTheRealResponse(t *testing.T) {
	d := startDev(t)
	body := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + d.token(t, localsts.DevDeveloperUser) + `"}}`
	code, got := d.call(t, "POST", "/authenticate", body, "")
	const status = `"status":{"user":{},"error":"ARN is not mapped"}`
	if code != 200 || !strings.Contains(got, status) {
		t.Fatalf("webhook answered %d %s; want %s", code, got, status)
	}
	if !strings.Contains(d.out.String(), status) {
		t.Errorf("tour does not promise %s:\n%s", status, d.out.String())
	}
}

// Step 5 suggests only what the mode allows: no aws-auth in API mode, and
// in CONFIG_MAP access entries only after the one-step mode change.
func TestTourFixFitsTheMode(t *testing.T) {
	for _, tt := range []struct {
		mode      string
		want, not []string
	}{
		{"CONFIG_MAP", []string{"aws-auth add-user", "--groups developers", "update-config --authentication-mode API_AND_CONFIG_MAP\n", "access-entry create"}, []string{"system:masters\n", "--authentication-mode API\n"}},
		{"API_AND_CONFIG_MAP", []string{"access-entry create", "aws-auth add-user"}, []string{"update-config"}},
		{"API", []string{"access-entry create", "AmazonEKSViewPolicy"}, []string{"aws-auth add-user", "update-config"}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			d := startDev(t, func(o *DevOptions) { o.AuthenticationMode = tt.mode })
			out := d.out.String()
			step5 := out[strings.Index(out, "# 5."):]
			for _, w := range tt.want {
				if !strings.Contains(step5, w) {
					t.Errorf("step 5 lacks %q:\n%s", w, step5)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(step5, n) {
					t.Errorf("step 5 suggests %q, which does not apply in %s:\n%s", n, tt.mode, step5)
				}
			}
		})
	}
}

// After a restart the tour describes the state the server has: a
// developer mapped before the restart is said to be mapped.
func TestTourAfterRestartDescribesTheState(t *testing.T) {
	d := startDev(t)
	dir := d.dir
	d.writeAWSAuth(t, "mapUsers: |\n  - userarn: arn:aws:iam::111122223333:user/developer\n    username: developer\n    groups: [developers]\n")
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	again := startDev(t, func(o *DevOptions) { o.Dir = dir })
	out := again.out.String()
	for _, want := range []string{"The developer is already mapped, through mapUsers", `"authenticated":true`, "server --dev --reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("tour after restart lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ARN is not mapped") {
		t.Errorf("tour after restart still promises a denial:\n%s", out)
	}
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}
	// --reset starts over: the developer is unmapped again.
	reset := startDev(t, func(o *DevOptions) { o.Dir, o.Reset = dir, true })
	if !strings.Contains(reset.out.String(), "ARN is not mapped") {
		t.Errorf("tour after --reset:\n%s", reset.out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "sts.yaml")); err != nil {
		t.Errorf("reset dev directory not recreated: %v", err)
	}
}

// Every variable the README says dev.env exports, it exports.
func TestREADMEDevEnvVariablesAreExported(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| `dev.env` |") {
			row = l
		}
	}
	names := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(row, -1)
	if len(names) < 8 {
		t.Fatalf("README's dev.env row names %d variables:\n%s", len(names), row)
	}
	d := startDev(t)
	env, err := os.ReadFile(filepath.Join(d.dir, "dev.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !strings.Contains(string(env), "\nexport "+n[1]+"=") {
			t.Errorf("README says dev.env exports %s; it does not:\n%s", n[1], env)
		}
	}
}
