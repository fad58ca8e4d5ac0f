package tokenplugin

import (
	"fmt"
	"io"
	"time"

	"github.com/kubeiam/kubeiam/internal/version"
)

// FastIO is what the fast path touches of the outside world.
type FastIO struct {
	Out, Err io.Writer
	Getenv   func(string) string
	Now      func() time.Time
}

// Outcome is what the fast path did.
type Outcome int

const (
	// Done: the command is answered (a cached token, --help, --version,
	// a usage error); exit with the code.
	Done Outcome = iota + 1
	// Mint: no usable cached token; "kubeiam token" must run with the same
	// arguments.
	Mint
)

// Fast answers what kubeiam-token can answer without the AWS SDK: --help,
// --version, usage errors, and a cached token. Anything else is Mint.
// args are the arguments after the program name; a leading "token" is
// accepted, so that a kubeconfig written for "kubeiam token" keeps its
// arguments when the command becomes kubeiam-token.
func Fast(s FastIO, args []string) (Outcome, int) {
	if len(args) > 0 && args[0] == "token" {
		args = args[1:]
	}
	var f Flags
	var help, showVersion bool
	specs := append(f.Specs(),
		Spec{Name: "version", Bool: &showVersion, Usage: "print the version and exit"},
		Spec{Name: "help", Shorthand: "h", Bool: &help, Usage: "show this help"})
	fail := func(err error) (Outcome, int) {
		fmt.Fprintf(s.Err, "error: %v (see 'kubeiam-token --help')\n", err)
		return Done, 2
	}
	rest, err := Parse(specs, args)
	switch {
	case err != nil:
		return fail(err)
	case help:
		fmt.Fprintf(s.Out, "%s\n\nUsage:\n  kubeiam-token --cluster-name CLUSTER [flags]\n\nExamples:\n%s\n\nFlags:\n%s", Long, Example, Usage(specs))
		return Done, 0
	case showVersion:
		fmt.Fprintln(s.Out, version.Get())
		return Done, 0
	case len(rest) > 0:
		return fail(fmt.Errorf("unexpected argument %q", rest[0]))
	}
	if err := f.Complete(s.Getenv); err != nil {
		return fail(err)
	}
	if f.NoCache {
		return Mint, 0
	}
	info, err := ParseExecInfo(s.Getenv(ExecInfoEnv))
	if err != nil {
		return Mint, 0 // "kubeiam token" explains it
	}
	key, err := CacheKey(f, s.Getenv)
	if err != nil {
		return Mint, 0
	}
	// Warnings are left to "kubeiam token", which reopens the cache.
	cache := OpenCache(f.CacheDir, s.Now, func(error) {})
	if cache == nil {
		return Mint, 0
	}
	t, ok := cache.Get(key)
	if !ok {
		return Mint, 0
	}
	b, err := EncodeExecCredential(info.APIVersion, f.TokenOnly, t.Value, t.Expiration)
	if err != nil {
		return Mint, 0
	}
	if _, err := s.Out.Write(b); err != nil {
		fmt.Fprintf(s.Err, "error: writing the token: %v\n", err)
		return Done, 1
	}
	return Done, 0
}
