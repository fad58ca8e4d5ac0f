package localsts

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestAssumeRoleWithMFA: a role with mfaCode is assumed only with a
// SerialNumber and that TokenCode; without them it is the AccessDenied of
// a failed aws:MultiFactorAuthPresent condition, with a wrong code STS's
// "invalid MFA one time pass code".
func TestAssumeRoleWithMFA(t *testing.T) {
	f := start(t, nil)
	f.cfg.Accounts[0].Roles[0].MFACode = "123456"
	srv, err := New(f.cfg, Options{Rand: seeded(3)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	f.http = hs
	role := "arn:aws:iam::" + DevAccount + ":role/" + DevAdminRole
	assume := func(kv ...string) url.Values {
		v := url.Values{"Action": {"AssumeRole"}, "Version": {APIVersion}, "RoleArn": {role}, "RoleSessionName": {"alice"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	c := creds(f.key(DevDeveloperUser))
	serial := "arn:aws:iam::" + DevAccount + ":mfa/" + DevDeveloperUser
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{name: "no MFA", form: assume(), wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantMsg: "is not authorized to perform: sts:AssumeRole"},
		{name: "serial without code", form: assume("SerialNumber", serial), wantStatus: http.StatusForbidden, wantCode: "AccessDenied"},
		{name: "wrong code", form: assume("SerialNumber", serial, "TokenCode", "654321"), wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantMsg: "invalid MFA one time pass code"},
		{name: "malformed code", form: assume("SerialNumber", serial, "TokenCode", "12345x"), wantStatus: http.StatusBadRequest, wantCode: "ValidationError"},
		{name: "right code", form: assume("SerialNumber", serial, "TokenCode", "123456"), wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.call(t, c, tt.form, f.now())
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %v", status, errorCode(body), tt.wantStatus, tt.wantCode, body)
			}
			if msg := lookup(body, "Error", "Message"); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want %q", msg, tt.wantMsg)
			}
		})
	}
	// Other roles need no MFA.
	other := assume()
	other.Set("RoleArn", "arn:aws:iam::"+DevAccount+":role"+DevSSORolePath+DevSSORole)
	if status, body := f.call(t, c, other, f.now()); status != http.StatusOK {
		t.Errorf("role without mfaCode: %d %v", status, body)
	}
}

func TestConfigRefusesAMalformedMFACode(t *testing.T) {
	cfg := DevConfig(seeded(1))
	cfg.Accounts[0].Roles[0].MFACode = "12345"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "roles[0].mfaCode") {
		t.Errorf("Validate = %v, want the mfaCode field named", err)
	}
}
