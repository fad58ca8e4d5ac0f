package access

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
)

func TestErrorTypeHTTPStatus(t *testing.T) {
	tests := []struct {
		typ  ErrorType
		want int
	}{
		{InvalidParameterException, 400},
		{InvalidRequestException, 400},
		{ResourceLimitExceededException, 400},
		{ResourceNotFoundException, 404},
		{ResourceInUseException, 409},
		{AccessDeniedException, 403},
		{"SomethingElse", 500},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			if got := tt.typ.HTTPStatus(); got != tt.want {
				t.Errorf("HTTPStatus = %d, want %d", got, tt.want)
			}
			if got := (&Error{Type: tt.typ}).HTTPStatus(); got != tt.want {
				t.Errorf("(*Error).HTTPStatus = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestErrorWrapping(t *testing.T) {
	err := fmt.Errorf("create entry: %w", ErrEntryInUse())
	if TypeOf(err) != ResourceInUseException {
		t.Errorf("TypeOf(wrapped) = %q", TypeOf(err))
	}
	if TypeOf(errors.New("plain")) != "" || TypeOf(nil) != "" {
		t.Error("TypeOf of a non-access error must be empty")
	}
	if got := ErrEntryNotFound().Error(); got != "ResourceNotFoundException: The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'." {
		t.Errorf("Error() = %q", got)
	}
	// The internal cause stays reachable with errors.Is but out of the message.
	_, err = EntryKey("arn:aws:iam::111122223333:group/devs")
	if !errors.Is(err, arn.ErrNotPrincipal) || TypeOf(err) != InvalidParameterException {
		t.Errorf("EntryKey(group) = %v, want InvalidParameterException wrapping arn.ErrNotPrincipal", err)
	}
}

func TestErrorConstructors(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		typ  ErrorType
		msg  string
	}{
		{"entry not found", ErrEntryNotFound(), ResourceNotFoundException,
			"The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."},
		{"entry in use", ErrEntryInUse(), ResourceInUseException, "The specified access entry resource is already in use on this cluster."},
		{"cluster not found", ErrClusterNotFound("prod"), ResourceNotFoundException, "No cluster found for name: prod."},
		{"association not found", ErrAssociationNotFound(authz.ViewPolicyARN), ResourceNotFoundException,
			"The specified policyArn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy is not associated with the principalArn. You can view the associated access policies with 'list-associated-access-policies'."},
		{"next token", ErrInvalidNextToken(), InvalidParameterException, "The nextToken is invalid."},
		{"max results", ErrInvalidMaxResults(101), InvalidParameterException, "The maxResults 101 is invalid, it must be between 1 and 100."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, tt.err, tt.typ, tt.msg) })
	}
}
