package kubestore

import (
	"fmt"
	"io"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// manifest is an object as written for kubectl apply: no server-set
// metadata, so that the file applies to any cluster.
type manifest struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   manifestMeta `json:"metadata"`
	Spec       any          `json:"spec"`
}

type manifestMeta struct {
	Name string `json:"name"`
}

// Export writes snap as kubeiam.io/v1alpha1 manifests (the AccessConfig,
// then the AccessEntries in principal key order) separated by "---":
// "kubectl apply -f" of the output recreates the same state in a cluster
// served by the kubernetes store. It is a backup, and the starting point of
// a GitOps repository.
func Export(w io.Writer, snap access.Snapshot) error {
	var docs []manifest
	if snap.Cluster.Version != 0 {
		c := ConfigObject(snap.Cluster)
		docs = append(docs, manifest{APIVersion: c.APIVersion, Kind: c.Kind, Metadata: manifestMeta{Name: c.Name}, Spec: c.Spec})
	}
	keys := make([]string, 0, len(snap.Entries))
	for k := range snap.Entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		obj, err := EntryObject(snap.Entries[k], snap.Associations[k])
		if err != nil {
			return fmt.Errorf("export %s: %w", snap.Entries[k].PrincipalARN, err)
		}
		docs = append(docs, manifest{APIVersion: obj.APIVersion, Kind: obj.Kind, Metadata: manifestMeta{Name: obj.Name}, Spec: obj.Spec})
	}
	if _, err := fmt.Fprintf(w, "# kubeiam access state: %d access entries (%s/%s). Apply with: kubectl apply -f FILE\n",
		len(keys), v1alpha1.Group, v1alpha1.Version); err != nil {
		return err
	}
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
			return err
		}
	}
	return nil
}

// ToUnstructured converts a kubeiam.io object for a dynamic client.
func ToUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	return toUnstructured(obj)
}
