package tokenplugin

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
	clientauthv1beta1 "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"
)

// TestEncodeExecCredentialMatchesClientGo: the hand-declared ExecCredential
// marshals byte for byte as client-go's types do, for both versions.
func TestEncodeExecCredentialMatchesClientGo(t *testing.T) {
	exp := time.Date(2026, 3, 14, 15, 23, 26, 0, time.FixedZone("CET", 3600))
	ts := metav1.NewTime(exp.UTC())
	for _, tt := range []struct {
		version string
		want    any
	}{
		{APIVersionV1, &clientauthv1.ExecCredential{
			TypeMeta: metav1.TypeMeta{APIVersion: APIVersionV1, Kind: "ExecCredential"},
			Status:   &clientauthv1.ExecCredentialStatus{ExpirationTimestamp: &ts, Token: "k8s-aws-v1.abc"},
		}},
		{APIVersionV1beta1, &clientauthv1beta1.ExecCredential{
			TypeMeta: metav1.TypeMeta{APIVersion: APIVersionV1beta1, Kind: "ExecCredential"},
			Status:   &clientauthv1beta1.ExecCredentialStatus{ExpirationTimestamp: &ts, Token: "k8s-aws-v1.abc"},
		}},
	} {
		t.Run(tt.version, func(t *testing.T) {
			want, err := json.Marshal(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := EncodeExecCredential(tt.version, false, "k8s-aws-v1.abc", exp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want)+"\n" {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	if got, _ := EncodeExecCredential(APIVersionV1, true, "k8s-aws-v1.abc", exp); string(got) != "k8s-aws-v1.abc\n" {
		t.Errorf("token only = %q", got)
	}
}

func TestParseExecInfo(t *testing.T) {
	tests := []struct {
		name, in string
		want     ExecInfo
		wantErr  string
	}{
		{name: "unset: v1beta1, run by hand", want: ExecInfo{APIVersion: APIVersionV1beta1}},
		{name: "v1 interactive", in: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`,
			want: ExecInfo{APIVersion: APIVersionV1, Interactive: true, FromKubectl: true}},
		{name: "v1beta1 not interactive", in: `{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`,
			want: ExecInfo{APIVersion: APIVersionV1beta1, FromKubectl: true}},
		{name: "v1alpha1", in: `{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, wantErr: "v1alpha1"},
		{name: "not JSON", in: "{", wantErr: ExecInfoEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExecInfo(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want a usage error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseExecInfo = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
