package lab

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/lab/kubeapiserver"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// kubernetesService is "kubectl get svc" listing only the kubernetes service.
var kubernetesService = regexp.MustCompile(`^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE\n` +
	`kubernetes +ClusterIP +10\.0\.0\.1 +<none> +443/TCP +\S+\n$`)

// TestLabExerciseBehavesAsPrinted starts the lab as "kubeiam lab" does, runs
// the printed exercise's commands in a shell, as a reader would paste them,
// and checks that they do what the exercise says; then it stops the lab with
// a context cancel (Ctrl-C) and checks that no process is left behind.
func TestLabExerciseBehavesAsPrinted(t *testing.T) {
	apiserver, etcd, kubectl := requirePrograms(t)
	bin := t.TempDir()
	kubeiam, err := harness.BuildKubeiam(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	plugin, err := harness.BuildTokenPlugin(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs testutil.SyncBuffer
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Dir: dir, KubeAPIServer: apiserver, Etcd: etcd, Kubeiam: kubeiam, Command: kubeiam,
			Out: &out, Err: &errs, Ready: func(*harness.Cluster) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("lab stopped before it was ready: %v\n%s", err, errs.String())
	case <-time.After(startTimeout):
		t.Fatalf("lab not ready after %s\n%s", startTimeout, errs.String())
	}
	t.Logf("exercise:\n%s", out.String())
	checkFastPlugin(t, filepath.Join(dir, "developer.kubeconfig"), plugin)

	err = Run(context.Background(), Options{Dir: dir, Kubeiam: kubeiam, KubeAPIServer: apiserver, Etcd: etcd})
	if err == nil || !strings.Contains(err.Error(), "another kubeiam lab is running on "+dir) {
		t.Errorf("a second lab on the same directory: %v, want a refusal naming it", err)
	}

	steps := parseExercise(t, out.String())
	sh := shell{t: t, env: []string{"PATH=" + filepath.Dir(kubectl) + ":/usr/bin:/bin", "HOME=" + t.TempDir()}}

	r := sh.run(steps[1].script(steps[:1]))
	if r.code != 0 || !listsServices(r.stdout) {
		t.Errorf("step 1 (the creator lists services): exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	r = sh.run(steps[2].script(steps[:2]))
	wantErr := steps[2].expect("error: ")
	if wantErr != "error: You must be logged in to the server (Unauthorized)" {
		t.Errorf("step 2 prints %q as the developer's error", wantErr)
	}
	if r.code != 1 || r.stdout != "" || r.stderr != wantErr+"\n" {
		t.Errorf("step 2 (the developer is refused): exit %d\nstdout %q\nstderr %q\nwant exit 1, stderr %q", r.code, r.stdout, r.stderr, wantErr+"\n")
	}
	if !strings.Contains(errs.String(), "access denied") || !strings.Contains(errs.String(), "ARN is not mapped") {
		t.Errorf("the lab's log does not say why the developer was refused:\n%s", errs.String())
	}
	// Step 3: the last command, "kubectl get svc", may run before kubeiam's
	// aws-auth watch has seen the apply; a reader typing it never does.
	r = sh.runUntilOK(steps[3].script(steps[:3]))
	if r.code != 0 || !listsServices(r.stdout) {
		t.Errorf("step 3 (aws-auth fix): exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	r = sh.runUntilOK(steps[4].script(steps[:4]))
	if r.code != 0 || !listsServices(r.stdout) {
		t.Errorf("step 4 (access entry fix): exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}

	// Step 5 serves until Ctrl-C: start it as printed, wait for the URL it
	// prints, and check that the URL opens the console.
	console := steps[5].script(steps[:5])
	r = sh.run("out=$(mktemp)\n(" + console + ") >\"$out\" 2>&1 &\npid=$!\n" +
		"for i in $(seq 100); do url=$(grep -o 'http://127.0.0.1:[0-9]*/[^ ]*' \"$out\" | head -1); [ -n \"$url\" ] && break; sleep 0.2; done\n" +
		"code=$(curl -s -o /dev/null -w '%{http_code}' -L -c \"$out.jar\" -b \"$out.jar\" \"$url\")\nkill $pid; cat \"$out\"; echo \"HTTP $code\"")
	if !strings.Contains(r.stdout, "kubeiam console for cluster") || !strings.Contains(r.stdout, "HTTP 200") {
		t.Errorf("step 5 (the console): exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}

	checkDiagnosisFromEnvFiles(t, sh, dir, kubeiam)

	if running := processesMentioning(dir); len(running) < 2 {
		t.Errorf("want etcd and kube-apiserver among the processes mentioning %s, got %q", dir, running)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lab stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("lab did not stop within a minute of Ctrl-C")
	}
	if left := processesMentioning(dir); len(left) > 0 {
		t.Errorf("processes left after the lab stopped:\n%s", strings.Join(left, "\n"))
	}
	if !strings.Contains(errs.String(), "kubeiam lab: stopped") {
		t.Errorf("no stop message:\n%s", errs.String())
	}
}

// checkFastPlugin checks that a lab kubeconfig runs the exec plugin in the
// form "kubeiam kubeconfig" writes: kubeiam-token --cluster-name CLUSTER.
func checkFastPlugin(t *testing.T, path, plugin string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range cfg.AuthInfos {
		if u.Exec == nil || u.Exec.Command != plugin || strings.Join(u.Exec.Args, " ") != "--cluster-name "+ClusterID {
			t.Errorf("%s: user %s runs %+v, want %s --cluster-name %s", path, name, u.Exec, plugin, ClusterID)
		}
	}
}

// listsServices reports whether a step's output ends with "kubectl get svc"
// listing the kubernetes service; the commands before it print other tables.
func listsServices(stdout string) bool {
	i := strings.LastIndex(stdout, "NAME ")
	return i >= 0 && kubernetesService.MatchString(stdout[i:])
}

// requirePrograms skips the test, or fails it when KUBEIAM_E2E=required,
// when a program the lab needs is missing.
func requirePrograms(t *testing.T) (apiserver, etcd, kubectl string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real control plane: skipped with -short")
	}
	apiserver, err := kubeapiserver.Path()
	if err != nil {
		t.Fatal(err)
	}
	etcd, _ = exec.LookPath("etcd")
	kubectl, _ = exec.LookPath("kubectl")
	for _, p := range []struct{ name, path, how string }{
		{"kube-apiserver", apiserver, `run "make e2e-tools"`},
		{"etcd", etcd, `run "make tools"`},
		{"kubectl", kubectl, "install it"},
	} {
		testutil.RequireProgram(t, p.name, p.path, p.how)
	}
	return apiserver, etcd, kubectl
}

// step is one numbered step of the printed exercise: its shell commands and
// its comments, which say what the commands print.
type step struct {
	commands, comments []string
}

// script is what a reader runs for the step in the shell they used for the
// steps before: their "." lines (the environment) carry over.
func (s step) script(before []step) string {
	var lines []string
	for _, b := range before {
		for _, c := range b.commands {
			if strings.HasPrefix(c, ". ") {
				lines = append(lines, c)
			}
		}
	}
	return strings.Join(append(append(lines, "set -e"), s.commands...), "\n")
}

// expect returns the step's comment that starts with prefix.
func (s step) expect(prefix string) string {
	for _, c := range s.comments {
		if strings.HasPrefix(c, prefix) {
			return c
		}
	}
	return ""
}

var stepHeading = regexp.MustCompile(`^  # (\d)\. `)

// parseExercise splits the exercise into steps; steps[0] is empty.
func parseExercise(t *testing.T, text string) []step {
	t.Helper()
	steps := []step{{}}
	in := false
	for _, line := range strings.Split(text, "\n") {
		if m := stepHeading.FindStringSubmatch(line); m != nil {
			if m[1] != string(rune('0'+len(steps))) {
				t.Fatalf("step %s out of order in:\n%s", m[1], text)
			}
			steps, in = append(steps, step{}), true
			continue
		}
		if !in || strings.TrimSpace(line) == "" {
			in = in && strings.TrimSpace(line) != ""
			continue
		}
		cur := &steps[len(steps)-1]
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "#"); ok {
			cur.comments = append(cur.comments, strings.TrimSpace(c))
		} else {
			cur.commands = append(cur.commands, strings.TrimSpace(line))
		}
	}
	if len(steps) != 6 {
		t.Fatalf("want 5 steps, got %d in:\n%s", len(steps)-1, text)
	}
	return steps
}

type shell struct {
	t   *testing.T
	env []string
}

type result struct {
	stdout, stderr string
	code           int
}

func (s shell) run(script string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		s.t.Fatalf("bash: %v", err)
	}
	s.t.Logf("$ %s\n  exit %d\n  stdout: %s\n  stderr: %s", strings.ReplaceAll(script, "\n", "\n  $ "), r.code, r.stdout, r.stderr)
	return r
}

// runUntilOK runs script until it exits 0, for up to 15 seconds.
func (s shell) runUntilOK(script string) result {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := s.run(script)
		if r.code == 0 || time.Now().After(deadline) {
			return r
		}
		time.Sleep(time.Second)
	}
}

// processesMentioning lists the live processes whose command line mentions
// dir: etcd and kube-apiserver name their data and certificate directories.
func processesMentioning(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		s := string(stat)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] == "Z" {
			continue // exited; its parent reaps it
		}
		found = append(found, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

// checkDiagnosisFromEnvFiles runs every diagnosis command in a shell that
// sourced creator.env or developer.env (the developer is mapped by now),
// with no flag naming the server, its CA, the STS or the cluster.
func checkDiagnosisFromEnvFiles(t *testing.T, sh shell, dir, kubeiam string) {
	t.Helper()
	for _, c := range []struct {
		env, cmd string
		code     int
		want     string
	}{
		{creatorEnv, "K whoami", 0, "authenticated:    yes"},
		{creatorEnv, "K explain --color never", 0, ""},
		{creatorEnv, "K logs", 0, ""},
		{creatorEnv, "K doctor", 0, "PASS  server"},
		{creatorEnv, "K token -i $KUBEIAM_CLUSTER --token-only | K verify", 0, "verified:"},
		{developerEnv, "K whoami", 0, "authenticated:    yes"},
		{developerEnv, "K doctor", 0, "PASS  server"},
		{developerEnv, "K token -i $KUBEIAM_CLUSTER --token-only | K verify", 0, "verified:"},
		// Only cluster managers may read the decision log and explain others.
		{developerEnv, "K logs", 1, ""},
	} {
		r := sh.run(". " + shellQuote(filepath.Join(dir, c.env)) + " && " + strings.ReplaceAll(c.cmd, "K ", shellQuote(kubeiam)+" "))
		if r.code != c.code || !strings.Contains(r.stdout, c.want) || strings.Contains(r.stderr, "no server") {
			t.Errorf("%s: %s: exit %d, want %d with %q\nstdout %s\nstderr %s", c.env, c.cmd, r.code, c.code, c.want, r.stdout, r.stderr)
		}
	}
}
