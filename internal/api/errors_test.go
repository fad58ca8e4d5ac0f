package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/sts"
)

func TestErrors(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	creator := f.creds("creator")
	if r := f.do(t, &creator, http.MethodPost, "/clusters/"+testCluster+"/access-entries", `{"principalArn":"`+developerARN+`"}`); r.status != 200 {
		t.Fatalf("create: %+v", r)
	}
	cm := newFixture(t, fixtureOptions{})
	cmCreator := cm.creds("creator")
	tests := []struct {
		name, method, path, body string
		f                        *fixture
		status                   int
		errType, msg             string
	}{
		{"entry operation in CONFIG_MAP", "GET", "/clusters/" + testCluster + "/access-entries", "", cm, 400, "InvalidRequestException",
			"The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP]"},
		{"unknown cluster", "GET", "/clusters/prod", "", f, 404, "ResourceNotFoundException", "No cluster found for name: prod."},
		{"unknown cluster for entries", "GET", "/clusters/prod/access-entries", "", f, 404, "ResourceNotFoundException", "No cluster found for name: prod."},
		{"missing entry", "GET", entryPath("arn:aws:iam::111122223333:user/nobody"), "", f, 404, "ResourceNotFoundException", "The specified principalArn could not be found"},
		{"duplicate entry, other case and path", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"arn:aws:iam::111122223333:user/x/DEVELOPER"}`, f, 409, "ResourceInUseException", "already in use"},
		{"malformed JSON", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":`, f, 400, "InvalidParameterException", "not valid JSON"},
		{"JSON array", "POST", "/clusters/" + testCluster + "/access-entries", `[]`, f, 400, "InvalidParameterException", "The request body is invalid: it must be a JSON object, not a JSON array."},
		{"trailing data", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"` + adminRoleARN + `"} {}`, f, 400, "InvalidParameterException", "data after the object"},
		{"wrong member type", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"x","kubernetesGroups":"a"}`, f, 400, "InvalidParameterException", "kubernetesGroups must be a JSON array of strings, not a JSON string."},
		{"wrong member type in an object", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"x","tags":[1]}`, f, 400, "InvalidParameterException", "tags must be a JSON object, not a JSON array."},
		{"unknown member", "POST", "/clusters/" + testCluster + "/update-config", `{"logging":{}}`, f, 400, "InvalidParameterException", `unknown field "logging"`},
		{"no principal", "POST", "/clusters/" + testCluster + "/access-entries", `{}`, f, 400, "InvalidParameterException", "principalArn is required."},
		{"group principal", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"arn:aws:iam::111122223333:group/devs"}`, f, 400, "InvalidParameterException", ""},
		{"system group", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"` + adminRoleARN + `","kubernetesGroups":["system:masters"]}`, f, 400, "InvalidParameterException", "cannot start with system:"},
		{"bad principal in path", "GET", "/clusters/" + testCluster + "/access-entries/not-an-arn", "", f, 400, "InvalidParameterException", ""},
		{"unknown policy", "POST", entryPath(developerARN, "access-policies"), `{"policyArn":"arn:aws:eks::aws:cluster-access-policy/Root","accessScope":{"type":"cluster"}}`, f, 404, "ResourceNotFoundException", "could not be found"},
		{"no scope", "POST", entryPath(developerARN, "access-policies"), `{"policyArn":"` + viewPolicyARN + `"}`, f, 400, "InvalidParameterException", "accessScope.type is required"},
		{"bad scope", "POST", entryPath(developerARN, "access-policies"), `{"policyArn":"` + viewPolicyARN + `","accessScope":{"type":"namespace"}}`, f, 400, "InvalidParameterException", "The specified accessScope is invalid"},
		{"disassociate unassociated", "DELETE", entryPath(developerARN, "access-policies", viewPolicyARN), "", f, 404, "ResourceNotFoundException", "is not associated"},
		{"bad path", "GET", "/clusters/" + testCluster + "/nodegroups", "", f, 404, "ResourceNotFoundException", "No operation"},
		{"too deep a path", "GET", entryPath(developerARN, "access-policies", viewPolicyARN, "x"), "", f, 404, "ResourceNotFoundException", "No operation"},
		{"wrong method", "PUT", "/clusters/" + testCluster, "", f, 405, "MethodNotAllowedException", "allowed: GET"},
		{"body too large", "POST", "/clusters/" + testCluster + "/access-entries", `{"principalArn":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, f, 413, "RequestEntityTooLargeException", ""},
		{"maxResults not a number", "GET", "/clusters/" + testCluster + "/access-entries?maxResults=ten", "", f, 400, "InvalidParameterException", "must be an integer"},
		{"maxResults too large", "GET", "/clusters/" + testCluster + "/access-entries?maxResults=101", "", f, 400, "InvalidParameterException", "The maxResults 101 is invalid"},
		{"bad nextToken", "GET", "/clusters/" + testCluster + "/access-entries?nextToken=%21%21", "", f, 400, "InvalidParameterException", "The nextToken is invalid."},
		{"bad nextToken for policies", "GET", "/access-policies?nextToken=Zm9v", "", f, 400, "InvalidParameterException", "The nextToken is invalid."},
		{"backwards mode", "POST", "/clusters/" + testCluster + "/update-config", `{"accessConfig":{"authenticationMode":"CONFIG_MAP"}}`, f, 400, "InvalidParameterException", "Unsupported authentication mode update from API to CONFIG_MAP"},
		{"unknown mode", "POST", "/clusters/" + testCluster + "/update-config", `{"accessConfig":{"authenticationMode":"OPEN"}}`, f, 400, "InvalidParameterException", `The authentication mode "OPEN" is invalid`},
		{"no access config", "POST", "/clusters/" + testCluster + "/update-config", `{"clientRequestToken":"x"}`, f, 400, "InvalidParameterException", "only update accessConfig.authenticationMode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := creator
			if tt.f == cm {
				c = cmCreator
			}
			r := tt.f.do(t, &c, tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errType != tt.errType || !strings.Contains(r.message(), tt.msg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", r.status, r.errType, r.message(), tt.status, tt.errType, tt.msg)
			}
		})
	}
	if r := f.do(t, &creator, "PUT", "/clusters/"+testCluster+"/access-entries", ""); r.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
}

