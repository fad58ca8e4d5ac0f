// Package access is the domain of EKS access management: cluster
// authentication modes, access entries, access policy associations and the
// rules that govern them, with errors shaped like the EKS API's. It is pure:
// no I/O, no logging, and the clock is passed in.
//
// Access entries are keyed by the lookup key of their principal ARN
// (arn.Principal.Key): path-insensitive and case-insensitive on the resource,
// so that an assumed-role session matches the entry of its role, and
// role/path/Admin and role/Admin are the same entry.
//
// Where EKS documents or is known to answer with a given message, the
// messages here repeat it word for word, so that scripts written against EKS
// keep working; where kubeiam adds an explanation, it follows EKS's text.
package access
