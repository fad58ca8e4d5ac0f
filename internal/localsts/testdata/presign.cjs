// Presigns an STS GetCallerIdentity request for an EKS cluster with the AWS
// SDK for JavaScript v3's SigV4 signer, as JavaScript EKS token generators
// do: x-k8s-aws-id signed, X-Amz-Expires 60. It prints the presigned URL.
// Credentials and the cluster come from the environment; the modules from
// NODE_PATH (hack/install-js-presigner.sh).
const { SignatureV4 } = require("@smithy/signature-v4");
const { HttpRequest } = require("@smithy/protocol-http");
const { Sha256 } = require("@aws-crypto/sha256-js");

async function main() {
  const region = process.env.AWS_REGION;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    },
    region,
    service: "sts",
    sha256: Sha256,
  });
  const host = `sts.${region}.amazonaws.com`;
  const request = new HttpRequest({
    method: "GET",
    protocol: "https:",
    hostname: host,
    path: "/",
    headers: { host, "x-k8s-aws-id": process.env.CLUSTER_ID },
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
  });
  const signed = await signer.presign(request, { expiresIn: 60 });
  const query = Object.entries(signed.query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  process.stdout.write(`https://${signed.hostname}${signed.path}?${query}\n`);
}

main().catch((err) => {
  process.stderr.write(`presign: ${err}\n`);
  process.exit(1);
});
