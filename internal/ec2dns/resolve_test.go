package ec2dns_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/ec2dns"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

const nodeRoleMapping = `
- rolearn: arn:aws:iam::111122223333:role/node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
`

// nodeSnapshot is a CONFIG_MAP snapshot whose aws-auth maps the node role
// as EKS does.
func nodeSnapshot(t *testing.T) *resolve.Snapshot {
	t.Helper()
	doc, problems, err := awsauth.Parse(map[string]string{awsauth.KeyMapRoles: nodeRoleMapping})
	if err != nil || problems.HasErrors() {
		t.Fatalf("awsauth.Parse: %v %v", err, problems.Errors())
	}
	return &resolve.Snapshot{Mode: "CONFIG_MAP", UseAWSAuth: true, AWSAuth: awsauth.NewIndex(doc)}
}

func nodeIdentity(t *testing.T, session string) identity.Identity {
	t.Helper()
	callerARN := "arn:aws:sts::111122223333:assumed-role/node/" + session
	if _, err := arn.Parse(callerARN); err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromARN(callerARN, "111122223333", "AROAEXAMPLEID:"+session, "ASIAEXAMPLEKEY")
	if err != nil {
		t.Fatalf("identity.FromARN: %v", err)
	}
	return id
}

func TestResolveNamesTheNodeThroughEC2(t *testing.T) {
	const instance = "i-0abc0123456789def"
	f := newFakeEC2(t, map[string]string{instance: "ip-10-0-0-1.ec2.internal"})
	r, _, _ := newResolver(t, f, nil)

	res := resolve.Resolve(nodeIdentity(t, instance), nodeSnapshot(t), resolve.Options{EC2PrivateDNSName: r.Resolver})
	if !res.Mapped || res.Username != "system:node:ip-10-0-0-1.ec2.internal" ||
		!slices.Equal(res.Groups, []string{"system:bootstrappers", "system:nodes"}) || res.Code != resolve.CodeMapped {
		t.Fatalf("Resolve = %+v; want system:node:ip-10-0-0-1.ec2.internal in system:nodes", res)
	}
	if calls := f.Calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{instance}) {
		t.Errorf("calls = %v; want one naming %s", calls, instance)
	}
}

func TestResolveDenialSaysWhatEC2Did(t *testing.T) {
	tests := []struct {
		name      string
		session   string
		throttle  bool
		code      resolve.Code
		reasonHas string
	}{
		{"EC2 throttling", "i-0abc0123456789def", true, resolve.CodeEC2DNSUnavailable, "throttled (RequestLimitExceeded, HTTP 503)"},
		{"an unknown instance", "i-0fff0123456789def", false, resolve.CodeEC2DNSUnavailable, "instance not found (InvalidInstanceID.NotFound"},
		{"a session that is not an instance", "alice", false, resolve.CodeTemplateFailed, `role session name "alice" is not an instance ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEC2(t, map[string]string{"i-0abc0123456789def": "ip-10-0-0-1.ec2.internal"})
			if tt.throttle {
				f.setFail(func([]string) (int, string) { return 503, "RequestLimitExceeded" })
			}
			r, _, _ := newResolver(t, f, nil)
			res := resolve.Resolve(nodeIdentity(t, tt.session), nodeSnapshot(t), resolve.Options{EC2PrivateDNSName: r.Resolver})
			if res.Mapped || res.Code != tt.code || !strings.Contains(res.Reason, tt.reasonHas) {
				t.Fatalf("Resolve = %+v; want code %s, reason saying %q", res, tt.code, tt.reasonHas)
			}
		})
	}
}

// The resolver's errors are what the mapper sees; an invalid session name
// must not be mistaken for an EC2 failure.
func TestInvalidSessionIsNotAnEC2Failure(t *testing.T) {
	f := newFakeEC2(t, nil)
	r, _, _ := newResolver(t, f, nil)
	_, err := r.Resolver(identity.Identity{SessionName: "i-nothex"})
	if !errors.Is(err, ec2dns.ErrInvalidInstanceID) || errors.Is(err, awsauth.ErrEC2DNSUnavailable) {
		t.Fatalf("Resolver = %v", err)
	}
}
