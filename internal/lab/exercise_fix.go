package lab

import (
	"fmt"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
)

// fixInput is what the exercise's fixing steps name.
type fixInput struct {
	mode access.Mode
	// admin is the admin kubeconfig, awsAuthFile the aws-auth fix, as a
	// shell spells them; kubeiam is how to spell kubeiam.
	admin, awsAuthFile, kubeiam string
	developer                   string // the developer's ARN
	server, caFile              string // the kubeiam server and its CA
}

// fixSteps returns the exercise's steps from 3 on: fixing the developer the
// ways the cluster's authentication mode allows, and no other (EKS user
// guide, "Change authentication mode to use access entries": CONFIG_MAP
// reads aws-auth only, API access entries only), then the console.
func fixSteps(in fixInput) string {
	var b strings.Builder
	n := 3
	step := func(heading string, lines ...string) {
		fmt.Fprintf(&b, "  # %d. %s\n", n, heading)
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
		b.WriteString("\n")
		n++
	}
	k, admin := in.kubeiam, in.admin
	if in.mode.UsesConfigMap() {
		step("Fix it in aws-auth (the mode is "+string(in.mode)+"), with the lab's admin kubeconfig (a static token in system:masters):",
			"kubectl --kubeconfig "+admin+" apply -f "+in.awsAuthFile,
			"kubectl get svc",
			"#    The developer now lists services, read-only: mapped in the group "+developersGroup+", which may view. The same fix, by hand:",
			"#      "+k+" aws-auth add-user --kubeconfig "+admin+" --arn "+in.developer+" --username developer --groups "+developersGroup,
			"#      kubectl --kubeconfig "+admin+" create clusterrolebinding "+developersBinding+" --clusterrole=view --group="+developersGroup)
	}
	entry := []string{
		k + " access-entry create --profile creator --principal-arn " + in.developer,
		k + " access-policy associate --profile creator --principal-arn " + in.developer + " --policy-arn AmazonEKSViewPolicy --scope cluster",
		"kubectl get svc",
		"#    The developer lists services, read-only (AmazonEKSViewPolicy).",
	}
	switch in.mode {
	case access.ModeConfigMap:
		step("Or fix it with access entries, the EKS API way, as the creator (undo step 3 first); CONFIG_MAP ignores them, so move the mode one step (one way) first:",
			append([]string{
				"kubectl --kubeconfig " + admin + " -n kube-system delete configmap aws-auth",
				k + " cluster update-config --profile creator --authentication-mode API_AND_CONFIG_MAP",
			}, entry...)...)
	case access.ModeAPIAndConfigMap:
		step("Or fix it with access entries, the EKS API way, as the creator (undo step 3 first):",
			append([]string{"kubectl --kubeconfig " + admin + " -n kube-system delete configmap aws-auth"}, entry...)...)
	default:
		step("Fix it with access entries, the EKS API way, as the creator (the mode is "+string(in.mode)+", which ignores aws-auth):", entry...)
	}
	step("All of it in the web console, as the creator (it prints its URL; add --open):",
		k+" console --profile creator --kubeconfig "+admin+" --server "+in.server+" --ca-file "+in.caFile)
	return b.String()
}
