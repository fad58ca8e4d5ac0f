package localsts

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kubeiam/kubeiam/internal/arn"
)

func iamClient(f *fixture, c aws.Credentials) *iam.Client {
	return iam.NewFromConfig(sdkConfig(c), func(o *iam.Options) { o.BaseEndpoint = aws.String(f.http.URL) })
}

var uniqueIDPattern = regexp.MustCompile(`^(AROA|AIDA)[A-Z0-9]{17}$`)

// The IAM calls kubeiam makes, through the AWS SDK's IAM client (Query
// protocol, signed for "iam"), answered for the local STS's identities.
func TestIAMGetRoleAndGetUser(t *testing.T) {
	ctx := context.Background()
	f := start(t, nil)
	creator := creds(f.key(DevCreatorUser))
	c := iamClient(f, creator)

	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(DevAdminRole)})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	if aws.ToString(role.Role.Arn) != devRoleARN || !uniqueIDPattern.MatchString(aws.ToString(role.Role.RoleId)) ||
		aws.ToString(role.Role.RoleId)[:4] != "AROA" || aws.ToString(role.Role.Path) != "/" {
		t.Errorf("GetRole = %s %s %s", aws.ToString(role.Role.Arn), aws.ToString(role.Role.RoleId), aws.ToString(role.Role.Path))
	}
	if role.Role.CreateDate == nil || aws.ToString(role.Role.AssumeRolePolicyDocument) == "" {
		t.Errorf("GetRole: no CreateDate or trust policy")
	}
	sso, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(DevSSORole)})
	if err != nil || aws.ToString(sso.Role.Path) != DevSSORolePath {
		t.Fatalf("GetRole of the SSO role: %v (path %q)", err, aws.ToString(sso.Role.Path))
	}

	user, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(DevDeveloperUser)})
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if aws.ToString(user.User.Arn) != "arn:aws:iam::111122223333:user/developer" || aws.ToString(user.User.UserId)[:4] != "AIDA" {
		t.Errorf("GetUser = %s %s", aws.ToString(user.User.Arn), aws.ToString(user.User.UserId))
	}
	// The user's unique ID is what GetCallerIdentity says for it.
	who, err := localClient(f, creds(f.key(DevDeveloperUser))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.UserId) != aws.ToString(user.User.UserId) {
		t.Errorf("GetCallerIdentity UserId = %s (%v), GetUser UserId = %s", aws.ToString(who.UserId), err, aws.ToString(user.User.UserId))
	}
	self, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(self.User.UserName) != DevCreatorUser {
		t.Errorf("GetUser without UserName = %v, %v; want the caller", self, err)
	}

	for name, call := range map[string]func() error{
		"GetRole of a missing role": func() error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
			return err
		},
		"GetUser of a missing user": func() error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("missing")})
			return err
		},
	} {
		if err := call(); apiCode(err) != CodeNoSuchEntity {
			t.Errorf("%s: err = %v, want %s", name, err, CodeNoSuchEntity)
		}
	}
}

// An IAM call must be signed for "iam", an STS call for "sts".
func TestIAMCallsNeedTheIAMScope(t *testing.T) {
	f := start(t, nil)
	_, body := f.call(t, creds(f.key(DevCreatorUser)), map[string][]string{
		"Action": {"GetRole"}, "Version": {iamAPIVersion}, "RoleName": {DevAdminRole}}, f.now())
	if errorCode(body) != CodeSignatureDoesNotMatch {
		t.Errorf("GetRole signed for sts: %v, want SignatureDoesNotMatch", body)
	}
}

// Recreating a role gives it a new unique ID, deterministic per
// generation; the old role's sessions end, and new sessions carry the new
// ID in their UserId.
func TestRecreateRole(t *testing.T) {
	ctx := context.Background()
	f := start(t, nil)
	developer, creator := creds(f.key(DevDeveloperUser)), creds(f.key(DevCreatorUser))
	assume := func(t *testing.T) (aws.Credentials, string) {
		t.Helper()
		out, err := localClient(f, developer).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(devRoleARN), RoleSessionName: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
			SessionToken: *out.Credentials.SessionToken}, aws.ToString(out.AssumedRoleUser.AssumedRoleId)
	}
	getRoleID := func(t *testing.T) string {
		t.Helper()
		out, err := iamClient(f, creator).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(DevAdminRole)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Role.RoleId)
	}
	oldSession, oldUserID := assume(t)
	oldID := getRoleID(t)
	if oldUserID != oldID+":alice" {
		t.Fatalf("session UserId %s, want %s:alice", oldUserID, oldID)
	}

	newID, err := f.srv.RecreateRole(devRoleARN)
	if err != nil {
		t.Fatal(err)
	}
	if newID == oldID || !uniqueIDPattern.MatchString(newID) || getRoleID(t) != newID {
		t.Fatalf("after RecreateRole: ID %s (was %s), GetRole says %s", newID, oldID, getRoleID(t))
	}
	if _, err := localClient(f, oldSession).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != CodeInvalidClientTokenID {
		t.Errorf("the deleted role's session: err = %v, want %s", err, CodeInvalidClientTokenID)
	}
	_, newUserID := assume(t)
	if newUserID != newID+":alice" {
		t.Errorf("new session UserId %s, want %s:alice", newUserID, newID)
	}

	// The same generation in a config gives the same ID on another start.
	cfg := DevConfig(seeded(1))
	for i := range cfg.Accounts[0].Roles {
		if cfg.Accounts[0].Roles[i].Name == DevAdminRole {
			cfg.Accounts[0].Roles[i].Generation = 1
		}
	}
	again, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := again.dir.role(mustParse(t, devRoleARN)); r.roleID != newID {
		t.Errorf("generation 1 from the config: %s, want %s", r.roleID, newID)
	}

	for _, bad := range []string{"arn:aws:iam::111122223333:role/missing", "arn:aws:iam::111122223333:user/developer", "not an arn"} {
		if _, err := f.srv.RecreateRole(bad); err == nil {
			t.Errorf("RecreateRole(%q) = nil error", bad)
		}
	}
}

func mustParse(t *testing.T, s string) arn.Principal {
	t.Helper()
	p, err := arn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Config.RecreateRole gives the same new ID as Server.RecreateRole, and a
// server started from the changed config uses it.
func TestConfigRecreateRole(t *testing.T) {
	cfg := DevConfig(seeded(1))
	running, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := running.RecreateRole(devRoleARN)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.RecreateRole("arn:aws:iam::111122223333:role/ADMIN")
	if err != nil || got != want {
		t.Fatalf("Config.RecreateRole = %s, %v; want %s", got, err, want)
	}
	data, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := New(back, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := restarted.dir.role(mustParse(t, devRoleARN)); r.roleID != want {
		t.Errorf("restarted from the config: %s, want %s", r.roleID, want)
	}
	if _, err := cfg.RecreateRole("arn:aws:iam::111122223333:role/missing"); err == nil {
		t.Error("RecreateRole of a missing role: no error")
	}
}
