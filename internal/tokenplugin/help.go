package tokenplugin

// Long is the help text of "kubeiam token" and "kubeiam-token".
const Long = `Print a token that authenticates you to a Kubernetes cluster with your AWS IAM
identity: an STS GetCallerIdentity request presigned with your AWS credentials
and bound to the cluster by the signed x-k8s-aws-id header. The cluster's
"kubeiam server" (or aws-iam-authenticator, or Amazon EKS) asks STS who signed
it. kubectl runs this as an exec credential plugin, for every command.

kubeiam-token is the fast form: a small binary that prints a cached token
without loading the AWS SDK, and hands over to "kubeiam token" (the kubeiam
binary next to it, or on PATH) to mint a new one. "kubeiam token" takes the
same flags. "kubeiam kubeconfig" writes this for you:

  users:
  - name: my-cluster
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: kubeiam-token
        args: ["--cluster-name", "my-cluster"]
        # args: ["--cluster-name", "my-cluster", "--role-arn", "arn:aws:iam::111122223333:role/k8s-admin"]
        env:
        - name: AWS_PROFILE
          value: my-profile
        interactiveMode: IfAvailable

Credentials come from the AWS SDK's default chain: --profile, then
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity, AWS_PROFILE or the
"default" profile (including SSO and roles with mfa_serial), containers and
EC2 instance roles. A profile with mfa_serial asks for the MFA code on the
terminal when kubectl lets the plugin prompt (interactiveMode IfAvailable or
Always), and keeps the role's session credentials in a private cache, so the
code is asked once per session, not for every kubectl command.

The output is an ExecCredential in the apiVersion kubectl asks for through
KUBERNETES_EXEC_INFO (v1 or v1beta1; v1beta1 when unset); --token-only prints
the bare token. Tokens are valid for 15 minutes, reported as 14, and cached in
a private file until a minute before they expire; --no-cache turns that off.
A change of credentials (other keys, "aws configure", "aws sso login") is a
change of cache entry.

--audience api mints a token for kubeiam's access-management API instead
(x-k8s-aws-id is "kubeiam-api:CLUSTER"), for scripts that call the API with
"Authorization: Bearer": the API refuses cluster tokens, and kube-apiserver
refuses API tokens. kubeiam's own commands mint the right one themselves.

Exit codes: 0 token printed, 1 no token (credentials, STS), 2 bad usage.`

// Example is the examples section of both commands' help.
const Example = `  kubeiam-token --cluster-name my-cluster
  kubeiam token --cluster-name my-cluster --role-arn arn:aws:iam::111122223333:role/k8s-admin --token-only
  AWS_PROFILE=dev kubeiam-token --cluster-name my-cluster --region eu-west-1
  curl -H "Authorization: Bearer $(kubeiam-token --cluster-name my-cluster --audience api --token-only)" ...`
