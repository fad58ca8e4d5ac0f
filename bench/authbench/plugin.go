package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// command is one way to get a token, timed as a whole process as kubectl
// runs it (exec credential plugin: once per kubectl command).
type command struct {
	name string
	argv []string
	env  []string
	// runs, when not zero, caps the command's runs: the AWS CLI takes
	// seconds per run on a loaded machine.
	runs int
}

// floorSource is the floor: the least a Go program that prints a cached
// token can do.
const floorSource = `package main

import "os"

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	os.Stdout.Write(b)
}
`

// buildFloor builds the floor program in dir and returns its path.
func buildFloor(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "floor")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(floorSource), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module floor\n\ngo 1.21\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "floor-bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the floor program: %w: %s", err, out)
	}
	return bin, nil
}

// cachedTokenName names the cached plugin run in the reports.
const cachedTokenName = "kubeiam-token (cached)"

// tokenCommands returns the commands to time: kubeiam-token cached, kubeiam token
// cold, aws-iam-authenticator token and aws eks get-token when present, and
// the floor. All sign with the same static keys from the environment in a
// sealed HOME, so none reads a profile or calls a network.
func tokenCommands(ctx context.Context, e *env, aia string) ([]command, error) {
	akid, secret, err := e.ids.user("developer")
	if err != nil {
		return nil, err
	}
	home := filepath.Join(e.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	base := []string{"HOME=" + home, "AWS_ACCESS_KEY_ID=" + akid, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true"}
	cache := filepath.Join(e.dir, "token-cache")
	// kubectl runs the slim plugin (cmd/kubeiam-token, built next to
	// kubeiam by "make build"), which hands a cache miss over to kubeiam.
	plugin := filepath.Join(filepath.Dir(e.kubeiam), "kubeiam-token")
	if _, err := os.Stat(plugin); err != nil {
		return nil, fmt.Errorf("the token plugin: %w (run \"make build\")", err)
	}
	cached := command{name: cachedTokenName, argv: []string{plugin, "token", "-i", clusterID, "--cache-dir", cache}, env: base}
	// Fill the cache, and check the command works at all.
	if out, err := run(cached); err != nil {
		return nil, fmt.Errorf("kubeiam token: %w: %s", err, out)
	}
	floor, err := buildFloor(ctx, e.dir)
	if err != nil {
		return nil, err
	}
	tokFile := filepath.Join(e.dir, "token.json")
	out, _ := run(cached)
	if err := os.WriteFile(tokFile, out, 0o600); err != nil {
		return nil, err
	}
	cmds := []command{
		{name: "floor: a Go program printing a file", argv: []string{floor, tokFile}, env: base},
		cached,
		{name: "kubeiam token (cold, --no-cache)", argv: []string{e.kubeiam, "token", "-i", clusterID, "--no-cache"}, env: base},
	}
	if aia != "" {
		cmds = append(cmds, command{name: "aws-iam-authenticator token", argv: []string{aia, "token", "-i", clusterID}, env: base})
	}
	if aws, err := exec.LookPath("aws"); err == nil {
		cmds = append(cmds, command{name: "aws eks get-token", argv: []string{aws, "eks", "get-token", "--cluster-name", clusterID, "--region", "us-east-1"}, env: base, runs: 3})
	}
	for _, c := range cmds[2:] {
		if out, err := run(c); err != nil {
			return nil, fmt.Errorf("%s: %w: %s", c.name, err, out)
		}
	}
	return cmds, nil
}

func run(c command) ([]byte, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if err != nil {
		return []byte(errBuf.String()), err
	}
	return out, nil
}

// timeCommands runs each command n times, interleaved, and returns each
// one's median wall time.
func timeCommands(w io.Writer, cmds []command, n int) (map[string]time.Duration, error) {
	times := make(map[string][]time.Duration)
	for i := 0; i < n; i++ {
		for j := range cmds {
			c := cmds[(i+j)%len(cmds)]
			if c.runs > 0 && len(times[c.name]) >= c.runs {
				continue
			}
			t0 := time.Now()
			if out, err := run(c); err != nil {
				return nil, fmt.Errorf("%s: %w: %s", c.name, err, out)
			}
			times[c.name] = append(times[c.name], time.Since(t0))
		}
	}
	med := make(map[string]time.Duration)
	fmt.Fprintf(w, "\n%d runs each (the AWS CLI: 3), interleaved:\n", n)
	for _, c := range cmds {
		t := times[c.name]
		sort.Slice(t, func(a, b int) bool { return t[a] < t[b] })
		med[c.name] = t[len(t)/2]
		fmt.Fprintf(w, "  %-40s median %-9s min %-9s max %s\n", c.name, t[len(t)/2].Round(10*time.Microsecond),
			t[0].Round(10*time.Microsecond), t[len(t)-1].Round(10*time.Microsecond))
	}
	return med, nil
}
