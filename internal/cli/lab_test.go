package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab"
	"github.com/kubeiam/kubeiam/internal/lab/kubeapiserver"
)

// fakeLab records what "kubeiam lab" asked for.
type fakeLab struct {
	opts  lab.Options
	build kubeapiserver.BuildOptions
	out   bytes.Buffer
	err   bytes.Buffer
}

func (f *fakeLab) deps(lookPath func(string) (string, error)) labDeps {
	return labDeps{
		IO:         IO{In: strings.NewReader(""), Out: &f.out, Err: &f.err, Getenv: func(string) string { return "" }, Now: time.Now},
		Executable: func() (string, error) { return "/opt/bin/kubeiam", nil },
		LookPath:   lookPath,
		Run:        func(_ context.Context, o lab.Options) error { f.opts = o; return nil },
		Build: func(_ context.Context, o kubeapiserver.BuildOptions) (string, error) {
			f.build = o
			return "/cache/kube-apiserver", nil
		},
		IsTTY: func(io.Writer) bool { return false },
	}
}

func runLab(t *testing.T, d labDeps, args ...string) error {
	t.Helper()
	cmd := newLabCommandWith(d)
	cmd.SetArgs(args)
	cmd.SetOut(d.Out)
	cmd.SetErr(d.Err)
	return cmd.ExecuteContext(context.Background())
}

func onPath(name string) (string, error) { return "/usr/bin/" + name, nil }

func TestLabPassesFlagsAndThisBinary(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want lab.Options
	}{
		{"defaults", nil, lab.Options{Dir: ".kubeiam-lab"}},
		{"every flag", []string{"--dir", "/tmp/l", "--kube-apiserver", "/k/kube-apiserver", "--etcd", "/e/etcd"},
			lab.Options{Dir: "/tmp/l", KubeAPIServer: "/k/kube-apiserver", Etcd: "/e/etcd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f fakeLab
			if err := runLab(t, f.deps(onPath), tc.args...); err != nil {
				t.Fatal(err)
			}
			got := f.opts
			if got.Dir != tc.want.Dir || got.KubeAPIServer != tc.want.KubeAPIServer || got.Etcd != tc.want.Etcd {
				t.Errorf("options: dir %q kube-apiserver %q etcd %q; want %q %q %q",
					got.Dir, got.KubeAPIServer, got.Etcd, tc.want.Dir, tc.want.KubeAPIServer, tc.want.Etcd)
			}
			// /usr/bin/kubeiam is not /opt/bin/kubeiam: the exercise spells the path.
			if got.Kubeiam != "/opt/bin/kubeiam" || got.Command != "/opt/bin/kubeiam" {
				t.Errorf("exec plugin %q, spelled %q; want /opt/bin/kubeiam for both", got.Kubeiam, got.Command)
			}
			if got.Out != &f.out || got.Err != &f.err {
				t.Error("the exercise must go to Out and the progress to Err")
			}
		})
	}
}

func TestLabWarnsWithoutKubectl(t *testing.T) {
	var f fakeLab
	if err := runLab(t, f.deps(func(string) (string, error) { return "", exec.ErrNotFound })); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.err.String(), "kubectl is not on PATH") {
		t.Errorf("stderr %q: want a kubectl warning", f.err.String())
	}
}

func TestLabSpellsItself(t *testing.T) {
	self := filepath.Join(t.TempDir(), "kubeiam")
	if err := exec.Command("cp", "/bin/true", self).Run(); err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		name, exe string
		lookPath  func(string) (string, error)
		want      string
	}{
		{"go run", "/tmp/go-build123/b001/exe/kubeiam", onPath, "go run ./cmd/kubeiam"},
		{"this binary on PATH", self, func(string) (string, error) { return self, nil }, "kubeiam"},
		{"another kubeiam on PATH", self, onPath, self},
		{"none on PATH", self, func(string) (string, error) { return "", exec.ErrNotFound }, self},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := selfSpelling(tc.exe, tc.lookPath); got != tc.want {
				t.Errorf("selfSpelling(%q) = %q, want %q", tc.exe, got, tc.want)
			}
		})
	}
}

func TestLabBuildAPIServer(t *testing.T) {
	var f fakeLab
	if err := runLab(t, f.deps(onPath), "build-apiserver"); err != nil {
		t.Fatal(err)
	}
	if f.out.String() != "/cache/kube-apiserver\n" || f.build.Progress != &f.err {
		t.Errorf("stdout %q, progress to stderr %v; want the path alone on stdout", f.out.String(), f.build.Progress == &f.err)
	}

	f = fakeLab{}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	d := f.deps(onPath)
	d.Build = func(context.Context, kubeapiserver.BuildOptions) (string, error) {
		t.Error("--path must not build")
		return "", errors.New("built")
	}
	if err := runLab(t, d, "build-apiserver", "--path"); err != nil {
		t.Fatal(err)
	}
	if want := "/xdg/kubeiam/kube-apiserver-" + kubeapiserver.Version() + "\n"; f.out.String() != want {
		t.Errorf("--path printed %q, want %q", f.out.String(), want)
	}
}

func TestLabBuildWithoutGo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var f fakeLab
	d := f.deps(func(string) (string, error) { return "", exec.ErrNotFound })
	d.Build = kubeapiserver.Build
	err := runLab(t, d, "build-apiserver")
	if !errors.Is(err, kubeapiserver.ErrNoGo) {
		t.Fatalf("err = %v, want ErrNoGo", err)
	}
}
