package localsts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// The local STS also answers the two IAM calls kubeiam makes, for its own
// identities: GetRole and GetUser, which report a principal's unique ID
// (kubeiam records it with an access entry, as EKS does). They are IAM's
// Query API: version 2010-05-08, signed for the service "iam", with IAM's
// XML bodies and its NoSuchEntity error.
const (
	iamAPIVersion   = "2010-05-08"
	iamServiceName  = "iam"
	iamXMLNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	// CodeNoSuchEntity is IAM's error for a role or user that does not exist.
	CodeNoSuchEntity = "NoSuchEntity"
)

// serviceOf returns the service whose credential scope an action must be
// signed with: "iam" for the IAM calls, "sts" for everything else.
func serviceOf(action string) string {
	switch action {
	case "GetRole", "GetUser":
		return iamServiceName
	}
	return serviceName
}

type iamRole struct {
	Path                     string    `xml:"Path"`
	RoleName                 string    `xml:"RoleName"`
	RoleID                   string    `xml:"RoleId"`
	Arn                      string    `xml:"Arn"`
	CreateDate               expiresAt `xml:"CreateDate"`
	AssumeRolePolicyDocument string    `xml:"AssumeRolePolicyDocument"`
}

type iamUser struct {
	Path       string    `xml:"Path"`
	UserName   string    `xml:"UserName"`
	UserID     string    `xml:"UserId"`
	Arn        string    `xml:"Arn"`
	CreateDate expiresAt `xml:"CreateDate"`
}

type getRoleResult struct {
	Role iamRole `xml:"Role"`
}

type getUserResult struct {
	User iamUser `xml:"User"`
}

// dispatchIAM answers GetRole and GetUser. A caller sees the principals of
// its own account only: the local STS has no IAM policies, and IAM never
// shows another account's principals. A principal that does not exist, or
// is in another account, is NoSuchEntity, as IAM says it.
func (s *Server) dispatchIAM(req *request, action string) (any, error) {
	if v := req.params.Get("Version"); v != iamAPIVersion {
		if v == "" {
			return nil, errMissingParameter("Version")
		}
		return nil, errInvalidAction(action, v)
	}
	c := req.caller
	switch action {
	case "GetRole":
		name, err := single(req, "RoleName")
		if err != nil {
			return nil, err
		}
		p, err := arn.Parse("arn:" + s.partition.ID + ":iam::" + c.principal.Account + ":role/" + name)
		r, ok := s.dir.role(p)
		if err != nil || !ok {
			return nil, errNoSuchEntity(fmt.Sprintf("The role with name %s cannot be found.", name))
		}
		return getRoleResult{Role: iamRole{Path: r.principal.Path, RoleName: r.principal.Name, RoleID: r.roleID, Arn: r.arn,
			CreateDate: expiresAt(r.created), AssumeRolePolicyDocument: trustPolicy(r.trustText, s.partition.ID)}}, nil
	case "GetUser":
		name := req.params.Get("UserName")
		if name == "" {
			// No UserName: the caller itself, when it is a user.
			if c.principal.Kind != arn.KindUser {
				return nil, errValidation("", "userName", "Must be specified when calling with non-User credentials")
			}
			name = c.principal.Name
		}
		p, err := arn.Parse("arn:" + s.partition.ID + ":iam::" + c.principal.Account + ":user/" + name)
		var u *user
		if err == nil {
			u = s.dir.iamUsers[p.Key()]
		}
		if u == nil {
			return nil, errNoSuchEntity(fmt.Sprintf("The user with name %s cannot be found.", name))
		}
		return getUserResult{User: iamUser{Path: u.principal.Path, UserName: u.principal.Name, UserID: u.userID, Arn: u.arn,
			CreateDate: expiresAt(u.created)}}, nil
	}
	return nil, errInvalidAction(action, iamAPIVersion)
}

// trustPolicy renders a role's trust list as the URL-encoded policy
// document GetRole returns.
func trustPolicy(trust []string, partitionID string) string {
	type principal struct {
		AWS any `json:"AWS"`
	}
	type statement struct {
		Effect    string    `json:"Effect"`
		Principal principal `json:"Principal"`
		Action    string    `json:"Action"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{Version: "2012-10-17", Statement: []statement{}}
	for _, t := range trust {
		doc.Statement = append(doc.Statement, statement{Effect: "Allow", Principal: principal{AWS: t}, Action: "sts:AssumeRole"})
	}
	b, _ := json.Marshal(doc) // plain strings always encode
	return url.QueryEscape(string(b))
}

func errNoSuchEntity(message string) *APIError {
	return apiError(http.StatusNotFound, CodeNoSuchEntity, message)
}

// RecreateRole deletes the role roleARN names and creates it again with the
// same name, path and trust, as "aws iam delete-role" then "create-role"
// would: the role gets a new unique ID ("AROA...", derived from its ARN and
// a generation, so the same on every start of the same config), and the
// old role's sessions end. It returns the new unique ID. Use it to see what
// happens to an access entry whose principal is recreated; to keep the new
// generation across restarts, bump the role's generation in the config.
func (s *Server) RecreateRole(roleARN string) (string, error) {
	p, err := arn.Parse(roleARN)
	if err != nil {
		return "", fmt.Errorf("recreate role: %w", err)
	}
	if p.Kind != arn.KindRole {
		return "", fmt.Errorf("recreate role: %s is not an IAM role ARN", roleARN)
	}
	r, ok := s.dir.recreateRole(p, s.now().UTC().Truncate(time.Second))
	if !ok {
		return "", fmt.Errorf("recreate role: the local STS has no role %s", roleARN)
	}
	s.log.Info("sts role recreated", "arn", r.arn, "role_id", r.roleID, "generation", r.generation)
	return r.roleID, nil
}
