package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// tokenProcessEnv makes the test binary run "kubeiam ARGS" (ARGS in JSON)
// instead of its tests: the MFA tests need a process of its own, with a
// controlling terminal.
const tokenProcessEnv = "KUBEIAM_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(tokenProcessEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(Main(context.Background(), StdIO(), argv))
	}
	os.Exit(m.Run())
}

// openPTY returns a new pseudo-terminal's master and slave (posix_openpt,
// unlockpt and ptsname by hand: no pty module in the dependency graph).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("unlockpt: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("ptsname: %v", errno)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// mfaWorld is a HOME with a profile "mfa" that assumes the local STS's
// admin role with mfa_serial, the role requiring code 123456.
type mfaWorld struct {
	env      []string
	cacheDir string
}

func newMFAWorld(t *testing.T) *mfaWorld {
	t.Helper()
	cfg := localsts.DevConfig(rand.Reader)
	cfg.Accounts[0].Roles[0].MFACode = "123456"
	srv, err := localsts.New(cfg, localsts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	key := cfg.Accounts[0].Users[1].AccessKeys[0] // the developer
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	acct := localsts.DevAccount
	files := map[string]string{
		"config": "[profile mfa]\nrole_arn = arn:aws:iam::" + acct + ":role/" + localsts.DevAdminRole +
			"\nsource_profile = base\nmfa_serial = arn:aws:iam::" + acct + ":mfa/developer\nregion = us-east-1\n",
		"credentials": "[base]\naws_access_key_id = " + key.AccessKeyID + "\naws_secret_access_key = " + key.SecretAccessKey + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(aws, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &mfaWorld{
		env: []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_PROFILE=mfa", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_ENDPOINT_URL_STS=" + hs.URL, "HTTPS_PROXY=http://127.0.0.1:1"},
		cacheDir: filepath.Join(t.TempDir(), "tokens"),
	}
}

func execInfo(interactive bool) string {
	return fmt.Sprintf(`KUBERNETES_EXEC_INFO={"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":%v}}`, interactive)
}

// command is "kubeiam token --cache-dir DIR ARGS" in a process of its own.
func (w *mfaWorld) command(t *testing.T, interactive bool, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	argv, _ := json.Marshal(append([]string{"token", "--cache-dir", w.cacheDir}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append([]string{}, w.env...), tokenProcessEnv+"="+string(argv), execInfo(interactive))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	return cmd, &out, &errOut
}

// TestTokenAsksForTheMFACodeOnTheTerminalOncePerSession: kubectl allows
// interaction, so the code is asked on the terminal (a pseudo-terminal
// here) and the session cached; the next kubectl call, even a
// non-interactive one, needs no code. Without interaction and without a
// session, the error names the profile and the fix.
func TestTokenAsksForTheMFACodeOnTheTerminalOncePerSession(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes: skipped with -short")
	}
	w := newMFAWorld(t)
	master, slave := openPTY(t)

	cmd, out, errOut := w.command(t, true, "--cluster-name", "prod")
	cmd.Stdin = slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	prompt := readUntil(t, master, "): ")
	if !strings.Contains(prompt, "Enter MFA code for arn:aws:iam::"+localsts.DevAccount+":mfa/developer (profile mfa)") {
		t.Fatalf("prompt %q", prompt)
	}
	if _, err := master.Write([]byte("123456\n")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("token: %v\nstderr: %s", err, errOut)
	}
	if !strings.Contains(out.String(), `"token":"k8s-aws-v1.`) || strings.Contains(errOut.String(), "k8s-aws-v1.") {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}

	// Another cluster (no cached token), kubectl not interactive: the MFA
	// session is reused, no prompt.
	cmd, out, errOut = w.command(t, false, "--cluster-name", "staging")
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), `"token":"k8s-aws-v1.`) {
		t.Fatalf("second call: %v, stdout %q, stderr %s", err, out, errOut)
	}
	fi, err := os.Stat(filepath.Join(w.cacheDir, sessionsDir, "tokens.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("session cache file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}

	// No session and no terminal allowed: refused, naming the profile.
	w.cacheDir = filepath.Join(t.TempDir(), "tokens")
	cmd, out, errOut = w.command(t, false, "--cluster-name", "prod")
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 || out.Len() != 0 {
		t.Fatalf("non-interactive without a session: %v, stdout %q", err, out)
	}
	for _, want := range []string{`profile "mfa"`, "interactiveMode: IfAvailable", "kubeiam token --cluster-name prod --profile mfa"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr %q does not mention %q", errOut, want)
		}
	}
}

// readUntil reads the terminal until it has shown want.
func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 256)
	deadline := time.Now().Add(30 * time.Second)
	_ = f.SetReadDeadline(deadline)
	for !bytes.Contains(got, []byte(want)) {
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("reading the terminal: %v; so far %q", err, got)
		}
	}
	return string(got)
}
