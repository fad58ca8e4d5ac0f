// Package v1alpha1 holds kubeiam's Kubernetes API types, group kubeiam.io,
// version v1alpha1: the access management state kept in the cluster's own
// API when "kubeiam server --store kubernetes" is used, and the declarative
// interface (kubectl apply, GitOps) to it.
//
// Three cluster-scoped kinds carry everything the EKS access management API
// promises, each invariant held by one object so that per-object optimistic
// concurrency (resourceVersion) is enough and no transaction spans objects:
//
//   - AccessEntry: one per IAM principal, with its policy associations
//     inside it (associations go with their entry). Its name is derived from
//     the principal (see AccessEntryName), so that the API server itself
//     refuses a second entry for the same principal: the create conflicts.
//   - AccessConfig: the singleton named "cluster" (AccessConfigName) with the
//     cluster's authentication mode, which a CEL transition rule keeps
//     one-way, and the cluster creator.
//   - RequestToken: the claim of one CreateAccessEntry's clientRequestToken,
//     named after the token (RequestTokenName), so that the API server lets
//     one request only use a token.
//
// The CRD YAML in deploy/base/crds is generated from these types by
// "make generate" (controller-gen); do not edit it by hand.
//
// +kubebuilder:object:generate=true
// +groupName=kubeiam.io
package v1alpha1
