package lab

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestASecondLabOnTheSameDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), Options{Dir: dir, Kubeiam: "/bin/true"})
	want := "another kubeiam lab is running on " + dir + " (pid " + strconv.Itoa(os.Getpid()) + "): stop it with Ctrl-C, or start this one elsewhere with --dir"
	if err == nil || err.Error() != want {
		t.Fatalf("second lab: %v\nwant: %s", err, want)
	}
	unlock()
	relock, err := lockDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	relock()
}

func TestMissingBinariesAreNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"etcd", Options{Etcd: "/nonexistent/etcd"}, "--etcd /nonexistent/etcd: no such file"},
		{"kube-apiserver", Options{Etcd: "/bin/sh", KubeAPIServer: "/nonexistent/kube-apiserver"}, "--kube-apiserver /nonexistent/kube-apiserver: no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Dir, tc.o.Kubeiam = t.TempDir(), "/bin/true"
			err := Run(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v, want %q", err, tc.want)
			}
		})
	}
}
