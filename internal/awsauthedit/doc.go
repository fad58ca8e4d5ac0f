// Package awsauthedit makes the changes "kubeiam aws-auth" offers to an
// aws-auth document: add a role, user, account or IAM Identity Center
// permission set, remove the entries of a principal, restore saved data.
// It is pure: data in, data out, no I/O.
//
// A change is applied to the ConfigMap data (Change), not to a rendering of
// it: only the keys whose entries changed are rendered again, so that the
// operator's formatting and comments in the other keys survive, and every
// change is checked before it is returned. The checks fail closed:
//
//   - the result must parse without errors (awsauth.Parse), because a
//     document with an error is rejected as a whole by the authenticator;
//   - the change must not remove the last administrator mapping (an entry
//     with the group system:masters) other than the cluster creator's, who
//     keeps an implicit administrator access in CONFIG_MAP mode.
//
// Guard.Force skips both checks; the CLI exposes it as --force.
package awsauthedit
