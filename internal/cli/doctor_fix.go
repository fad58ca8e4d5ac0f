package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// shellWord quotes s for a POSIX shell, leaving plain words as they are, so
// that a printed fix can be pasted as is.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:,=+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// setCredentials is the kubectl command that changes the exec plugin of the
// kubeconfig's user; kubectl writes the change to the file that holds the
// user. --exec-arg replaces the whole argument list; --exec-env sets one
// variable and keeps the others (kubectl config set-credentials --help).
func (doc *doctor) setCredentials(flags ...string) string {
	parts := []string{"kubectl"}
	if doc.f.kubeconfig != "" {
		parts = append(parts, "--kubeconfig", shellWord(doc.f.kubeconfig))
	}
	parts = append(parts, "config", "set-credentials", shellWord(doc.plugin.user))
	for _, f := range flags {
		parts = append(parts, shellWord(f))
	}
	return strings.Join(parts, " ")
}

// withArgs is setCredentials replacing the plugin's arguments by args.
func (doc *doctor) withArgs(args []string) string {
	flags := make([]string, len(args))
	for i, a := range args {
		flags[i] = "--exec-arg=" + a
	}
	return doc.setCredentials(flags...)
}

// replaceFlagValue returns args with the value of the first flag named in
// keys ("--flag value" or "--flag=value") set to value, and whether one was
// found.
func replaceFlagValue(args []string, keys []string, value string) ([]string, bool) {
	out := append([]string(nil), args...)
	for i, a := range out {
		key, _, inline := strings.Cut(a, "=")
		if !contains(keys, key) {
			continue
		}
		if inline {
			out[i] = key + "=" + value
			return out, true
		}
		if i+1 < len(out) {
			out[i+1] = value
			return out, true
		}
	}
	return out, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	clusterIDFlags = []string{"-i", "--cluster-id", "--cluster-name"}
	profileFlags   = []string{"--profile"}
)

// clusterIDFix is the command that makes the plugin mint tokens for want.
func (doc *doctor) clusterIDFix(want string) string {
	args, _ := replaceFlagValue(doc.plugin.args, clusterIDFlags, want)
	return doc.withArgs(args)
}

// profileFix is what makes the plugin, and this shell, use profile.
func (doc *doctor) profileFix(profile string, src tokengen.Source) []string {
	var kubectl string
	if args, ok := replaceFlagValue(doc.plugin.args, profileFlags, profile); ok {
		kubectl = doc.withArgs(args)
	} else {
		kubectl = doc.setCredentials("--exec-env=AWS_PROFILE=" + profile)
	}
	fixes := []string{kubectl}
	if doc.plugin.implicit {
		fixes = nil
	}
	if src.Kind == tokengen.SourceEnv && doc.plugin.env["AWS_ACCESS_KEY_ID"] == "" {
		// Keys in the environment win over any profile.
		fixes = append([]string{"unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN"}, fixes...)
	}
	return append(fixes, "export AWS_PROFILE="+shellWord(profile)+"   # for kubeiam and aws commands in this shell")
}

// maxProfiles bounds how many local profiles doctor tries.
const maxProfiles = 20

// authenticatedProfile is a local profile the server accepts.
type authenticatedProfile struct {
	profile string
	w       diag.Whoami
}

// otherIdentities asks the server about every other profile in the shared
// files: a token is minted for each (no AWS call) and sent to the server's
// whoami, which authenticates it as the webhook would. Those it accepts are
// the identities this machine could have used.
func (doc *doctor) otherIdentities(ctx context.Context, c *diag.Client, src tokengen.Source) []authenticatedProfile {
	var found []authenticatedProfile
	for _, name := range profileNames(src) {
		if name == src.Profile || runsAProgram(ctx, src, name) {
			continue
		}
		o := tokengen.CredentialOptions{Profile: name, Region: doc.plugin.region, STSEndpoint: doc.stsEndpoint(),
			Getenv: doc.plugin.getenv(doc.d.io.Getenv), Now: doc.d.io.Now, HTTPClient: doc.d.stsHTTPClient()}
		callCtx, cancel := context.WithTimeout(ctx, doc.d.timeout())
		w, ok := doc.whoamiAs(callCtx, c, o)
		cancel()
		if ok && w.Authenticated {
			found = append(found, authenticatedProfile{profile: name, w: w})
		}
	}
	return found
}

