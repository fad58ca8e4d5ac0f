// Package version reports which kubeiam this is: the release version and
// commit stamped in at build time ("make build" passes
//
//	-ldflags "-X github.com/kubeiam/kubeiam/internal/version.version=v1.2.3
//	          -X github.com/kubeiam/kubeiam/internal/version.commit=abc123")
//
// and, for a plain "go build" or "go install", what the Go toolchain
// recorded in the binary: the module version and the VCS revision.
//
// It imports nothing beyond the runtime, so that the token plugin can
// answer --version without paying for anything else.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped at build time with -ldflags -X; empty otherwise.
var (
	version string
	commit  string
)

// Unknown is reported for a field neither stamping nor build info supplies.
const Unknown = "unknown"

// Info is what "kubeiam version" prints.
type Info struct {
	// Version is the release ("v0.4.0"), the module pseudo-version of a
	// "go install", or "(devel)" for a build from a work tree.
	Version string `json:"version"`
	// Commit is the VCS revision, with "-dirty" when the work tree had
	// uncommitted changes.
	Commit string `json:"commit"`
	// GoVersion is the toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// Get returns this binary's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
}

// resolve prefers the stamped values, then the build info.
func resolve(stampedVersion, stampedCommit string, bi *debug.BuildInfo) Info {
	in := Info{Version: stampedVersion, Commit: stampedCommit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		if in.Version == "" {
			in.Version = bi.Main.Version
		}
		if in.Commit == "" {
			in.Commit = vcsCommit(bi.Settings)
		}
	}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	if in.Commit == "" {
		in.Commit = Unknown
	}
	return in
}

// vcsCommit reads the revision "go build" records from the work tree.
func vcsCommit(settings []debug.BuildSetting) string {
	var rev string
	var dirty bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// String is the one-line form: "kubeiam v1.2.3 (commit abc123, go1.26.8, linux/amd64)".
func (in Info) String() string {
	return fmt.Sprintf("kubeiam %s (commit %s, %s, %s)", in.Version, shortCommit(in.Commit), in.GoVersion, in.Platform)
}

// shortCommit abbreviates a full revision to 12 characters, as git does
// for display, keeping a "-dirty" suffix.
func shortCommit(c string) string {
	rev, suffix, _ := strings.Cut(c, "-")
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if suffix != "" {
		return rev + "-" + suffix
	}
	return rev
}
