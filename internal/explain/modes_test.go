package explain

import (
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
)

// Whatever the caller and the sources, explain suggests no fix the
// cluster's authentication mode cannot apply (EKS user guide, "Change
// authentication mode to use access entries": CONFIG_MAP reads aws-auth
// only, API access entries only): in API no aws-auth edit; in CONFIG_MAP
// no access entry or access policy (only the one-step mode change that
// would make them count). Every case of explainCases runs in every mode,
// with and without its request.
func TestFixesFitTheMode(t *testing.T) {
	awsAuthKinds := map[ActionKind]bool{ActionAddAWSAuth: true, ActionUpdateAWSAuth: true, ActionFixAWSAuth: true}
	entryKinds := map[ActionKind]bool{ActionCreateAccessEntry: true, ActionUpdateAccessEntry: true, ActionAssociatePolicy: true, ActionRecreateAccessEntry: true}
	var fixes int
	for _, tt := range explainCases() {
		for _, mode := range []access.Mode{access.ModeConfigMap, access.ModeAPIAndConfigMap, access.ModeAPI} {
			for _, req := range []*Request{tt.req, nil} {
				p := tt.parts(t)
				p.Mode = mode
				if mode == access.ModeConfigMap {
					p.CreatorARN = creatorARN
				}
				r := run(t, p, tt.arn, req)
				for _, f := range r.Fixes {
					fixes++
					cmds := strings.Join([]string{f.Kubeiam, f.Eksctl, f.AWS, f.Kubectl}, "\n")
					switch {
					case mode == access.ModeAPI && (awsAuthKinds[f.Action.Kind] || strings.Contains(cmds, "aws-auth") || strings.Contains(cmds, "iamidentitymapping")):
						t.Errorf("%s, in API: an aws-auth fix, which API ignores: %+v", tt.name, f)
					case mode == access.ModeConfigMap && (entryKinds[f.Action.Kind] || strings.Contains(cmds, "access-entry") || strings.Contains(cmds, "access-polic")):
						t.Errorf("%s, in CONFIG_MAP: an access entry fix, which CONFIG_MAP ignores: %+v", tt.name, f)
					case f.Action.Kind == ActionSetMode && mode != access.ModeConfigMap:
						t.Errorf("%s, in %s: a mode change fix: %+v", tt.name, mode, f)
					}
				}
			}
		}
	}
	if fixes < 50 {
		t.Fatalf("only %d fixes checked: the cases no longer exercise the fixes", fixes)
	}
}
