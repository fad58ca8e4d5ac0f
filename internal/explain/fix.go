package explain

import (
	"strconv"
	"strings"

	"github.com/kubeiam/kubeiam/internal/authz"
)

// ActionKind says what a fix changes.
type ActionKind string

// The changes a fix can make. Apply performs them on Parts.
const (
	ActionCreateAccessEntry ActionKind = "create-access-entry"
	ActionUpdateAccessEntry ActionKind = "update-access-entry"
	ActionAssociatePolicy   ActionKind = "associate-access-policy"
	ActionAddAWSAuth        ActionKind = "add-aws-auth-mapping"
	ActionUpdateAWSAuth     ActionKind = "update-aws-auth-mapping"
	ActionSetMode           ActionKind = "update-authentication-mode"
	ActionCreateBinding     ActionKind = "create-binding"
	ActionFixAWSAuth        ActionKind = "fix-aws-auth"
)

// Action is a fix in data, so that it can be rendered as commands and
// applied to inputs alike.
type Action struct {
	Kind ActionKind `json:"kind"`
	// PrincipalARN is the access entry's principal, or the aws-auth
	// rolearn or userarn.
	PrincipalARN string `json:"principalArn,omitempty"`
	// Section and Index locate an aws-auth entry to update (mapRoles,
	// mapUsers), and MappedARN is what it says now; Section alone says
	// where to add one.
	Section   string `json:"section,omitempty"`
	Index     *int   `json:"index,omitempty"`
	MappedARN string `json:"mappedArn,omitempty"`
	// Username and Groups of a new or updated mapping; an empty Username
	// is the default one.
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	// PolicyARN and Scope are an access policy to associate.
	PolicyARN  string   `json:"policyArn,omitempty"`
	ScopeType  string   `json:"scopeType,omitempty"`
	Namespaces []string `json:"namespaces,omitempty"`
	// Type is the access entry type to recreate an entry with; empty for
	// STANDARD.
	Type string `json:"type,omitempty"`
	// Mode is the authentication mode to move to.
	Mode string `json:"mode,omitempty"`
	// A binding: in Namespace (a RoleBinding) or cluster-wide (a
	// ClusterRoleBinding), of ClusterRole to the subject.
	BindingName string `json:"bindingName,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	ClusterRole string `json:"clusterRole,omitempty"`
	SubjectKind string `json:"subjectKind,omitempty"`
	SubjectName string `json:"subjectName,omitempty"`
	// File is the aws-auth file to correct; empty for the ConfigMap.
	File string `json:"file,omitempty"`
}

// Fix is one way to fix a cause: the change, and the commands that make
// it with kubeiam, eksctl, the AWS CLI and kubectl. A command that has no
// equivalent in a tool is empty.
type Fix struct {
	// Fixes is the code of the cause or finding this fixes.
	Fixes   Code   `json:"fixes"`
	Summary string `json:"summary"`
	Action  Action `json:"action"`
	Kubeiam string `json:"kubeiam,omitempty"`
	Eksctl  string `json:"eksctl,omitempty"`
	AWS     string `json:"aws,omitempty"`
	Kubectl string `json:"kubectl,omitempty"`
}

// commands names where fixes are applied: the cluster name and, for the
// AWS CLI, the access-management endpoint when it is not EKS's.
type commands struct {
	cluster  string
	endpoint string
	// awsAuthFile is the aws-auth file the server watches, if any: the
	// aws-auth commands then edit it, and eksctl and kubectl, which edit
	// the ConfigMap, do not apply.
	awsAuthFile string
}

// render fills the commands of a fix from its action.
func (c commands) render(f Fix) Fix {
	a := f.Action
	switch a.Kind {
	case ActionCreateAccessEntry:
		k := []string{"kubeiam", "access-entry", "create", "--principal-arn", a.PrincipalARN}
		e := []string{"eksctl", "create", "accessentry", "--cluster", c.cluster, "--principal-arn", a.PrincipalARN}
		w := []string{"aws", "eks", "create-access-entry", "--cluster-name", c.cluster, "--principal-arn", a.PrincipalARN}
		if a.Type != "" {
			k = append(k, "--type", a.Type)
			e = append(e, "--type", a.Type)
			w = append(w, "--type", a.Type)
		}
		if a.Username != "" {
			k = append(k, "--username", a.Username)
			e = append(e, "--kubernetes-username", a.Username)
			w = append(w, "--username", a.Username)
		}
		if len(a.Groups) > 0 {
			k = append(k, "--kubernetes-groups", strings.Join(a.Groups, ","))
			e = append(e, "--kubernetes-groups", strings.Join(a.Groups, ","))
			w = append(append(w, "--kubernetes-groups"), a.Groups...)
		}
		f.Kubeiam, f.Eksctl, f.AWS = shellJoin(k), shellJoin(e), c.aws(w)
		if a.PolicyARN != "" {
			f.Kubeiam += " && " + shellJoin(associateKubeiam(a))
			f.AWS += " && " + c.aws(associateAWS(c, a))
			f.Eksctl = "" // eksctl associates policies only from a config file
		}
	case ActionRecreateAccessEntry:
		return c.renderRecreate(f)
	case ActionUpdateAccessEntry:
		f.Kubeiam = shellJoin([]string{"kubeiam", "access-entry", "update", "--principal-arn", a.PrincipalARN, "--username", a.Username})
		f.AWS = c.aws([]string{"aws", "eks", "update-access-entry", "--cluster-name", c.cluster, "--principal-arn", a.PrincipalARN, "--username", a.Username})
	case ActionAssociatePolicy:
		f.Kubeiam = shellJoin(associateKubeiam(a))
		f.AWS = c.aws(associateAWS(c, a))
	case ActionAddAWSAuth:
		f.Kubeiam = shellJoin(c.addAWSAuthKubeiam(a, false))
		f.Eksctl = shellJoin(eksctlMapping(c, a))
		f.Kubectl = "kubectl edit configmap aws-auth -n kube-system  # add the entry under " + a.Section
		f = c.withBinding(f)
	case ActionUpdateAWSAuth:
		// One step, whether or not the ARN changes (a path dropped):
		// --update replaces the principal's entry in place, which the
		// last-admin guard accepts, where remove-then-add is refused.
		f.Kubeiam = shellJoin(c.addAWSAuthKubeiam(a, true))
		f.Kubectl = "kubectl edit configmap aws-auth -n kube-system  # change " + a.Section + "[" + strconv.Itoa(deref(a.Index)) + "]"
		if a.PrincipalARN != a.MappedARN {
			f.Eksctl = shellJoin([]string{"eksctl", "delete", "iamidentitymapping", "--cluster", c.cluster, "--arn", a.MappedARN}) + " && " + shellJoin(eksctlMapping(c, a))
		}
	case ActionFixAWSAuth:
		if a.File != "" {
			f.Kubeiam = shellJoin([]string{"kubeiam", "aws-auth", "validate", "-f", a.File})
		} else {
			f.Kubeiam = "kubeiam aws-auth validate"
			f.Kubectl = "kubectl edit configmap aws-auth -n kube-system"
		}
	case ActionSetMode:
		f.Kubeiam = shellJoin([]string{"kubeiam", "cluster", "update-config", "--authentication-mode", a.Mode})
		f.Eksctl = shellJoin([]string{"eksctl", "utils", "update-authentication-mode", "--cluster", c.cluster, "--authentication-mode", a.Mode})
		f.AWS = c.aws([]string{"aws", "eks", "update-cluster-config", "--name", c.cluster, "--access-config", "authenticationMode=" + a.Mode})
	case ActionCreateBinding:
		f.Kubectl = bindingCommand(a.BindingName, a.ClusterRole, a.SubjectKind, a.SubjectName, a.Namespace)
	}
	if c.awsAuthFile != "" && (a.Kind == ActionAddAWSAuth || a.Kind == ActionUpdateAWSAuth) {
		// The server reads the file, not the ConfigMap eksctl and kubectl edit.
		f.Eksctl, f.Kubectl = "", ""
	}
	return f
}

// withBinding appends to an aws-auth mapping fix the RBAC binding that
// gives its group the access asked for: a mapping with groups that no
// binding names turns Unauthorized into Forbidden.
func (c commands) withBinding(f Fix) Fix {
	a := f.Action
	if a.ClusterRole == "" || len(a.Groups) == 0 {
		return f
	}
	b := bindingCommand(a.BindingName, a.ClusterRole, "Group", a.Groups[0], a.Namespace)
	f.Kubeiam += " && " + b
	f.Eksctl += " && " + b
	return f
}

// bindingCommand creates a RoleBinding (in namespace) or a
// ClusterRoleBinding of role to the subject; it can be run again safely.
func bindingCommand(name, role, kind, subject, namespace string) string {
	flag := "--group=" + subject
	if kind == "User" {
		flag = "--user=" + subject
	}
	args := []string{"kubectl", "create", "clusterrolebinding", name, "--clusterrole=" + role, flag}
	if namespace != "" {
		args = []string{"kubectl", "create", "rolebinding", name, "--clusterrole=" + role, flag, "-n", namespace}
	}
	return shellJoin(append(args, "--dry-run=client", "-o", "yaml")) + " | kubectl apply -f -"
}

func eksctlMapping(c commands, a Action) []string {
	e := []string{"eksctl", "create", "iamidentitymapping", "--cluster", c.cluster, "--arn", a.PrincipalARN}
	if a.Username != "" {
		e = append(e, "--username", a.Username)
	}
	for _, g := range a.Groups {
		e = append(e, "--group", g)
	}
	return e
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func associateKubeiam(a Action) []string {
	return append([]string{"kubeiam", "access-policy", "associate", "--principal-arn", a.PrincipalARN}, policyFlags(a)...)
}

// addAWSAuthKubeiam is "kubeiam aws-auth add-role|add-user"; update
// replaces the username and groups of the principal's existing entry.
func (c commands) addAWSAuthKubeiam(a Action, update bool) []string {
	sub := "add-role"
	if a.Section == "mapUsers" {
		sub = "add-user"
	}
	k := []string{"kubeiam", "aws-auth", sub}
	if c.awsAuthFile != "" {
		k = append(k, "-f", c.awsAuthFile)
	}
	k = append(k, "--arn", a.PrincipalARN)
	if a.Username != "" {
		k = append(k, "--username", a.Username)
	}
	if len(a.Groups) > 0 {
		k = append(k, "--groups", strings.Join(a.Groups, ","))
	}
	if update {
		k = append(k, "--update")
	}
	return k
}

func policyFlags(a Action) []string {
	out := []string{"--policy-arn", a.PolicyARN, "--scope", a.ScopeType}
	if a.ScopeType == string(authz.ScopeNamespace) {
		out = append(out, "--namespaces", strings.Join(a.Namespaces, ","))
	}
	return out
}

func associateAWS(c commands, a Action) []string {
	scope := "type=" + a.ScopeType
	if a.ScopeType == string(authz.ScopeNamespace) {
		scope += ",namespaces=" + strings.Join(a.Namespaces, ",")
	}
	return []string{"aws", "eks", "associate-access-policy", "--cluster-name", c.cluster,
		"--principal-arn", a.PrincipalARN, "--policy-arn", a.PolicyARN, "--access-scope", scope}
}

// aws renders an AWS CLI command, pointed at kubeiam's endpoint when set.
func (c commands) aws(args []string) string {
	if c.endpoint != "" {
		args = append(args, "--endpoint-url", c.endpoint)
	}
	return shellJoin(args)
}

// shellJoin joins args into a command a POSIX shell reads back as args.
func shellJoin(args []string) string {
	if len(args) == 0 {
		return ""
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=,@+", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
