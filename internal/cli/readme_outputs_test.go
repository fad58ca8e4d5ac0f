package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// readmeBlocks returns the README's fenced blocks: the info string of
// each (sh, yaml or "") and its lines, indentation removed.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	indent := ""
	for _, l := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimLeft(l, " ")
		if strings.HasPrefix(trimmed, "```") {
			if cur == nil {
				indent = l[:len(l)-len(trimmed)]
				cur = &readmeBlock{info: strings.TrimPrefix(trimmed, "```")}
			} else {
				blocks, cur = append(blocks, *cur), nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, strings.TrimPrefix(l, indent))
		}
	}
	return blocks
}

type readmeBlock struct {
	info  string
	lines []string
}

func (b readmeBlock) text() string { return strings.Join(b.lines, "\n") + "\n" }

// readmeBlockWith returns the first README block of that info string
// whose text contains s.
func readmeBlockWith(t *testing.T, info, s string) readmeBlock {
	t.Helper()
	for _, b := range readmeBlocks(t) {
		if b.info == info && strings.Contains(b.text(), s) {
			return b
		}
	}
	t.Fatalf("README has no %q block with %q", info, s)
	return readmeBlock{}
}

// readmeCommand returns the README's kubeiam command line that starts
// with prefix, split into words.
func readmeCommand(t *testing.T, prefix string) []string {
	t.Helper()
	for _, line := range readmeCommands(t) {
		if strings.HasPrefix(line, prefix) {
			args, ok := shellWords(line)
			if !ok {
				t.Fatalf("cannot split %q", line)
			}
			return args[1:]
		}
	}
	// The prose spells some commands in backquotes.
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(b)), " ")
	if m := regexp.MustCompile("`(" + regexp.QuoteMeta(prefix) + "[^`]*)`").FindStringSubmatch(flat); m != nil {
		args, _ := shellWords(m[1])
		return args[1:]
	}
	t.Fatalf("README has no command %q", prefix)
	return nil
}

// The kube-apiserver flags the README shows are those "kubeiam init"
// prints for the README's own init command, line for line; the deploy
// section's list adds only cache settings to them.
func TestREADMEKubeAPIServerFlagsAreWhatInitPrints(t *testing.T) {
	const readmeDir = "/var/lib/kubeiam"
	args := readmeCommand(t, "kubeiam init ")
	dir := filepath.Join(t.TempDir(), "kubeiam")
	for i, a := range args {
		if a == readmeDir {
			args[i] = dir
		}
	}
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("kubeiam %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	var printed []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "--") {
			printed = append(printed, strings.ReplaceAll(l, dir, readmeDir))
		}
	}
	if len(printed) < 5 {
		t.Fatalf("init printed %d flags:\n%s", len(printed), out)
	}
	first := readmeBlockWith(t, "", "--authentication-token-webhook-config-file=")
	if got := strings.Join(printed, "\n") + "\n"; first.text() != got {
		t.Errorf("README's kube-apiserver flags:\n%s\ninit prints:\n%s", first.text(), got)
	}
	deploy := readmeBlockWith(t, "", "--authentication-token-webhook-cache-ttl=")
	for _, f := range printed {
		if !strings.Contains(deploy.text(), f+"\n") {
			t.Errorf("the deploy section's kube-apiserver flags lack %s:\n%s", f, deploy.text())
		}
	}
	for _, l := range deploy.lines {
		if l != "" && !strings.Contains(got(printed), l+"\n") && !strings.Contains(l, "-cache-") {
			t.Errorf("the deploy section's flag %s is neither printed by init nor a cache setting", l)
		}
	}
}

func got(lines []string) string { return strings.Join(lines, "\n") + "\n" }

// The user the README says "kubeiam kubeconfig" writes is what its
// README command writes (--dry-run prints it).
func TestREADMEKubeconfigUserIsWhatKubeconfigWrites(t *testing.T) {
	args := readmeCommand(t, "kubeiam kubeconfig ")
	dir := t.TempDir()
	ca := filepath.Join(dir, "my-cluster-ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "my-cluster-ca.pem" {
			args[i] = ca
		}
	}
	out, errOut, code := runKubeconfigCmd(t, map[string]string{"KUBECONFIG": filepath.Join(dir, "config")}, append(args[1:], "--dry-run")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Typed, so that a field left at its default (provideClusterInfo:
	// false) reads the same whether written or not.
	var written, readme struct {
		Users []clientcmdv1.NamedAuthInfo `json:"users"`
	}
	if err := yaml.Unmarshal([]byte(out), &written); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	block := readmeBlockWith(t, "yaml", "command: kubeiam-token")
	if err := yaml.Unmarshal([]byte(block.text()), &readme); err != nil {
		t.Fatalf("README's user: %v", err)
	}
	if !reflect.DeepEqual(written.Users, readme.Users) {
		t.Errorf("README's user:\n%s\nkubeiam kubeconfig writes:\n%s", block.text(), out)
	}
}

// The AccessEntry name in the README is what the command its comment
// names prints for its principal.
func TestREADMEAccessEntryNameIsWhatTheCommandPrints(t *testing.T) {
	block := readmeBlockWith(t, "yaml", "kind: AccessEntry")
	m := regexp.MustCompile(`name: (\S+)\s+# (kubeiam access-entry name --principal-arn) ARN`).FindStringSubmatch(block.text())
	p := regexp.MustCompile(`principalArn: (\S+)`).FindStringSubmatch(block.text())
	if m == nil || p == nil {
		t.Fatalf("README's AccessEntry has no name comment or principal:\n%s", block.text())
	}
	args := append(strings.Fields(m[2])[1:], p[1])
	code, out, errOut := runCLI(t, args...)
	if code != 0 || out != m[1]+"\n" {
		t.Errorf("kubeiam %s: exit %d, %q %s; the README says %q", strings.Join(args, " "), code, out, errOut, m[1])
	}
}

// The backup the README restores is named as kubeiam names backups.
func TestREADMEBackupNameIsABackupName(t *testing.T) {
	args := readmeCommand(t, "kubeiam aws-auth restore ")
	name := args[len(args)-1]
	stamp := strings.TrimSuffix(strings.TrimPrefix(name, "aws-auth-backup-"), ".yaml")
	at, err := time.Parse(backupStamp, stamp)
	if err != nil {
		t.Fatalf("README restores %s: %v", name, err)
	}
	dir := t.TempDir()
	path, err := createBackup(dir, at, []byte("data: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != name {
		t.Errorf("a backup made at %s is %s; the README restores %s", at, filepath.Base(path), name)
	}
}
