package cli

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/diag"
)

func TestWhoami(t *testing.T) {
	e := newDiagEnv(t, "CONFIG_MAP", nil)
	creator := e.sts.Token(t, e.sts.UserCredentials(t, "creator"), authntest.ClusterID)
	t.Run("the creator's token", func(t *testing.T) {
		e.out.Reset()
		_, errOut, code := runDiagCmd(t, newWhoamiCommandWithDeps(e.deps(e.clock.Now)), "--server", e.server, "--token", creator)
		out := e.out.String()
		if code != 0 || !strings.Contains(out, "username:         kubernetes-admin") || !strings.Contains(out, "groups:           system:masters") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		if strings.Contains(out, creator[20:60]) {
			t.Error("whoami printed the token")
		}
	})
	t.Run("a token generated from the developer's profile", func(t *testing.T) {
		e.out.Reset()
		_, errOut, code := runDiagCmd(t, newWhoamiCommandWithDeps(e.deps(e.clock.Now)), "--server", e.server,
			"--cluster-id", authntest.ClusterID, "--profile", "developer", "-o", "json")
		w := diag.Whoami{}
		if err := jsonUnmarshal(e.out.Bytes(), &w); err != nil {
			t.Fatalf("%v: %s", err, errOut)
		}
		if code != 1 || w.Authenticated || w.Code != "ARN_NOT_MAPPED" || w.ARN != authntest.DeveloperARN || w.ClusterCreatorARN != authntest.CreatorARN {
			t.Errorf("exit %d, %+v\n%s", code, w, errOut)
		}
	})
	t.Run("no server", func(t *testing.T) {
		if _, _, code := runDiagCmd(t, newWhoamiCommandWithDeps(e.deps(e.clock.Now)), "--token", creator); code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
	})
}

// diagCancellingWriter cancels the command's context once it has written n lines.
type diagCancellingWriter struct {
	mu     sync.Mutex
	b      strings.Builder
	n      int
	cancel context.CancelFunc
}

func (w *diagCancellingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Count(w.b.String(), "\n") >= w.n {
		w.cancel()
	}
	return len(p), nil
}

func TestLogs(t *testing.T) {
	e := newDiagEnv(t, "CONFIG_MAP", nil)
	creator := e.sts.Token(t, e.sts.UserCredentials(t, "creator"), authntest.ClusterID)
	developer := e.sts.Token(t, e.sts.UserCredentials(t, "developer"), authntest.ClusterID)
	for _, tok := range []string{developer, creator} {
		runDiagCmd(t, newWhoamiCommandWithDeps(e.deps(e.clock.Now)), "--server", e.server, "--token", tok)
	}
	e.out.Reset()
	_, errOut, code := runDiagCmd(t, newLogsCommandWithDeps(e.deps(e.clock.Now)), "--server", e.server, "--token", creator,
		"--decision", "denied", "--since", "15m")
	out := e.out.String()
	if code != 0 || !strings.HasPrefix(out, "TIME") || !strings.Contains(out, authntest.DeveloperARN) || !strings.Contains(out, "ARN_NOT_MAPPED") ||
		strings.Contains(out, "kubernetes-admin") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	for _, bad := range [][]string{{"--decision", "maybe"}, {"--since", "yesterday"}, {"-o", "yaml"}} {
		if _, _, code := runDiagCmd(t, newLogsCommandWithDeps(e.deps(e.clock.Now)), append([]string{"--server", e.server, "--token", creator}, bad...)...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
	t.Run("follow stops when interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		w := &diagCancellingWriter{n: 1, cancel: cancel}
		d := e.deps(e.clock.Now)
		d.io.Out = w
		cmd := newLogsCommandWithDeps(d)
		cmd.SetArgs([]string{"--server", e.server, "--token", creator, "--follow", "--arn", "user/developer", "-o", "json"})
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("logs --follow: %v", err)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if !strings.Contains(w.b.String(), `"arn":"`+authntest.DeveloperARN+`"`) {
			t.Errorf("followed:\n%s", w.b.String())
		}
	})
}

// An answer without a code, a reason or a token hash (a server that sends
// less) prints dashes, never an empty value or "()".
func TestWhoamiPrintsNoEmptyValues(t *testing.T) {
	var b strings.Builder
	if err := printWhoami(&b, diag.Whoami{}); err != nil {
		t.Fatal(err)
	}
	want := "authenticated:  no\nARN:            -\ncode:           -\nreason:         -\n"
	if b.String() != want {
		t.Errorf("printWhoami:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := printWhoami(&b, diag.Whoami{Authenticated: true, ARN: "arn:aws:iam::111122223333:user/a", Username: "a"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if strings.HasSuffix(l, ":") || strings.HasSuffix(l, "  ") {
			t.Errorf("empty value in %q:\n%s", l, b.String())
		}
	}
	if got := "not authenticated" + codeInParens(""); got != "not authenticated" {
		t.Errorf("codeInParens(\"\") gives %q", got)
	}
}
