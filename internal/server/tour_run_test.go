package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/server"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// The tour the dev server prints, and its short form in the README, run as
// written, in bash, with the real kubeiam binary, the AWS CLI and curl, do
// what they promise: every "→" comment is what the command before it
// prints, and the developer is authenticated after step 5.
func TestTourAndREADMERunAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kubeiam and drives the AWS CLI: skipped with -short")
	}
	testutil.RequireProgram(t, "the AWS CLI v2", "/usr/bin/aws", `run "make tools"`)
	testutil.RequireProgram(t, "curl", "/usr/bin/curl", "install it")
	bin := t.TempDir()
	kubeiam, err := harness.BuildKubeiam(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- server.RunDev(ctx, server.DevOptions{Dir: dir, Listen: "127.0.0.1:0", AWSListen: "127.0.0.1:0", Out: out,
			Command: kubeiam, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String(), "Stop with Ctrl-C."); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dev server not ready:\n%s", out.String())
		}
	}
	sh := tourShell{t: t, env: []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + t.TempDir()}}

	// The README's short form first, while the developer is unmapped.
	readme := readmeTour(t)
	readme = strings.ReplaceAll(readme, ". .kubeiam-dev/dev.env", ". "+filepath.Join(dir, "dev.env"))
	if checkPromises(t, "README", sh.run(readme)) == 0 {
		t.Errorf("the README's tour promises no output (# → ...):\n%s", readme)
	}

	tour := out.String()
	steps := tourSteps(t, tour)
	if len(steps) != 5 {
		t.Fatalf("want 5 steps in the tour, got %d:\n%s", len(steps), tour)
	}
	env := steps[0].commands[0] // ". DIR/dev.env", before step 1
	if !strings.HasPrefix(env, ". /") {
		t.Fatalf("the tour's first command %q does not source dev.env by its absolute path", env)
	}
	for i, st := range steps[:4] {
		script := st.script()
		if i > 0 {
			script = env + "\n" + script
		}
		r := sh.run(script)
		if checkPromises(t, "tour step "+strconv.Itoa(i+1), r) == 0 && i == 1 {
			t.Errorf("tour step 2 promises no output (# → ...):\n%s", tour)
		}
		for _, c := range r {
			if c.code > 1 || strings.Contains(c.stderr, "panic") {
				t.Errorf("tour step %d: %s: exit %d\n%s%s", i+1, c.command, c.code, c.stdout, c.stderr)
			}
		}
	}
	if r := commandOf(t, sh.run(steps[0].script()), "aws sts get-caller-identity"); r.code != 0 || !strings.Contains(r.stdout, "user/developer") {
		t.Errorf("step 1, aws sts get-caller-identity: %+v", r)
	}
	if r := commandOf(t, sh.run(env+"\n"+steps[3].script()), "whoami"); r.code != 0 || !strings.Contains(r.stdout, "kubernetes-admin") || !strings.Contains(r.stdout, "system:masters") {
		t.Errorf("step 4 promises kubernetes-admin in system:masters: %+v", r)
	}
	// Step 5 maps the developer; its last comment names the command that
	// then authenticates it (the server reloads aws-auth within seconds).
	for _, c := range sh.run(env + "\n" + steps[4].script()) {
		if c.code != 0 {
			t.Errorf("step 5: %s: exit %d\n%s%s", c.command, c.code, c.stdout, c.stderr)
		}
	}
	then := regexp.MustCompile(`then: (.*\S)\s+→\s+(\S+)`).FindStringSubmatch(strings.Join(steps[4].comments, "\n"))
	if then == nil {
		t.Fatalf("step 5 does not say what then authenticates:\n%s", tour)
	}
	var last tourResult
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		last = commandOf(t, sh.run(env+"\n"+then[1]), then[1])
		if last.code == 0 || time.Now().After(deadline) {
			break
		}
	}
	if last.code != 0 || then[2] != "authenticated" || !strings.Contains(last.stdout, "authenticated:    yes") {
		t.Errorf("step 5 promises %q after %s: exit %d\n%s%s", then[2], then[1], last.code, last.stdout, last.stderr)
	}
}

// commandOf returns the result of the command that contains s.
func commandOf(t *testing.T, results []tourResult, s string) tourResult {
	t.Helper()
	for _, r := range results {
		if strings.Contains(r.command, s) {
			return r
		}
	}
	t.Fatalf("no command %q among %+v", s, results)
	return tourResult{}
}

// readmeTour is the README's sh block of the dev server's tour.
func readmeTour(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "```sh\n. .kubeiam-dev/dev.env\nAWS_PROFILE=developer")
	if i < 0 {
		t.Fatal("README has no tour block")
	}
	s = s[i+len("```sh\n"):]
	return s[:strings.Index(s, "```")]
}

// tourStep is a numbered step: its commands, its comments, and both in
// their order (lines), since a comment says what the command before it
// prints.
type tourStep struct{ commands, comments, lines []string }

