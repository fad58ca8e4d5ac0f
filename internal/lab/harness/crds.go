package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// ApplyCRDs creates (or replaces) every CustomResourceDefinition in the
// YAML files of dir (deploy/base/crds) and waits until each is Established,
// so that its resources can be used at once. The API server checks the
// CEL rules' syntax and cost here.
func ApplyCRDs(ctx context.Context, cfg *rest.Config, dir string) error {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply CRDs: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return fmt.Errorf("apply CRDs: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("apply CRDs: no YAML files in %s", dir)
	}
	crds := client.Resource(crdGVR)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("apply CRDs: %w", err)
		}
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			return fmt.Errorf("apply CRDs: %s: %w", f, err)
		}
		_, err = crds.Create(ctx, &u, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			cur, gerr := crds.Get(ctx, u.GetName(), metav1.GetOptions{})
			if gerr != nil {
				return fmt.Errorf("apply CRDs: %w", gerr)
			}
			u.SetResourceVersion(cur.GetResourceVersion())
			_, err = crds.Update(ctx, &u, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("apply CRDs: %s: %w", f, err)
		}
		if err := waitEstablished(ctx, crds, u.GetName()); err != nil {
			return err
		}
	}
	return nil
}

func waitEstablished(ctx context.Context, crds dynamic.NamespaceableResourceInterface, name string) error {
	for {
		cur, err := crds.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("apply CRDs: %w", err)
		}
		conds, _, _ := unstructured.NestedSlice(cur.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("apply CRDs: %s not established: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
