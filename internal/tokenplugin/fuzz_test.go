package tokenplugin

import (
	"errors"
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
