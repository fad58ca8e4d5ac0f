// Package ec2dns is the adapter behind {{EC2PrivateDNSName}}: it resolves
// an EC2 instance ID to the instance's private DNS name through EC2
// DescribeInstances, as aws-iam-authenticator's EC2 provider does.
//
// A node authenticates with a role session named after its instance ID
// (i-0123456789abcdef0), and its aws-auth mapping names it
// system:node:{{EC2PrivateDNSName}}. Every webhook request resolves the
// mapping afresh, so lookups are cheap by design:
//   - instance IDs are checked locally first, and a malformed one never
//     reaches EC2;
//   - names are cached by instance ID (15 minutes by default: an
//     instance's private DNS name does not change while it exists), and
//     "not found" briefly (30 seconds), because a new instance may not be
//     visible to DescribeInstances yet;
//   - lookups that arrive within a short window share one
//     DescribeInstances call naming up to MaxBatch instances, and
//     identical concurrent lookups share one entry in it.
//
// Anyone allowed to assume the node role chooses its session name, so the
// instance ID, and with it the node name, is only as trustworthy as that
// role's trust policy. That is EKS's model too.
package ec2dns
