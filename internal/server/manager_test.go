package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/token"
)

func managerID(t *testing.T, callerARN string) identity.Identity {
	t.Helper()
	p, err := arn.Parse(callerARN)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromARN(callerARN, p.Account, "AROAEXAMPLE", "ASIAEXAMPLE")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// isManager decides who reads decisions and explains others' access; the
// diag and cli tests replace it, so it is tested here, for real (issue 10,
// "tests that guard the guards").
func TestIsManager(t *testing.T) {
	s := &Server{
		cluster: access.ClusterConfig{CreatorARN: "arn:aws:iam::111122223333:user/creator"},
		cfg:     config.Server{Managers: []string{"arn:aws:iam::111122223333:role/ops", "not an arn"}},
	}
	tests := []struct {
		arn  string
		want bool
	}{
		{"arn:aws:iam::111122223333:user/creator", true},
		{"arn:aws:iam::111122223333:role/ops", true},
		{"arn:aws:sts::111122223333:assumed-role/ops/alice", true}, // a session of a manager role
		{"arn:aws:iam::111122223333:role/OPS", true},               // IAM names are case-insensitive
		{"arn:aws:iam::111122223333:user/developer", false},
		{"arn:aws:sts::111122223333:assumed-role/creator/s", false}, // a role named like the creator user
		{"arn:aws:iam::444455556666:role/ops", false},               // same name, other account
		{"arn:aws:sts::111122223333:assumed-role/dev/ops", false},   // session named like the manager
	}
	for _, tt := range tests {
		if got := s.isManager(managerID(t, tt.arn)); got != tt.want {
			t.Errorf("isManager(%s) = %v, want %v", tt.arn, got, tt.want)
		}
	}
}

// Through the server: a non-manager's token gets 403 on the decisions and on
// explaining others; the creator and the --manager role's sessions get 200.
func TestDiagnosisEndpointsNeedAManager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	adminRole := devARN("role/" + localsts.DevAdminRole)
	d := startDev(t, func(o *DevOptions) { o.Managers = []string{adminRole} })
	session := d.assumeRole(t, localsts.DevDeveloperUser, adminRole, "alice")
	tests := []struct {
		who   string
		token string
		want  int
	}{
		{"developer", d.tokenFor(t, localsts.DevDeveloperUser, token.AudienceAPI), http.StatusForbidden},
		{"creator", d.tokenFor(t, localsts.DevCreatorUser, token.AudienceAPI), http.StatusOK},
		{"manager role session", d.apiTokenFor(t, session), http.StatusOK},
	}
	for _, tt := range tests {
		if got := d.diag(t, http.MethodGet, diag.PathDecisions, tt.token, ""); got != tt.want {
			t.Errorf("%s: GET %s: HTTP %d, want %d", tt.who, diag.PathDecisions, got, tt.want)
		}
		explain := `{"arn":"arn:aws:iam::111122223333:user/creator","verb":"get","resource":"pods","namespace":"default"}`
		if got := d.diag(t, http.MethodPost, diag.PathExplain, tt.token, explain); got != tt.want {
			t.Errorf("%s: POST %s: HTTP %d, want %d", tt.who, diag.PathExplain, got, tt.want)
		}
	}
}

// assumeRole assumes roleARN as a dev user through the dev server's local STS.
func (d *devServer) assumeRole(t *testing.T, user, roleARN, session string) aws.Credentials {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(d.dir, "sts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := localsts.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	var key localsts.AccessKey
	for _, u := range cfg.Accounts[0].Users {
		if u.Name == user {
			key = u.AccessKeys[0]
		}
	}
	client := sts.New(sts.Options{Region: DevRegion, BaseEndpoint: aws.String(d.env["KUBEIAM_AWS_ENDPOINT"]),
		Credentials: credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, "")})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}
