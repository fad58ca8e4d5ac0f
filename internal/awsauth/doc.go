// Package awsauth models the kube-system/aws-auth ConfigMap that
// aws-iam-authenticator and EKS read: it parses and validates the mapRoles,
// mapUsers and mapAccounts keys, renders them back as canonical YAML, expands
// username and group templates, and indexes the mappings for constant-time
// lookup of a verified caller. It is pure: no I/O, no logging.
//
// The contract with callers: Parse returns the document together with the
// problems it found. A document with any problem of severity Error must be
// rejected as a whole (check Problems.HasErrors) and the previous good
// document kept, so that a malformed ConfigMap never half-applies. Warnings
// are for operators: the document still applies.
//
// Parse reads the block-list form tools write with a quick line parser
// (quick.go) and every other form with the YAML library; the two give the
// same document, problems and errors, which the differential tests and fuzz
// target in quick_test.go check. The quick path exists for memory: an
// aws-auth of 100,000 entries parsed into YAML nodes allocated 500 MB.
//
// Matching follows the arn package: an assumed-role session matches its role,
// IAM paths are ignored and the resource part matches case-insensitively.
// Where several entries name the same principal, the first one wins, as in
// aws-iam-authenticator.
package awsauth