// script is the step's lines, continuation lines included.
func (s tourStep) script() string { return strings.Join(s.lines, "\n") }

var tourHeading = regexp.MustCompile(`^  # (\d)\. `)

// tourSteps splits the printed tour into its numbered steps; the lines
// before step 1 (sourcing dev.env) are the first step's first commands.
func tourSteps(t *testing.T, tour string) []tourStep {
	t.Helper()
	start := strings.Index(tour, "Try it in another shell")
	end := strings.Index(tour, "This server keeps its state")
	if start < 0 || end < start {
		t.Fatalf("no steps in the tour:\n%s", tour)
	}
	var steps []tourStep
	var pre []string
	for _, line := range strings.Split(tour[start:end], "\n")[1:] {
		l := strings.TrimSpace(line)
		if m := tourHeading.FindStringSubmatch(line); m != nil {
			steps = append(steps, tourStep{commands: append([]string(nil), pre...), lines: append([]string(nil), pre...)})
			pre = nil
			continue
		}
		switch {
		case l == "":
		case len(steps) == 0:
			pre = append(pre, l)
		case strings.HasPrefix(l, "#"):
			st := &steps[len(steps)-1]
			st.comments, st.lines = append(st.comments, strings.TrimSpace(strings.TrimPrefix(l, "#"))), append(st.lines, l)
		case strings.Contains(l, " console "):
			// The console serves until Ctrl-C; the console tests cover it.
		default:
			st := &steps[len(steps)-1]
			st.commands, st.lines = append(st.commands, l), append(st.lines, l)
		}
	}
	return steps
}

type tourShell struct {
	t   *testing.T
	env []string
}

// tourResult is one command of a script, and the comments after it.
type tourResult struct {
	command        string
	stdout, stderr string
	code           int
	comments       []string
}

// run runs a script of commands and comments in one bash, so that
// variables carry over, and returns each command's output and exit code.
func (s tourShell) run(script string) []tourResult {
	s.t.Helper()
	var b strings.Builder
	var results []tourResult
	cont := ""
	for _, line := range strings.Split(script, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "":
			continue
		case strings.HasPrefix(l, "#"):
			if n := len(results); n > 0 {
				results[n-1].comments = append(results[n-1].comments, strings.TrimSpace(strings.TrimPrefix(l, "#")))
			}
			continue
		case strings.HasSuffix(l, `\`):
			cont += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		l, cont = cont+l, ""
		results = append(results, tourResult{command: l})
		n := strconv.Itoa(len(results) - 1)
		b.WriteString("echo '@@start " + n + "'; echo '@@start " + n + "' >&2\n" + l + "\necho; echo \"@@exit " + n + " $?\"; echo '@@end' >&2\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", "-c", b.String())
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, &stdout, &stderr
	if err := cmd.Run(); err != nil && !errors.As(err, new(*exec.ExitError)) {
		s.t.Fatalf("bash: %v", err)
	}
	outs := regexp.MustCompile(`(?s)@@start (\d+)\n(.*?)\n@@exit \d+ (\d+)\n`).FindAllStringSubmatch(stdout.String(), -1)
	errs := regexp.MustCompile(`(?s)@@start (\d+)\n(.*?)@@end\n`).FindAllStringSubmatch(stderr.String(), -1)
	for _, m := range outs {
		i, _ := strconv.Atoi(m[1])
		results[i].stdout = m[2]
		results[i].code, _ = strconv.Atoi(m[3])
	}
	for _, m := range errs {
		i, _ := strconv.Atoi(m[1])
		results[i].stderr = m[2]
	}
	if len(outs) != len(results) {
		s.t.Fatalf("ran %d of %d commands:\n%s\nstdout:\n%s\nstderr:\n%s", len(outs), len(results), script, stdout.String(), stderr.String())
	}
	for _, r := range results {
		s.t.Logf("$ %s\n  exit %d\n  stdout: %s\n  stderr: %s", r.command, r.code, r.stdout, r.stderr)
	}
	return results
}

// checkPromises checks every "→ OUTPUT" comment against the output of the
// command before it; "..." in OUTPUT stands for anything.
func checkPromises(t *testing.T, where string, results []tourResult) (checked int) {
	t.Helper()
	for _, r := range results {
		for _, c := range r.comments {
			promise, ok := strings.CutPrefix(c, "→ ")
			if !ok {
				continue
			}
			checked++
			pattern := "^" + strings.ReplaceAll(regexp.QuoteMeta(promise), `\.\.\.`, ".*") + "$"
			if !regexp.MustCompile(pattern).MatchString(strings.TrimSpace(r.stdout)) {
				t.Errorf("%s: %s\nprints  %s\npromised %s", where, r.command, strings.TrimSpace(r.stdout), promise)
			}
		}
	}
	return checked
}
