package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/awsauthedit"
)

// cliProcessEnv makes the test binary act as the kubeiam command: the
// arguments follow "--" on its command line. Each process is a real,
// separate CLI process, without building the binary again.
const cliProcessEnv = "KUBEIAM_TEST_CLI_PROCESS"

func TestCLIProcess(t *testing.T) {
	if os.Getenv(cliProcessEnv) != "1" {
		t.Skip("runs only as the child process of another test")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(Main(context.Background(), StdIO(), args))
}

const concurrentEdits = 20

func addUserArgs(path string, i int) []string {
	return []string{"aws-auth", "add-user", "-f", path,
		"--arn", fmt.Sprintf("arn:aws:iam::111122223333:user/u%02d", i), "--username", fmt.Sprintf("u%02d", i), "--groups", "devs"}
}

func assertAllUsers(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := awsauthedit.ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := awsauth.Parse(f.Data())
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Users) != concurrentEdits {
		t.Fatalf("%d of %d concurrent add-user edits survived:\n%s", len(doc.Users), concurrentEdits, b)
	}
}

// Issue 10 item 10: 20 parallel add-user runs on one file all exited 0 and
// 7 users survived.
func TestAWSAuthConcurrentFileEditsGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	var wg sync.WaitGroup
	for i := range concurrentEdits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, stderr, code := runAWSAuth(t, nil, addUserArgs(path, i)[1:]...); code != 0 {
				t.Errorf("add-user %d: exit %d: %s", i, code, stderr)
			}
		}()
	}
	wg.Wait()
	assertAllUsers(t, path)
}

func TestAWSAuthConcurrentFileEditsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 20 processes")
	}
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	var wg sync.WaitGroup
	for i := range concurrentEdits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"-test.run=^TestCLIProcess$", "--"}, addUserArgs(path, i)...)
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), cliProcessEnv+"=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("add-user %d: %v: %s", i, err, strings.TrimSpace(string(out)))
			}
		}()
	}
	wg.Wait()
	assertAllUsers(t, path)
}