func TestAuthorization(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API", managers: []string{adminRoleARN}})
	developer, creator := f.creds("developer"), f.creds("creator")
	wrongSecret := developer
	wrongSecret.SecretAccessKey = creator.SecretAccessKey
	unknown := developer
	unknown.AccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	tests := []struct {
		name    string
		creds   *aws.Credentials
		method  string
		path    string
		status  int
		errType string
		msg     string
	}{
		{"non-manager", &developer, "GET", "/clusters/" + testCluster + "/access-entries", 403, "AccessDeniedException",
			"User: " + developerARN + " is not authorized to perform: eks:ListAccessEntries on resource: arn:aws:eks:us-east-1:111122223333:cluster/kubeiam-dev"},
		{"non-manager describe cluster", &developer, "GET", "/clusters/" + testCluster, 403, "AccessDeniedException", "eks:DescribeCluster"},
		{"non-manager lists access policies", &developer, "GET", "/access-policies", 200, "", ""},
		{"unauthenticated", nil, "GET", "/clusters/" + testCluster, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unauthenticated access policies", nil, "GET", "/access-policies", 403, "MissingAuthenticationTokenException", ""},
		{"bad signature", &wrongSecret, "GET", "/clusters/" + testCluster, 403, "InvalidSignatureException", "signature we calculated does not match"},
		{"unknown access key", &unknown, "GET", "/clusters/" + testCluster, 403, "UnrecognizedClientException", "security token included in the request is invalid"},
		{"creator", &creator, "GET", "/clusters/" + testCluster, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.creds, tt.method, tt.path, "")
			if r.status != tt.status || r.errType != tt.errType || !strings.Contains(r.message(), tt.msg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", r.status, r.errType, r.message(), tt.status, tt.errType, tt.msg)
			}
		})
	}
	t.Run("session of a manager role", func(t *testing.T) {
		session := assumeRole(t, f, "developer", adminRoleARN, "alice")
		if r := f.do(t, &session, "GET", "/clusters/"+testCluster+"/access-entries", ""); r.status != 200 {
			t.Errorf("a session of the manager role admin: %d %s %s", r.status, r.errType, r.message())
		}
	})
	t.Run("audit names the refused caller", func(t *testing.T) {
		var found bool
		for _, rec := range f.auditLines(t) {
			if rec.CallerARN == developerARN && rec.Operation == OpListAccessEntries && rec.Status == 403 && rec.ErrorType == "AccessDeniedException" && rec.Cluster == testCluster {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit record of the developer's refused ListAccessEntries:\n%s", f.audit)
		}
	})
}

// fakeVerifier accepts the token "k8s-aws-v1.good" and refuses the rest
// with the error it is given.
type fakeVerifier struct{ err error }

func (v fakeVerifier) Verify(_ context.Context, tok string) (identity.Identity, error) {
	if tok == "k8s-aws-v1.good" {
		return identity.FromARN(creatorARN, "111122223333", "AIDA", "AKIA")
	}
	return identity.Identity{}, v.err
}

func TestBearerAuthenticator(t *testing.T) {
	tests := []struct {
		name, header string
		err          error
		arn, errType string
		status       int
	}{
		{"good token", "Bearer k8s-aws-v1.good", nil, creatorARN, "", 0},
		{"rejected by STS", "Bearer k8s-aws-v1.bad", fmt.Errorf("x: %w", sts.ErrRejected), "", "UnrecognizedClientException", 403},
		{"invalid locally", "Bearer k8s-aws-v1.bad", fmt.Errorf("x: %w", sts.ErrInvalidToken), "", "UnrecognizedClientException", 403},
		{"expired", "Bearer k8s-aws-v1.bad", fmt.Errorf("x: %w", sts.ErrExpired), "", "ExpiredTokenException", 403},
		{"throttled", "Bearer k8s-aws-v1.bad", fmt.Errorf("x: %w", sts.ErrThrottled), "", "ThrottlingException", 429},
		{"STS down", "Bearer k8s-aws-v1.bad", fmt.Errorf("x: %w", sts.ErrUnavailable), "", "ServiceUnavailableException", 503},
		{"no credentials", "", nil, "", "MissingAuthenticationTokenException", 403},
		{"SigV4 with no SigV4 authenticator", "AWS4-HMAC-SHA256 Credential=x", nil, "", "UnrecognizedClientException", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := Chain{Bearer: BearerAuthenticator{Verifier: fakeVerifier{err: tt.err}}}
			r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/clusters/x", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			id, err := chain.Authenticate(r)
			var e *Error
			switch {
			case tt.errType == "" && (err != nil || id.ARN != tt.arn):
				t.Errorf("Authenticate = %v, %v", id.ARN, err)
			case tt.errType != "" && (!errors.As(err, &e) || e.Type != tt.errType || e.Status != tt.status):
				t.Errorf("Authenticate error = %v, want %s %d", err, tt.errType, tt.status)
			}
		})
	}
}
