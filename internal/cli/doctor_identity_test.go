package cli

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
)

// The kubeconfig runs the plugin as the developer (AWS_PROFILE in its
// env) where the creator was meant: doctor finds that the creator's
// profile is accepted and fixes the kubeconfig, not the cluster. The fix
// is run verbatim with the real kubectl, after which doctor passes.
func TestDoctorWrongIdentityFixesTheClient(t *testing.T) {
	const kubectl = "/usr/bin/kubectl"
	if _, err := os.Stat(kubectl); err != nil {
		t.Skip("no kubectl at " + kubectl)
	}
	e := newDiagEnv(t, "CONFIG_MAP", nil)
	e.kubeconfig(t, "kubeiam", "token", "-i", authntest.ClusterID)
	kc := readFile(t, e.env["KUBECONFIG"])
	writeDiagFile(t, e.env["KUBECONFIG"], strings.Replace(kc, "      - {name: AWS_REGION, value: us-east-1}\n",
		"      - {name: AWS_REGION, value: us-east-1}\n      - {name: AWS_PROFILE, value: developer}\n", 1))
	d := doctorDeps{diagDeps: e.deps(time.Now), lookPath: diagLookPath}
	args := []string{"--cluster-id", authntest.ClusterID, "--sts-endpoint", e.sts.URL, "--server", e.server}
	_, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d), args...)
	out := e.out.String()
	if code != 1 || !strings.Contains(out, "FAIL  server") {
		t.Fatalf("exit %d, want 1 at the server link:\n%s%s", code, out, errOut)
	}
	const want = "kubectl config set-credentials dev --exec-env=AWS_PROFILE=creator"
	for _, w := range []string{"if you meant to be " + authntest.CreatorARN + " (profile creator", want, "export AWS_PROFILE=creator"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "access-entry create") {
		t.Errorf("the fix gives the wrong identity access:\n%s", out)
	}
	runKubectlFix(t, e, out)
	e.out.Reset()
	if _, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d), args...); code != 0 {
		t.Fatalf("after the fix: exit %d\n%s%s", code, e.out, errOut)
	}
}

// runKubectlFix runs the first "kubectl config set-credentials" fix in
// doctor's output verbatim, in sh, with the real kubectl.
func runKubectlFix(t *testing.T, e *diagEnv, out string) {
	t.Helper()
	fix := ""
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "kubectl config set-credentials"); i >= 0 {
			fix = line[i:]
			break
		}
	}
	if fix == "" {
		t.Fatalf("no kubectl fix in:\n%s", out)
	}
	sh := exec.Command("sh", "-c", fix)
	sh.Env = []string{"KUBECONFIG=" + e.env["KUBECONFIG"], "HOME=" + e.dir, "PATH=/usr/bin:/bin"}
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", fix, err, b)
	}
}

// The kubeconfig mints tokens for another cluster ID: doctor says
// WRONG_CLUSTER_ID and prints the kubectl command that changes only that
// argument; run verbatim, doctor then passes.
func TestDoctorWrongClusterIDFixIsACommand(t *testing.T) {
	if _, err := os.Stat("/usr/bin/kubectl"); err != nil {
		t.Skip("no kubectl at /usr/bin/kubectl")
	}
	e := newDiagEnv(t, "CONFIG_MAP", nil)
	e.kubeconfig(t, "kubeiam", "token", "--cluster-id=prod", "--profile", "creator")
	d := doctorDeps{diagDeps: e.deps(time.Now), lookPath: diagLookPath}
	args := []string{"--cluster-id", authntest.ClusterID, "--sts-endpoint", e.sts.URL, "--server", e.server}
	if _, _, code := runDiagCmd(t, newDoctorCommandWithDeps(d), args...); code != 1 || !strings.Contains(e.out.String(), "WRONG_CLUSTER_ID") {
		t.Fatalf("exit %d, want 1 with WRONG_CLUSTER_ID:\n%s", code, e.out)
	}
	runKubectlFix(t, e, e.out.String())
	e.out.Reset()
	if _, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d), args...); code != 0 {
		t.Fatalf("after the fix: exit %d\n%s%s", code, e.out, errOut)
	}
	if kc := readFile(t, e.env["KUBECONFIG"]); !strings.Contains(kc, "AWS_REGION") {
		t.Errorf("the fix dropped the plugin's env:\n%s", kc)
	}
}

// With no kubeconfig (the dev server's shell), doctor checks what
// "kubeiam token" would do with this shell's AWS settings, and its fix for
// a wrong identity is the shell's profile.
func TestDoctorWithoutKubeconfig(t *testing.T) {
	e := newDiagEnv(t, "CONFIG_MAP", nil)
	e.env["AWS_PROFILE"] = "developer"
	d := doctorDeps{diagDeps: e.deps(time.Now), lookPath: diagLookPath}
	e.env[stsEndpointEnv] = e.sts.URL
	e.env["KUBEIAM_WEBHOOK"] = e.server
	e.env["KUBEIAM_CLUSTER"] = authntest.ClusterID
	_, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d))
	out := e.out.String()
	if code != 1 || !strings.Contains(out, "FAIL  server") {
		t.Fatalf("exit %d, want 1 at the server link:\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"SKIP  kubeconfig   no current context", `from shared-credentials-file (profile "developer" (AWS_PROFILE) in `, "export AWS_PROFILE=creator"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "kubectl config") {
		t.Errorf("a kubeconfig fix without a kubeconfig:\n%s", out)
	}
	e.env["AWS_PROFILE"] = "creator"
	e.out.Reset()
	if _, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d)); code != 0 {
		t.Fatalf("as the creator: exit %d\n%s%s", code, e.out, errOut)
	}
}
