package cli

import "testing"

// FuzzExecAPIVersion: whatever kubectl (or anyone) puts in
// KUBERNETES_EXEC_INFO, the answer is a supported version or an error.
func FuzzExecAPIVersion(f *testing.F) {
	f.Add("")
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`)
	f.Add(`{"apiVersion":1}`)
	f.Fuzz(func(t *testing.T, info string) {
		v, err := execAPIVersion(info)
		if err != nil {
			return
		}
		if v != "client.authentication.k8s.io/v1" && v != "client.authentication.k8s.io/v1beta1" {
			t.Errorf("execAPIVersion(%q) = %q", info, v)
		}
	})
}
