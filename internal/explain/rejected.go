package explain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// CodeAWSAuthRejected: the newest aws-auth version names the caller, but
// the server rejected it, so the last good version, which does not, is in
// force.
const CodeAWSAuthRejected Code = "AWS_AUTH_VERSION_REJECTED"

// RejectedAWSAuth is the newest version of an aws-auth source that the
// server refused while the last good version stays in force.
type RejectedAWSAuth struct {
	// Source names it: "aws-auth file /etc/kubeiam/aws-auth.yaml" or
	// "aws-auth configmap kube-system/aws-auth".
	Source string `json:"source"`
	// File is the path of a file source; empty for the ConfigMap.
	File string `json:"file,omitempty"`
	// Version is the rejected version; InForce the one in force.
	Version string `json:"version"`
	InForce string `json:"inForce,omitempty"`
	// Error says why the server refused it.
	Error string `json:"error"`
	// Data is the rejected ConfigMap data, Text the rejected file's
	// content; either may be empty.
	Data map[string]string `json:"-"`
	Text string            `json:"-"`
}

// Mentions returns where the rejected version names the principal of id
// (role, user, or a session of the role; IAM paths and letter case
// ignored): "line 7" of a file, or "mapUsers line 2" of ConfigMap data.
func (r RejectedAWSAuth) Mentions(id identity.Identity) []string {
	key := id.Key()
	if r.Text != "" {
		return linesNaming(r.Text, key, "line ")
	}
	keys := make([]string, 0, len(r.Data))
	for k := range r.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, linesNaming(r.Data[k], key, k+" line ")...)
	}
	return out
}

// linesNaming returns prefix+N for each line of text holding an ARN whose
// principal key is key.
func linesNaming(text, key, prefix string) []string {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		rest := line
		for {
			j := strings.Index(rest, "arn:")
			if j < 0 {
				break
			}
			rest = rest[j:]
			end := strings.IndexAny(rest, " \t\"',#}]")
			if end < 0 {
				end = len(rest)
			}
			if k, err := arn.Key(rest[:end]); err == nil && k == key {
				out = append(out, fmt.Sprintf("%s%d", prefix, i+1))
				break
			}
			rest = rest[end:]
		}
	}
	return out
}

// RejectionNotes are the sentences whoami and the decision log add for a
// caller named in a rejected aws-auth version.
func RejectionNotes(id identity.Identity, rejected []RejectedAWSAuth) []string {
	var out []string
	for _, r := range rejected {
		if at := r.Mentions(id); len(at) > 0 {
			out = append(out, rejectionSentence(r, id, at))
		}
	}
	return out
}

func rejectionSentence(r RejectedAWSAuth, id identity.Identity, at []string) string {
	inForce := "the last good version"
	if r.InForce != "" {
		inForce += " (" + r.InForce + ")"
	}
	return fmt.Sprintf("%s version %s names %s on %s, but the server rejected that version: %s; %s stays in force",
		r.Source, r.Version, id.CanonicalARN, strings.Join(at, ", "), r.Error, inForce)
}

// rejected reports the rejected aws-auth versions that name the caller;
// when nothing maps the caller, that is the cause.
func (e *explainer) rejected() {
	if !e.s.UseAWSAuth {
		return
	}
	for _, r := range e.in.RejectedAWSAuth {
		at := r.Mentions(e.id)
		if len(at) == 0 {
			continue
		}
		sev := SeverityWarning
		if !e.res.Mapped {
			sev = SeverityError
			e.causes = append([]Code{CodeAWSAuthRejected}, e.causes...)
		}
		e.add(CodeAWSAuthRejected, sev, "%s", rejectionSentence(r, e.id, at))
		e.fix(Fix{Fixes: CodeAWSAuthRejected,
			Summary: "correct " + rejectedWhere(r) + " where the server's error points (" + r.Error + "), then check it as the server will",
			Action:  Action{Kind: ActionFixAWSAuth, File: r.File}})
	}
}

func rejectedWhere(r RejectedAWSAuth) string {
	if r.File != "" {
		return r.File
	}
	return "the aws-auth ConfigMap"
}
