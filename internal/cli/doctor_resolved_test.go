package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// doctor names the source the AWS SDK actually resolved the credentials
// from, with the type "aws configure list" shows (botocore's provider
// methods: env, shared-credentials-file, config-file, assume-role,
// custom-process, sso, container-role, iam-role), for every source this
// machine can produce with the local STS and loopback endpoints.
func TestDoctorNamesTheResolvedCredentialSource(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, e *diagEnv, creator aws.Credentials)
		want  string
	}{
		{"environment keys", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			e.env["AWS_ACCESS_KEY_ID"], e.env["AWS_SECRET_ACCESS_KEY"] = c.AccessKeyID, c.SecretAccessKey
		}, "from env (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, key ****************KEY4): you are " + authntest.CreatorARN},
		{"shared credentials file", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			e.env["AWS_PROFILE"] = "creator"
		}, `from shared-credentials-file (profile "creator" (AWS_PROFILE) in DIR/credentials, key ****************KEY4): you are ` + authntest.CreatorARN},
		{"keys in the config file", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			appendDiagFile(t, filepath.Join(e.dir, "config"), fmt.Sprintf("[profile cfgkeys]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.AccessKeyID, c.SecretAccessKey))
			e.env["AWS_PROFILE"] = "cfgkeys"
		}, `from config-file (profile "cfgkeys" (AWS_PROFILE) in DIR/config, key ****************KEY4): you are ` + authntest.CreatorARN},
		{"role_arn with source_profile", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			appendDiagFile(t, filepath.Join(e.dir, "config"), "[profile admin]\nrole_arn = "+authntest.AdminRoleARN+"\nsource_profile = creator\n")
			e.env["AWS_PROFILE"] = "admin"
			t.Setenv(stsEndpointEnv, e.sts.URL) // the SDK's own AssumeRole client reads it
		}, `from assume-role (profile "admin" (AWS_PROFILE): role_arn ` + authntest.AdminRoleARN + `, source_profile creator): you are arn:aws:sts::` + authntest.Account + `:assumed-role/admin/`},
		{"credential_process", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			script := filepath.Join(e.dir, "creds.sh")
			writeDiagFile(t, script, fmt.Sprintf("#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"}'\n", c.AccessKeyID, c.SecretAccessKey))
			appendDiagFile(t, filepath.Join(e.dir, "config"), "[profile proc]\ncredential_process = /bin/sh "+script+"\n")
			e.env["AWS_PROFILE"] = "proc"
		}, `from custom-process (profile "proc" (AWS_PROFILE): credential_process /bin/sh DIR/creds.sh): you are ` + authntest.CreatorARN},
		{"container credentials endpoint", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_ = json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey,
					"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
			}))
			t.Cleanup(srv.Close)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
		}, "from container-role (the container credentials endpoint of AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI): you are " + authntest.CreatorARN},
		{"EC2 instance metadata", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			srv := httptest.NewServer(fakeIMDS(c))
			t.Cleanup(srv.Close)
			delete(e.env, "AWS_EC2_METADATA_DISABLED")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "")
			t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
		}, "from iam-role (the EC2 instance metadata service (IMDS)): you are " + authntest.CreatorARN},
		{"web identity", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			sts := webIdentitySTS(t, e.sts.URL, c)
			token := filepath.Join(e.dir, "token")
			writeDiagFile(t, token, "oidc-token")
			for k, v := range map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": authntest.AdminRoleARN, stsEndpointEnv: sts} {
				e.env[k] = v
				t.Setenv(k, v) // the SDK reads them itself
			}
		}, "from assume-role-with-web-identity (AWS_WEB_IDENTITY_TOKEN_FILE DIR/token, AWS_ROLE_ARN " + authntest.AdminRoleARN + "): you are " + authntest.CreatorARN},
		{"IAM Identity Center", func(t *testing.T, e *diagEnv, c aws.Credentials) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/federation/credentials" || r.Header.Get("x-amz-sso_bearer_token") != "sso-access-token" {
					http.Error(w, "unexpected "+r.URL.String(), http.StatusBadRequest)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"roleCredentials": map[string]any{"accessKeyId": c.AccessKeyID,
					"secretAccessKey": c.SecretAccessKey, "expiration": time.Now().Add(time.Hour).UnixMilli()}})
			}))
			t.Cleanup(srv.Close)
			t.Setenv("HOME", e.dir) // the SDK finds ~/.aws/sso/cache through the process's home
			t.Setenv("AWS_ENDPOINT_URL_SSO", srv.URL)
			appendDiagFile(t, filepath.Join(e.dir, "config"), "[profile corp]\nsso_session = corp\nsso_account_id = "+authntest.Account+
				"\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
			file, err := ssocreds.StandardCachedTokenFilepath("corp")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
				t.Fatal(err)
			}
			writeDiagFile(t, file, `{"accessToken":"sso-access-token","expiresAt":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}`)
			e.env["AWS_PROFILE"] = "corp"
		}, `from sso (profile "corp" (AWS_PROFILE): sso_session corp, account ` + authntest.Account + `, role Admin): you are ` + authntest.CreatorARN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// No variable of the test process's own environment may pick
			// the source instead (the SDK reads some itself).
			for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
				"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL"} {
				t.Setenv(v, "")
			}
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			e := newDiagEnv(t, "CONFIG_MAP", nil)
			e.env[stsEndpointEnv], e.env["KUBEIAM_WEBHOOK"], e.env["KUBEIAM_CLUSTER"] = e.sts.URL, e.server, authntest.ClusterID
			e.env["AWS_REGION"] = "us-east-1"
			creator := e.sts.UserCredentials(t, localsts.DevCreatorUser)
			tt.setup(t, e, creator)
			d := doctorDeps{diagDeps: e.deps(time.Now), lookPath: diagLookPath}
			_, errOut, _ := runDiagCmd(t, newDoctorCommandWithDeps(d))
			want := strings.NewReplacer("KEY4", creator.AccessKeyID[len(creator.AccessKeyID)-4:], "DIR", e.dir).Replace(tt.want)
			if line := outputLine(e.out.String(), "credentials"); !strings.HasPrefix(line, "PASS  credentials  "+want) {
				t.Errorf("credentials line:\n%s\nwant it to start with\nPASS  credentials  %s\n(output:\n%s%s)", line, want, e.out, errOut)
			}
		})
	}
}

