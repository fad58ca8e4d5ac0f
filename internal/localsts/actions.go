package localsts

import (
	"crypto/subtle"
	"fmt"
	"strconv"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// APIVersion is the only STS API version there is.
const APIVersion = "2011-06-15"

// AssumeRole duration limits, in seconds, as STS enforces them.
const (
	minDurationSeconds     = 900
	maxDurationSeconds     = 43200
	defaultDurationSeconds = 3600
	// chainedDurationLimit caps a session assumed with another session's
	// credentials ("role chaining").
	chainedDurationLimit = 3600
)

// callerIdentityResult is the GetCallerIdentity result.
type callerIdentityResult struct {
	Arn     string `xml:"Arn" json:"Arn"`
	UserID  string `xml:"UserId" json:"UserId"`
	Account string `xml:"Account" json:"Account"`
}

// assumeRoleResult is the AssumeRole result.
type assumeRoleResult struct {
	Credentials     sessionCredentials `xml:"Credentials" json:"Credentials"`
	AssumedRoleUser assumedRoleUser    `xml:"AssumedRoleUser" json:"AssumedRoleUser"`
}

type sessionCredentials struct {
	AccessKeyID     string    `xml:"AccessKeyId" json:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey" json:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken" json:"SessionToken"`
	Expiration      expiresAt `xml:"Expiration" json:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn" json:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId" json:"AssumedRoleId"`
}

// expiresAt renders as an ISO 8601 timestamp in XML and as epoch seconds in
// JSON, as STS does.
type expiresAt time.Time

// MarshalText formats the time for XML.
func (e expiresAt) MarshalText() ([]byte, error) {
	return []byte(time.Time(e).UTC().Format(time.RFC3339)), nil
}

// MarshalJSON formats the time for JSON.
func (e expiresAt) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(time.Time(e).Unix(), 10)), nil
}

// dispatch runs the action the authenticated request names.
func (s *Server) dispatch(req *request) (any, error) {
	action, err := single(req, "Action")
	if err != nil {
		return nil, err
	}
	if serviceOf(action) == iamServiceName {
		return s.dispatchIAM(req, action)
	}
	version := req.params.Get("Version")
	if version == "" {
		return nil, errMissingParameter("Version")
	}
	if version != APIVersion {
		return nil, errInvalidAction(action, version)
	}
	switch action {
	case "GetCallerIdentity":
		c := req.caller
		return callerIdentityResult{Arn: c.arn, UserID: c.userID, Account: c.principal.Account}, nil
	case "AssumeRole":
		return s.assumeRole(req)
	}
	return nil, errInvalidAction(action, version)
}

// single returns the one value of a required parameter.
func single(req *request, name string) (string, error) {
	vs := req.params[name]
	switch {
	case len(vs) == 0 || vs[0] == "":
		return "", errMissingParameter(name)
	case len(vs) > 1:
		return "", errInvalidParameterValue("The parameter " + name + " is given more than once.")
	}
	return vs[0], nil
}

func (s *Server) assumeRole(req *request) (any, error) {
	roleARN, err := single(req, "RoleArn")
	if err != nil {
		return nil, err
	}
	sessionName, err := single(req, "RoleSessionName")
	if err != nil {
		return nil, err
	}
	if err := validSessionName(sessionName); err != nil {
		return nil, err
	}
	duration, err := durationSeconds(req)
	if err != nil {
		return nil, err
	}
	if id := req.params.Get("ExternalId"); id != "" && (len(id) < 2 || len(id) > 1224) {
		return nil, errValidation(id, "externalId", "Member must have length between 2 and 1224")
	}
	c := req.caller
	if c.principal.Kind == arn.KindAssumedRole && duration > chainedDurationLimit {
		return nil, errValidation(strconv.Itoa(duration), "durationSeconds",
			"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	p, err := arn.Parse(roleARN)
	if err != nil || p.Kind != arn.KindRole {
		return nil, errValidation(roleARN, "roleArn", "Member must be the ARN of an IAM role")
	}
	denied := errAccessDenied(fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.arn, roleARN))
	r, ok := s.dir.role(p)
	if !ok || p.Partition != s.partition.ID || !r.trusts(c) {
		// A missing role and an untrusted one look the same, as in AWS.
		return nil, denied
	}
	if err := checkMFA(req, r, denied); err != nil {
		return nil, err
	}
	keyID, secret, token, err := newSessionCredentials(s.rand)
	if err != nil {
		return nil, fmt.Errorf("issue session credentials: %w", err)
	}
	now := s.now()
	session := arn.Principal{Partition: r.principal.Partition, Service: "sts", Account: r.principal.Account,
		Kind: arn.KindAssumedRole, Path: "/", Name: r.principal.Name, Session: sessionName}
	issued := &caller{principal: session, arn: session.String(), userID: r.roleID + ":" + sessionName,
		accessKeyID: keyID, secret: secret, sessionToken: token,
		expires: now.Add(time.Duration(duration) * time.Second).Truncate(time.Second)}
	s.dir.addSession(issued, now)
	s.log.Info("sts session issued", "arn", issued.arn, "source_arn", c.arn, "access_key_id", keyID,
		"expires", issued.expires.UTC().Format(time.RFC3339))
	return assumeRoleResult{
		Credentials: sessionCredentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token,
			Expiration: expiresAt(issued.expires)},
		AssumedRoleUser: assumedRoleUser{Arn: issued.arn, AssumedRoleID: issued.userID},
	}, nil
}

// checkMFA applies a role's MFA requirement. Without SerialNumber and
// TokenCode the trust policy's aws:MultiFactorAuthPresent condition fails,
// which AWS reports as the plain AccessDenied of an untrusted caller; a
// wrong code is refused with the message STS gives for it.
func checkMFA(req *request, r *role, denied error) error {
	serial, code := req.params.Get("SerialNumber"), req.params.Get("TokenCode")
	if code != "" && !validTokenCode(code) {
		return errValidation(code, "tokenCode", "Member must satisfy regular expression pattern: [\\d]*")
	}
	if r.mfaCode == "" {
		return nil
	}
	if serial == "" || code == "" {
		return denied
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(r.mfaCode)) != 1 {
		return errAccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return nil
}

func durationSeconds(req *request) (int, error) {
	vs := req.params["DurationSeconds"]
	if len(vs) == 0 {
		return defaultDurationSeconds, nil
	}
	n, err := strconv.Atoi(vs[0])
	if len(vs) > 1 || err != nil {
		return 0, errInvalidParameterValue("Value for parameter DurationSeconds is not an integer.")
	}
	if n < minDurationSeconds {
		return 0, errValidation(vs[0], "durationSeconds", "Member must have value greater than or equal to 900")
	}
	if n > maxDurationSeconds {
		return 0, errValidation(vs[0], "durationSeconds", "Member must have value less than or equal to 43200")
	}
	return n, nil
}

// validSessionName applies STS's RoleSessionName constraints: 2 to 64 of
// letters, digits and +=,.@-_.
func validSessionName(name string) error {
	if len(name) < 2 || len(name) > 64 {
		return errValidation(name, "roleSessionName", "Member must have length between 2 and 64")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		switch c {
		case '+', '=', ',', '.', '@', '-', '_':
			ok = true
		}
		if !ok {
			return errValidation(name, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
		}
	}
	return nil
}
