package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/iamid"
)

// PrincipalIDs looks up an IAM principal's unique ID (iamid.Client). Its
// error wraps iamid.ErrNotFound when the principal does not exist; the
// empty ID with no error means IAM cannot tell (a principal of another
// account than the lookup's credentials).
type PrincipalIDs interface {
	PrincipalID(ctx context.Context, principalARN string) (string, error)
}

// bindPrincipalID records the unique ID of e's principal, as EKS stores it
// with every access entry (EKS API reference, AccessEntry, principalArn).
//
// A principal IAM says does not exist is refused: EKS's user guide
// ("Create access entries") requires the ARN of an existing IAM principal,
// and EKS refuses any other with access.ErrPrincipalNotFound's message.
// When IAM cannot be asked (unreachable, throttled, access denied) the
// create fails closed with a ServerException, so that no entry is created
// unbound by accident and the caller can retry; only a principal IAM cannot
// tell about (another account's) is recorded without an ID, and then
// matches by ARN alone. Without a lookup configured, no ID is recorded.
func (h *Handler) bindPrincipalID(ctx context.Context, e *access.AccessEntry) error {
	if h.principalIDs == nil {
		return nil
	}
	id, err := h.principalIDs.PrincipalID(ctx, e.PrincipalARN)
	switch {
	case errors.Is(err, iamid.ErrNotFound):
		return access.ErrPrincipalNotFound().WithCause(err)
	case err != nil:
		return &Error{Status: http.StatusInternalServerError, Type: TypeServer,
			Message: "The IAM principal's unique ID could not be looked up; retry.", cause: fmt.Errorf("look up the principal ID of %s: %w", e.PrincipalARN, err)}
	}
	if id == "" {
		h.log.Warn("api principal id unknown", "principal_arn", e.PrincipalARN,
			"reason", "IAM cannot look up a principal of another account; the entry matches by ARN alone")
	}
	e.PrincipalID = id
	return nil
}
