package webhook

import (
	"fmt"
	"slices"
)

// checkAudiences applies the TokenReview audience contract to a kubeiam
// token, which is meant for the Kubernetes API server and nothing else. It
// returns the audiences to answer in status.audiences, or a refusal.
//
// The contract (Kubernetes API reference, TokenReviewStatus.audiences):
// status.audiences are identifiers in the intersection of spec.audiences and
// the token's audiences, and "if a TokenReview returns an empty
// status.audience field where status.authenticated is true, the token is
// valid against the audience of the Kubernetes API server". Copying
// spec.audiences into the answer therefore claimed the token was meant for
// any audience a caller asked about: a TokenReview for audience "vault"
// created through kube-apiserver came back authenticated.
//
// kube-apiserver itself always sends audiences: its --api-audiences (by
// default the service-account issuer) on every request it authenticates
// (k8s.io/apiserver pkg/endpoints/filters/authentication.go), and a
// TokenReview's own spec.audiences when a service creates one. Its webhook
// client (k8s.io/apiserver plugin/pkg/authenticator/token/webhook,
// AuthenticateToken) intersects the requested audiences with
// status.audiences, or with its implicit API audiences when the webhook
// answers none, and treats an empty intersection as unauthenticated. So:
//
//   - apiAudiences unknown: answer no audiences. kube-apiserver accepts the
//     token for itself and refuses it for "vault", and a direct client that
//     follows the contract sees a token not proven for its audience. This is
//     what aws-iam-authenticator does (pkg/server: its TokenReviewStatus
//     never sets audiences).
//   - apiAudiences known: a review naming only other audiences is refused
//     here, before any STS call; otherwise the answer names the intersection.
func checkAudiences(requested, apiAudiences []string) ([]string, string) {
	if len(requested) == 0 || len(apiAudiences) == 0 {
		return nil, ""
	}
	var both []string
	for _, a := range requested {
		if slices.Contains(apiAudiences, a) && !slices.Contains(both, a) {
			both = append(both, a)
		}
	}
	if len(both) == 0 {
		return nil, fmt.Sprintf("kubeiam tokens are for the Kubernetes API server (audiences %q) only, not for the requested audiences %q",
			apiAudiences, requested)
	}
	return both, ""
}
