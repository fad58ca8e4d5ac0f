package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolvePrefersTheStampedValues(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Version: "v0.0.0-20260101000000-0123456789ab"},
		Settings:  []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}},
	}
	tests := []struct {
		name                    string
		stampedV, stampedC      string
		bi                      *debug.BuildInfo
		wantVersion, wantCommit string
	}{
		{name: "stamped by make build", stampedV: "v1.2.3", stampedC: "abc123", bi: bi, wantVersion: "v1.2.3", wantCommit: "abc123"},
		{name: "go build in a work tree", bi: bi, wantVersion: "v0.0.0-20260101000000-0123456789ab", wantCommit: "0123456789abcdef0123456789abcdef01234567-dirty"},
		{name: "go install of a release", bi: &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, wantVersion: "v1.0.0", wantCommit: Unknown},
		{name: "nothing known", wantVersion: "(devel)", wantCommit: Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := resolve(tt.stampedV, tt.stampedC, tt.bi)
			if in.Version != tt.wantVersion || in.Commit != tt.wantCommit {
				t.Errorf("resolve = %+v, want version %q commit %q", in, tt.wantVersion, tt.wantCommit)
			}
			if in.GoVersion == "" || in.Platform != runtime.GOOS+"/"+runtime.GOARCH {
				t.Errorf("go version %q platform %q", in.GoVersion, in.Platform)
			}
		})
	}
}

func TestStringAbbreviatesTheCommit(t *testing.T) {
	in := Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567-dirty", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	if got, want := in.String(), "kubeiam v1.2.3 (commit 0123456789ab-dirty, go1.26.8, linux/amd64)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if !strings.Contains(Get().String(), runtime.Version()) {
		t.Errorf("Get().String() = %q does not name the Go version", Get().String())
	}
}
