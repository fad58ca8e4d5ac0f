package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/bolt"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
)

// storeSyncTimeout bounds the first list of the kubernetes store.
const storeSyncTimeout = time.Minute

// openStoreSpec opens a store named on the command line: "bolt:PATH" (the
// embedded store file, e.g. /var/lib/kubeiam/kubeiam.db; the server using it
// must be stopped) or "kubernetes" (kubeiam.io resources, with kubeconfig's
// credentials, or the usual kubectl configuration when empty).
func openStoreSpec(ctx context.Context, spec, kubeconfig string) (store.Port, error) {
	switch {
	case strings.HasPrefix(spec, "bolt:") && len(spec) > len("bolt:"):
		path := filepath.Clean(strings.TrimPrefix(spec, "bolt:"))
		b, err := bolt.Open(path, time.Second)
		if err != nil {
			return nil, err
		}
		s, err := store.Open(b)
		if err != nil {
			_ = b.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return s, nil
	case spec == "kubernetes":
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = kubeconfig
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
		rc.QPS, rc.Burst = kubestore.ClientQPS, kubestore.ClientBurst
		client, err := dynamic.NewForConfig(rc)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
		ks, err := kubestore.New(kubestore.Config{Client: client})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, storeSyncTimeout)
		defer cancel()
		if err := ks.WaitForSync(ctx); err != nil {
			_ = ks.Close()
			_, last := ks.BrokenFor()
			return nil, errors.Join(fmt.Errorf("read kubeiam's resources from %s (are the CRDs installed? kubectl apply -f deploy/base/crds)", rc.Host), last)
		}
		return ks, nil
	}
	return nil, withExitCode(2, fmt.Errorf("store %q: want bolt:PATH or kubernetes", spec))
}

func newStoreCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Move the access management state between stores",
		Long: `Store works on kubeiam's access management state directly, without a server:
the embedded store ("bolt:PATH", the file kubeiam.db in the server's state
directory; stop the server first, it holds a lock) or the kubernetes store
("kubernetes": kubeiam.io AccessEntry and AccessConfig resources).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withExitCode(2, fmt.Errorf("%s needs a subcommand; see %s --help", cmd.CommandPath(), cmd.CommandPath()))
		},
	}
	cmd.AddCommand(newStoreCopyCommand(s))
	return cmd
}

func newStoreCopyCommand(s IO) *cobra.Command {
	var from, to, kubeconfig string
	cmd := &cobra.Command{
		Use:   "copy --from bolt:PATH --to kubernetes",
		Short: "Copy access entries, associations and the cluster configuration into another store",
		Long: `Copy copies every access entry (with its policy associations) and then the cluster's
access configuration from one store into another, typically from the embedded
store of a single server into the cluster's API before running replicas with
"kubeiam server --store kubernetes".

It is idempotent: what the target has already is kept and reported (an entry of the
same principal is never overwritten; the authentication mode only moves forward),
so it can be run again after an interruption.
Exit status: 0 copied, 1 failed, 2 bad usage.`,
		Example: `  # Stop the server, then:
  kubeiam store copy --from bolt:/var/lib/kubeiam/kubeiam.db --to kubernetes --kubeconfig admin.kubeconfig`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return withExitCode(2, errors.New("--from and --to are required, e.g. --from bolt:/var/lib/kubeiam/kubeiam.db --to kubernetes"))
			}
			src, err := openStoreSpec(cmd.Context(), from, kubeconfig)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := openStoreSpec(cmd.Context(), to, kubeconfig)
			if err != nil {
				return err
			}
			defer dst.Close()
			r, err := store.Copy(src, dst)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "access entries: %d created, %d already present", len(r.Created), len(r.Present))
			if len(r.Differ) > 0 {
				fmt.Fprintf(s.Out, ", %d kept as the target has them (different): %s", len(r.Differ), strings.Join(r.Differ, ", "))
			}
			fmt.Fprintf(s.Out, "\ncluster configuration: %s\n", r.Cluster)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source store: bolt:PATH or kubernetes")
	cmd.Flags().StringVar(&to, "to", "", "target store: bolt:PATH or kubernetes")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "credentials for the kubernetes store (default: $KUBECONFIG or ~/.kube/config)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	return cmd
}

func newEntryExportCommand(s IO) *cobra.Command {
	var from, kubeconfig string
	cmd := &cobra.Command{
		Use:   "export [--from kubernetes|bolt:PATH]",
		Short: "Write the access state as kubeiam.io manifests for kubectl apply",
		Long: `Export writes the cluster's access configuration and every access entry, with its
policy associations, as kubeiam.io/v1alpha1 AccessConfig and AccessEntry manifests:
a backup, and the starting point of a GitOps repository. "kubectl apply -f" of the
output recreates the same state in a cluster whose kubeiam runs with
"--store kubernetes". It reads the store directly, not through the API.
Exit status: 0 written, 1 failed, 2 bad usage.`,
		Example: `  kubeiam access-entry export > access-entries.yaml
  kubeiam access-entry export --from bolt:/var/lib/kubeiam/kubeiam.db > access-entries.yaml
  kubectl apply -f access-entries.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := openStoreSpec(cmd.Context(), from, kubeconfig)
			if err != nil {
				return err
			}
			defer src.Close()
			snap, err := src.Snapshot()
			if err != nil {
				return err
			}
			return kubestore.Export(s.Out, snap)
		},
	}
	cmd.Flags().StringVar(&from, "from", "kubernetes", "store to read: kubernetes or bolt:PATH")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "credentials for the kubernetes store (default: $KUBECONFIG or ~/.kube/config)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	return cmd
}

func newEntryNameCommand(s IO) *cobra.Command {
	var principal string
	cmd := &cobra.Command{
		Use:   "name --principal-arn ARN",
		Short: "Print the name of a principal's AccessEntry object (for kubectl apply)",
		Long: `Name prints the metadata.name the principal's kubeiam.io AccessEntry must have:
kubeiam derives it from the principal, so that there is one entry per principal,
and ignores an AccessEntry named otherwise. No server is contacted.
Exit status: 0 printed, 2 bad usage.`,
		Example: `  kubeiam access-entry name --principal-arn arn:aws:iam::111122223333:role/Dev`,
		Args:    cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := requirePrincipal(principal); err != nil {
				return err
			}
			name, err := v1alpha1.AccessEntryName(principal)
			if err != nil {
				return withExitCode(2, err)
			}
			fmt.Fprintln(s.Out, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&principal, "principal-arn", "", "IAM user or role")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	return cmd
}
