// Package authz answers SubjectAccessReviews from the EKS managed access
// policies associated with a caller. It is pure: no I/O, no logging, no
// state beyond the immutable catalog an Authorizer holds.
//
// Three concerns, one file each:
//   - the catalog (catalog.go, rules.go, rules_services.go): the managed
//     access policies, as one table, with the Kubernetes RBAC rules AWS
//     publishes for each: the EKS user guide for the EKS policies, the
//     guide of the service that uses it for the others
//     (AmazonEKSAutoNodePolicy, whose rules EKS does not publish, is known
//     and grants nothing);
//   - scopes (scope.go): cluster or namespace scope, namespace patterns with
//     '*' wildcards;
//   - evaluation (authorize.go, match.go, attributes.go): request attributes
//     and grants → Decision, matching rules exactly as the Kubernetes RBAC
//     authorizer does.
//
// The contract: a policy can only add permissions. A request no grant covers
// is not denied; the Decision says Allowed=false and the webhook answers "no
// opinion", so that RBAC (and whatever comes after it) still decides. There
// is no error return: a grant kubeiam cannot evaluate (unknown policy ARN,
// malformed scope) grants nothing, which is the closed way to fail for an
// allow-only authorizer.
package authz
