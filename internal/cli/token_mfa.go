package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubeiam/kubeiam/internal/tokencache"
	"github.com/kubeiam/kubeiam/internal/tokengen"
	"github.com/kubeiam/kubeiam/internal/tokenplugin"
)

// sessionsDir is where MFA sessions are cached, inside the token cache
// directory: the same privacy rules, another file.
const sessionsDir = "sessions"

// openTTY opens the controlling terminal: kubectl hands the plugin its own
// stdin only in interactive mode, and stdout carries the ExecCredential,
// so the prompt and the code go through /dev/tty.
func openTTY() (io.ReadWriteCloser, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// mfaPrompter returns the MFA code source of "kubeiam token": the
// terminal, when kubectl lets the plugin use it (KUBERNETES_EXEC_INFO's
// spec.interactive) or when a person runs the command; otherwise none, and
// the profile fails with ErrMFARequired.
func mfaPrompter(info tokenplugin.ExecInfo, tty func() (io.ReadWriteCloser, error)) func(profile, serial string) (string, error) {
	if info.FromKubectl && !info.Interactive {
		return nil
	}
	return func(profile, serial string) (string, error) {
		t, err := tty()
		if err != nil {
			return "", fmt.Errorf("profile %s needs the code of MFA device %s and there is no terminal to ask on: %w", profile, serial, err)
		}
		defer t.Close()
		fmt.Fprintf(t, "Enter MFA code for %s (profile %s): ", serial, profile)
		line, err := bufio.NewReader(t).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("reading the MFA code: %w", err)
		}
		code := strings.TrimSpace(line)
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			return "", fmt.Errorf("%q is not a six-digit MFA code", code)
		}
		return code, nil
	}
}

// openSessionCache returns the MFA session cache under the token cache
// directory, or nil (with a warning) when it is unusable.
func openSessionCache(d tokenDeps, f tokenplugin.Flags) tokengen.SessionCache {
	if f.NoCache {
		return nil
	}
	dir := f.CacheDir
	if dir == "" {
		var err error
		if dir, err = d.cacheDir(); err != nil {
			return nil
		}
	}
	warn := func(err error) { fmt.Fprintf(d.io.Err, "warning: MFA session cache ignored: %v\n", err) }
	c, err := tokencache.Open(filepath.Join(dir, sessionsDir), d.io.Now, tokencache.WithWarnings(warn))
	if err != nil {
		warn(err)
		return nil
	}
	return c
}

// explainSessionError explains the MFA and SSO failures; ok is false for
// any other error.
func explainSessionError(err error, src tokengen.Source, f tokenplugin.Flags) (error, bool) {
	switch {
	case errors.Is(err, tokengen.ErrMFARequired):
		return fmt.Errorf(`%w, and kubectl does not let the plugin prompt for it: set "interactiveMode: IfAvailable" in the kubeconfig's exec section, or run "kubeiam token --cluster-name %s --profile %s" once in a terminal (the session is then cached for kubectl)`,
			err, f.ClusterName, src.Profile), true
	case errors.Is(err, tokengen.ErrSSOSession):
		return fmt.Errorf(`the SSO session of profile %q has expired (or was never started): run "aws sso login --profile %s"`, src.Profile, src.Profile), true
	}
	return nil, false
}
