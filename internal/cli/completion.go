package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// This file makes "kubeiam completion SHELL" complete flag values, not only
// flag names: what a value may be comes from where kubeiam itself decides
// it (the access package, the policy catalog, the AWS config files).

// flagValues returns the completions of a flag's value.
type flagValues func(s IO) []string

// completedFlags maps flag names to their values, wherever the flag is.
var completedFlags = map[string]flagValues{
	"authentication-mode": func(IO) []string { return stringsOf(access.Modes()) },
	"type":                func(IO) []string { return stringsOf(access.EntryTypes()) },
	"policy-arn":          policyNames,
	"scope":               func(IO) []string { return []string{string(authz.ScopeCluster), string(authz.ScopeNamespace)} },
	"access-scope": func(IO) []string {
		return []string{"type=" + string(authz.ScopeCluster), "type=" + string(authz.ScopeNamespace) + ",namespaces="}
	},
	"profile": awsProfiles,
}

// registerCompletions adds the value completions to every command of the
// tree that has one of completedFlags, and no file completion after them.
func registerCompletions(root *cobra.Command, s IO) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, values := range completedFlags {
			if c.LocalFlags().Lookup(name) == nil || (name == "type" && !strings.Contains(c.CommandPath(), "access-entry")) {
				continue // --type is an access entry's type only there
			}
			// A flag inherited by subcommands is registered once, on the
			// command that defines it; cobra refuses a second registration.
			_ = c.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return values(s), cobra.ShellCompDirectiveNoFileComp
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// policyNames are the catalog's policies by short name, which every
// --policy-arn accepts, then by ARN.
func policyNames(IO) []string {
	var names, arns []string
	for _, p := range authz.Catalog() {
		names = append(names, p.Name)
		arns = append(arns, p.ARN)
	}
	return append(names, arns...)
}

// awsProfiles lists the profiles of the AWS shared config and credentials
// files, at $AWS_CONFIG_FILE and $AWS_SHARED_CREDENTIALS_FILE or in ~/.aws,
// as the AWS CLI finds them ("aws configure list-profiles").
func awsProfiles(s IO) []string {
	home := s.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	path := func(env, name string) string {
		if p := s.Getenv(env); p != "" {
			return p
		}
		return filepath.Join(home, ".aws", name)
	}
	var out []string
	for _, f := range []struct {
		path   string
		config bool
	}{{path("AWS_CONFIG_FILE", "config"), true}, {path("AWS_SHARED_CREDENTIALS_FILE", "credentials"), false}} {
		data, err := readInput(f.path)
		if err != nil {
			continue
		}
		for _, p := range profileSections(data, f.config) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// profileSections returns the profile names of an AWS shared file: in the
// config file "[default]" and "[profile NAME]" (other sections, such as
// "[sso-session X]" and "[services X]", are not profiles); in the
// credentials file every "[NAME]".
func profileSections(data []byte, config bool) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
			continue
		}
		name := strings.TrimSpace(line[1 : len(line)-1])
		if config && name != "default" {
			rest, ok := strings.CutPrefix(name, "profile ")
			if !ok {
				continue
			}
			name = strings.TrimSpace(rest)
		}
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}
