package kubestore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

func object(t *testing.T, spec map[string]any, kind, name string) *unstructured.Unstructured {
	t.Helper()
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.Group + "/" + v1alpha1.Version, "kind": kind,
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
}

// TestCRDRulesRefuseWhatCELCanExpress: the API server itself refuses, for
// any client (kubectl included), what the CRD's schema and CEL rules say.
func TestCRDRulesRefuseWhatCELCanExpress(t *testing.T) {
	client := apiClient(t)
	reset(t, client)
	ctx := context.Background()
	entries := client.Resource(v1alpha1.AccessEntryGVR())
	name, _ := v1alpha1.AccessEntryName(storetest.RoleARN("Dev"))
	for what, spec := range map[string]map[string]any{
		"system: group":         {"principalArn": storetest.RoleARN("Dev"), "kubernetesGroups": []any{"system:masters"}},
		"reserved username":     {"principalArn": storetest.RoleARN("Dev"), "username": "eks:me"},
		"root principal":        {"principalArn": "arn:aws:iam::111122223333:root"},
		"unknown type":          {"principalArn": storetest.RoleARN("Dev"), "type": "ADMIN"},
		"policies on a node":    {"principalArn": storetest.RoleARN("Dev"), "type": "EC2_LINUX", "accessPolicies": []any{map[string]any{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "accessScope": map[string]any{"type": "cluster"}}}},
		"namespaces on cluster": {"principalArn": storetest.RoleARN("Dev"), "accessPolicies": []any{map[string]any{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "accessScope": map[string]any{"type": "cluster", "namespaces": []any{"dev"}}}}},
		"namespace scope, none": {"principalArn": storetest.RoleARN("Dev"), "accessPolicies": []any{map[string]any{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "accessScope": map[string]any{"type": "namespace"}}}},
	} {
		_, err := entries.Create(ctx, object(t, spec, "AccessEntry", name), metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("%s: create = %v, want Invalid", what, err)
		}
	}
	// principalArn is immutable.
	u, err := entries.Create(ctx, object(t, map[string]any{"principalArn": storetest.RoleARN("Dev")}, "AccessEntry", name), metav1.CreateOptions{})
	mustNil(t, err)
	mustNil(t, unstructured.SetNestedField(u.Object, storetest.RoleARN("Other"), "spec", "principalArn"))
	if _, err := entries.Update(ctx, u, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing principalArn = %v, want Invalid: immutable", err)
	}

	// The mode moves one step at a time and one way, whoever writes the
	// AccessConfig.
	configs := client.Resource(v1alpha1.AccessConfigGVR())
	cfg, err := kubestoreConfigObject(t, access.ModeConfigMap)
	mustNil(t, err)
	c, err := configs.Create(ctx, cfg, metav1.CreateOptions{})
	mustNil(t, err)
	mustNil(t, unstructured.SetNestedField(c.Object, string(access.ModeAPI), "spec", "authenticationMode"))
	if _, err := configs.Update(ctx, c, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "one step at a time") {
		t.Errorf("mode CONFIG_MAP to API = %v, want Invalid: one step at a time", err)
	}
	mustNil(t, unstructured.SetNestedField(c.Object, string(access.ModeAPIAndConfigMap), "spec", "authenticationMode"))
	c, err = configs.Update(ctx, c, metav1.UpdateOptions{})
	mustNil(t, err)
	mustNil(t, unstructured.SetNestedField(c.Object, string(access.ModeConfigMap), "spec", "authenticationMode"))
	if _, err := configs.Update(ctx, c, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "one-way") {
		t.Errorf("mode back to CONFIG_MAP = %v, want Invalid: one-way", err)
	}
	// The update history is checked too: a status EKS does not have is
	// refused.
	mustNil(t, unstructured.SetNestedField(c.Object, string(access.ModeAPIAndConfigMap), "spec", "authenticationMode"))
	mustNil(t, unstructured.SetNestedSlice(c.Object, []any{map[string]any{"id": "u1", "status": "Done", "type": "AccessConfigUpdate",
		"createdAt": "2026-01-02T03:04:05Z"}}, "status", "updates"))
	if _, err := configs.Update(ctx, c, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "status.updates[0].status") {
		t.Errorf("an update with status Done = %v, want Invalid", err)
	}
	other, err := kubestoreConfigObject(t, access.ModeAPI)
	mustNil(t, err)
	other.SetName("other")
	if _, err := configs.Create(ctx, other, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("a second AccessConfig = %v, want Invalid", err)
	}
}

func kubestoreConfigObject(t *testing.T, mode access.Mode) (*unstructured.Unstructured, error) {
	t.Helper()
	cfg := storetest.Config()
	cfg.AuthenticationMode = mode
	obj := kubestore.ConfigObject(cfg)
	return kubestore.ToUnstructured(obj)
}

// TestAppliedObjectsAreHeldToTheAPIRules: an AccessEntry the CRD accepts
// but the EKS API would refuse (here: misnamed, which would allow a second
// entry for a principal) is ignored by the store.
func TestAppliedObjectsAreHeldToTheAPIRules(t *testing.T) {
	client := apiClient(t)
	reset(t, client)
	s := newStore(t, client)
	ctx := context.Background()
	entries := client.Resource(v1alpha1.AccessEntryGVR())
	_, err := s.PutCluster(storetest.Config(), 0)
	mustNil(t, err)
	mustNil(t, s.CreateEntry(storetest.Entry(t, storetest.RoleARN("Dev"), "devs")))
	twin := object(t, map[string]any{"principalArn": storetest.RoleARN("dev"), "kubernetesGroups": []any{"admins"}}, "AccessEntry", "my-dev")
	if _, err := entries.Create(ctx, twin, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	good := object(t, map[string]any{"principalArn": storetest.RoleARN("Applied"), "kubernetesGroups": []any{"ops"}}, "AccessEntry", mustName(t, storetest.RoleARN("Applied")))
	if _, err := entries.Create(ctx, good, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { _, err := s.GetEntry(storetest.RoleARN("Applied")); return err == nil })
	snap, err := s.Snapshot()
	mustNil(t, err)
	if len(snap.Entries) != 2 {
		t.Fatalf("entries in force: %v; want Dev and Applied, not the misnamed twin", snap.Entries)
	}
	if e, _ := s.GetEntry(storetest.RoleARN("Dev")); len(e.KubernetesGroups) != 1 || e.KubernetesGroups[0] != "devs" {
		t.Fatalf("Dev's entry = %+v; the twin must not replace it", e)
	}
	applied, _ := s.GetEntry(storetest.RoleARN("Applied"))
	if !strings.Contains(applied.AccessEntryARN, ":access-entry/prod/role/111122223333/Applied/") || applied.Username == "" {
		t.Fatalf("applied entry = %+v; want it completed like a created one", applied)
	}
}

func mustName(t *testing.T, principal string) string {
	t.Helper()
	n, err := v1alpha1.AccessEntryName(principal)
	mustNil(t, err)
	return n
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
