package main

import (
	"os/exec"
	"strings"
	"testing"
)

// heavyPackages must never be linked into kubeiam-token: each costs
// package initialisation on every kubectl command (issue 15). The AWS SDK
// is among them: a cache miss hands over to "kubeiam token" instead.
var heavyPackages = []string{
	"k8s.io/",
	"sigs.k8s.io/",
	"github.com/prometheus/",
	"github.com/aws/",
	"github.com/spf13/cobra",
	"go.etcd.io/",
	"net/http",
	"github.com/kubeiam/kubeiam/internal/cli",
	"github.com/kubeiam/kubeiam/internal/server",
	"github.com/kubeiam/kubeiam/internal/tokengen",
}

// heavyExact are single packages refused without their subpackages:
// package net brings the cgo DNS resolver, which makes the binary
// dynamically linked, so every run pays for the dynamic loader (net/url,
// which the token format needs, is fine).
var heavyExact = []string{"net", "os/user", "plugin"}

// TestSlimDependencies lists the binary's real import graph with "go list
// -deps" (tests excluded, as in the built binary) and refuses any heavy
// package. It would fail the day someone imports one.
func TestSlimDependencies(t *testing.T) {
	// "go test" puts its own go first on PATH.
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	has := map[string]bool{}
	for _, d := range deps {
		has[d] = true
		for _, heavy := range heavyExact {
			if d == heavy {
				t.Errorf("kubeiam-token links %s: keep it off the cache-hit path", d)
			}
		}
		for _, heavy := range heavyPackages {
			if d == heavy || strings.HasPrefix(d, heavy) && (strings.HasSuffix(heavy, "/") || strings.HasPrefix(d, heavy+"/")) {
				t.Errorf("kubeiam-token links %s (matches %q): keep it off the cache-hit path", d, heavy)
			}
		}
	}
	// The check is only worth something if the listing is the real one.
	for _, want := range []string{"github.com/kubeiam/kubeiam/internal/tokencache", "github.com/kubeiam/kubeiam/internal/tokenplugin"} {
		if !has[want] {
			t.Errorf("go list -deps does not list %s; got %d packages", want, len(deps))
		}
	}
}