// fakeIMDS answers the EC2 instance metadata calls of the SDK's instance
// role provider (IMDSv2 token, role name, role credentials).
func fakeIMDS(c aws.Credentials) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		fmt.Fprint(w, "imds-token")
	})
	mux.HandleFunc("GET /latest/meta-data/iam/security-credentials/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "node-role")
	})
	mux.HandleFunc("GET /latest/meta-data/iam/security-credentials/node-role", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": c.AccessKeyID,
			"SecretAccessKey": c.SecretAccessKey, "Token": "", "Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"LastUpdated": time.Now().UTC().Format(time.RFC3339)})
	})
	return mux
}

// webIdentitySTS is an STS endpoint that answers AssumeRoleWithWebIdentity
// (which the local STS does not implement) with c, and passes every other
// request to the local STS, Host header kept so that signatures hold.
func webIdentitySTS(t *testing.T, local string, c aws.Credentials) string {
	target, err := url.Parse(local)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "AssumeRoleWithWebIdentity" {
			fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`+
				`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken></SessionToken><Expiration>%s</Expiration></Credentials>`+
				`</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, c.AccessKeyID, c.SecretAccessKey, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func appendDiagFile(t *testing.T, path, content string) {
	t.Helper()
	writeDiagFile(t, path, readFile(t, path)+content)
}

// outputLine returns doctor's line for a link.
func outputLine(out, link string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == link {
			return l
		}
	}
	return ""
}

// The exec plugin's own --role-arn wraps whatever the chain found: doctor
// names the role and the source credentials it was assumed with.
func TestDoctorNamesThePluginsRoleAndItsSource(t *testing.T) {
	s := credSource{src: tokengen.Source{Kind: tokengen.SourceProfile, Profile: "creator"}, roleARN: authntest.AdminRoleARN,
		base: `profile "creator" (AWS_PROFILE, static keys)`, name: `profile "creator" (AWS_PROFILE, static keys), assuming role ` + authntest.AdminRoleARN}
	got := s.used(aws.Credentials{Source: "AssumeRoleProvider", AccessKeyID: "ASIAEXAMPLE"})
	want := `assume-role (role ` + authntest.AdminRoleARN + `, --role-arn, with the credentials of profile "creator" (AWS_PROFILE, static keys))`
	if got != want {
		t.Errorf("used = %q\nwant %q", got, want)
	}
	if got := maskKey("AKIAIOSFODNN7EXAMPLE"); got != "****************MPLE" {
		t.Errorf("maskKey = %q, want the last four characters as aws configure list shows them", got)
	}
}
