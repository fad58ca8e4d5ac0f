package tokenplugin

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseExecInfo: whatever kubectl (or anyone) puts in
// KUBERNETES_EXEC_INFO, the answer is a supported version or a usage error.
func FuzzParseExecInfo(f *testing.F) {
	f.Add("")
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`)
	f.Add(`{"apiVersion":1}`)
	f.Fuzz(func(t *testing.T, info string) {
		in, err := ParseExecInfo(info)
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("ParseExecInfo(%q) error %v is not a usage error", info, err)
			}
			return
		}
		if in.APIVersion != APIVersionV1 && in.APIVersion != APIVersionV1beta1 {
			t.Errorf("ParseExecInfo(%q) = %q", info, in.APIVersion)
		}
	})
}

// FuzzParse: any command line parses or is a usage error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add("--cluster-name\x00prod\x00-iprod\x00--no-cache=false")
	f.Add("-i=\x00--\x00-x")
	f.Add("-\x00--audience")
	f.Fuzz(func(t *testing.T, line string) {
		var fl Flags
		args := strings.Split(line, "\x00")
		if _, err := Parse(fl.Specs(), args); err != nil && !errors.Is(err, ErrUsage) {
			t.Errorf("Parse(%q) error %v is not a usage error", args, err)
		}
	})
}
