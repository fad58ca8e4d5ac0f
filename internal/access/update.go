package access

import "time"

// UpdateStatus is the state of an update, spelled as in the EKS API.
type UpdateStatus string

// The statuses an update goes through: InProgress when it is accepted, then
// Successful or Failed (with Errors).
const (
	UpdateInProgress UpdateStatus = "InProgress"
	UpdateSuccessful UpdateStatus = "Successful"
	UpdateFailed     UpdateStatus = "Failed"
)

// UpdateTypeAccessConfig is the type of an authentication mode change.
const UpdateTypeAccessConfig = "AccessConfigUpdate"

// UpdateParamAuthenticationMode is the parameter of an access config update.
const UpdateParamAuthenticationMode = "AuthenticationMode"

// MaxUpdates bounds the update history a cluster keeps: the oldest are
// dropped first. The history answers DescribeUpdate and ListUpdates, which
// callers poll right after an update; a handful of mode changes is all a
// cluster ever has (the mode moves at most twice).
const MaxUpdates = 50

// UpdateParam is one parameter of an update.
type UpdateParam struct {
	Type  string
	Value string
}

// UpdateError is why an update failed.
type UpdateError struct {
	Code    string
	Message string
}

// Update is an asynchronous change of the cluster, as EKS's
// UpdateClusterConfig answers it and DescribeUpdate reports it.
type Update struct {
	// ID is a random UUID.
	ID     string
	Status UpdateStatus
	Type   string
	Params []UpdateParam
	// CreatedAt is when the update was accepted.
	CreatedAt time.Time
	// Errors say why a Failed update failed.
	Errors []UpdateError
	// ClientRequestToken is the idempotency token of the request that made
	// the update, if any: a retry with the same token gets this update back.
	ClientRequestToken string
}

// NewModeUpdate returns the InProgress update of a change to mode.
func NewModeUpdate(id string, mode Mode, clientRequestToken string, now time.Time) Update {
	return Update{
		ID: id, Status: UpdateInProgress, Type: UpdateTypeAccessConfig,
		Params:             []UpdateParam{{Type: UpdateParamAuthenticationMode, Value: string(mode)}},
		CreatedAt:          now,
		ClientRequestToken: clientRequestToken,
	}
}

// WithUpdate returns c with u appended to its history, the oldest updates
// dropped beyond MaxUpdates. c's own history is not modified.
func (c ClusterConfig) WithUpdate(u Update) ClusterConfig {
	h := make([]Update, 0, len(c.Updates)+1)
	h = append(h, c.Updates...)
	h = append(h, u)
	if len(h) > MaxUpdates {
		h = h[len(h)-MaxUpdates:]
	}
	c.Updates = h
	return c
}

// WithUpdateStatus returns c with update id's status set (and errors, for
// Failed); ok is false when c has no such update.
func (c ClusterConfig) WithUpdateStatus(id string, status UpdateStatus, errs []UpdateError) (ClusterConfig, bool) {
	for i, u := range c.Updates {
		if u.ID != id {
			continue
		}
		h := append([]Update(nil), c.Updates...)
		h[i].Status, h[i].Errors = status, errs
		c.Updates = h
		return c, true
	}
	return c, false
}

// Update returns the update with id.
func (c ClusterConfig) Update(id string) (Update, error) {
	for _, u := range c.Updates {
		if u.ID == id {
			return u, nil
		}
	}
	return Update{}, ErrUpdateNotFound(id)
}

// UpdateByToken returns the update made by the request with token, if any.
func (c ClusterConfig) UpdateByToken(token string) (Update, bool) {
	if token == "" {
		return Update{}, false
	}
	for _, u := range c.Updates {
		if u.ClientRequestToken == token {
			return u, true
		}
	}
	return Update{}, false
}

// ErrUpdateNotFound is the error for an update ID the cluster does not
// have: EKS's ResourceNotFoundException (the DescribeUpdate API reference
// lists it) with EKS's message, word for word and without a final period
// (aws/aws-cli issue 10252 quotes it).
func ErrUpdateNotFound(id string) *Error {
	return newError(ResourceNotFoundException, "No update found for ID: %s", id)
}

// ErrTokenReused is the refusal of a request whose clientRequestToken an
// earlier, different request used. The EKS API reference documents the
// token ("Unique, case-sensitive identifier that you provide to ensure the
// idempotency of the request") but models no IdempotentParameterMismatch
// error for EKS; of the errors it models for these operations, an
// InvalidRequestException ("the request is invalid given the state of the
// cluster") is the one that fits.
func ErrTokenReused() *Error {
	return newError(InvalidRequestException,
		"The clientRequestToken was already used with a different request; send a new token, or resend the earlier request unchanged.")
}