func (doc *doctor) whoamiAs(ctx context.Context, c *diag.Client, o tokengen.CredentialOptions) (diag.Whoami, bool) {
	cfg, err := doc.d.loadConfig(ctx, o)
	if err != nil {
		return diag.Whoami{}, false
	}
	tok, err := tokengen.Generate(ctx, cfg.Credentials, tokengen.Options{ClusterID: doc.plugin.clusterID, Region: cfg.Region, Now: doc.d.io.Now})
	if err != nil {
		return diag.Whoami{}, false
	}
	w, err := c.Whoami(ctx, tok.Value)
	return w, err == nil
}

// profileNames lists the profiles of the shared config and credentials
// files, sorted, at most maxProfiles.
func profileNames(src tokengen.Source) []string {
	seen := map[string]bool{}
	for _, f := range []struct {
		path   string
		prefix string
	}{{src.ConfigFile, "profile "}, {src.CredentialsFile, ""}} {
		for _, section := range iniSections(f.path) {
			name := section
			if f.prefix != "" && section != "default" {
				var ok bool
				if name, ok = strings.CutPrefix(section, f.prefix); !ok {
					continue // sso-session, services, ...
				}
			}
			seen[strings.TrimSpace(name)] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > maxProfiles {
		names = names[:maxProfiles]
	}
	return names
}

// iniSections returns the [section] names of an AWS shared file.
func iniSections(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			out = append(out, strings.TrimSpace(line[1:len(line)-1]))
		}
	}
	return out
}

// wrongIdentityFix is the fix for a caller the server does not map when
// other local profiles are accepted: change the client, not the cluster.
func (doc *doctor) wrongIdentityFix(you string, others []authenticatedProfile, src tokengen.Source) string {
	var b strings.Builder
	o := others[0]
	fmt.Fprintf(&b, "if you meant to be %s (profile %s, accepted as %q), point the kubeconfig at that profile:", o.w.ARN, o.profile, o.w.Username)
	for _, f := range doc.profileFix(o.profile, src) {
		b.WriteString("\n  " + f)
	}
	for _, other := range others[1:] {
		fmt.Fprintf(&b, "\nprofile %s is accepted too, as %s (%q)", other.profile, other.w.ARN, other.w.Username)
	}
	fmt.Fprintf(&b, "\nif you are meant to be %s, a cluster manager sees why it is refused and what maps it: kubeiam explain --arn %s", you, you)
	return b.String()
}

// loadFix is the fix for credentials that cannot even be loaded: a
// profile that does not exist is created, or the plugin is pointed at one
// that does.
func (doc *doctor) loadFix(err error, src credSource) string {
	if !errors.Is(err, tokengen.ErrProfile) {
		return src.refusedFix()
	}
	p := shellWord(src.src.Profile)
	return fmt.Sprintf("create profile %s: aws configure --profile %s (access keys), or aws configure sso --profile %s (IAM Identity Center); "+
		"or use a profile that exists (aws configure list-profiles): %s", p, p, p, doc.profileFix("PROFILE", src.src)[0])
}

// runsAProgram reports whether the profile's credentials come from a
// credential_process: doctor does not run other people's programs
// unasked.
func runsAProgram(ctx context.Context, src tokengen.Source, profile string) bool {
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(lo *config.LoadSharedConfigOptions) {
		lo.ConfigFiles, lo.CredentialsFiles = []string{src.ConfigFile}, []string{src.CredentialsFile}
	})
	return err == nil && sc.CredentialProcess != ""
}
