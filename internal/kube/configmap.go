// Package kube is kubeiam's client-go adapter for the aws-auth ConfigMap:
// loading the user's kubeconfig, reading the ConfigMap, and changing it with
// optimistic concurrency so that concurrent writers never lose each other's
// changes.
package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Where EKS and aws-iam-authenticator keep the mapping.
const (
	DefaultNamespace = "kube-system"
	DefaultName      = "aws-auth"
)

// ErrNoChange, returned by a mutate function, ends Update without writing.
var ErrNoChange = errors.New("no change")

// DefaultBackoff paces the retries of Update after a conflict: many short,
// jittered waits, because a conflict means another writer just succeeded
// and a fresh read will most likely win.
var DefaultBackoff = wait.Backoff{Steps: 50, Duration: 10 * time.Millisecond, Factor: 1.3, Jitter: 1, Cap: time.Second}

// Snapshot is the ConfigMap as read.
type Snapshot struct {
	// Exists is false when there is no ConfigMap; the other fields are empty.
	Exists          bool
	Namespace, Name string
	ResourceVersion string
	Labels          map[string]string
	Annotations     map[string]string
	Data            map[string]string
}

// ConfigMap reads and changes one ConfigMap. It needs get, create and
// update on configmaps in its namespace.
type ConfigMap struct {
	client    kubernetes.Interface
	namespace string
	name      string
	// Backoff paces retries after conflicts; DefaultBackoff when zero.
	Backoff wait.Backoff
}

// NewConfigMap returns the ConfigMap namespace/name; empty names mean
// kube-system/aws-auth.
func NewConfigMap(client kubernetes.Interface, namespace, name string) *ConfigMap {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if name == "" {
		name = DefaultName
	}
	return &ConfigMap{client: client, namespace: namespace, name: name}
}

// String names the ConfigMap as kubectl does: configmap/NAMESPACE/NAME.
func (c *ConfigMap) String() string { return "configmap/" + c.namespace + "/" + c.name }

// Get reads the ConfigMap. A missing ConfigMap is a Snapshot with Exists
// false, not an error.
func (c *ConfigMap) Get(ctx context.Context) (Snapshot, error) {
	cm, err := c.client.CoreV1().ConfigMaps(c.namespace).Get(ctx, c.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Snapshot{Namespace: c.namespace, Name: c.name, Data: map[string]string{}}, nil
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("read %s: %w", c, err)
	}
	return snapshot(cm), nil
}

func snapshot(cm *corev1.ConfigMap) Snapshot {
	data := maps.Clone(cm.Data)
	if data == nil {
		data = map[string]string{}
	}
	return Snapshot{Exists: true, Namespace: cm.Namespace, Name: cm.Name, ResourceVersion: cm.ResourceVersion,
		Labels: maps.Clone(cm.Labels), Annotations: maps.Clone(cm.Annotations), Data: data}
}

// Updated says what Update did.
type Updated struct {
	// Before is the ConfigMap the write replaced (Exists false when it was
	// created), or the one read when nothing was written.
	Before Snapshot
	// Data is the data written, nil when nothing was.
	Data map[string]string
	// Created is true when the ConfigMap did not exist.
	Created bool
	// Attempts counts the reads, one more than the conflicts met.
	Attempts int
}

// Update changes the ConfigMap's data by read–modify–write: it reads the
// ConfigMap, calls mutate with a copy of its data, and writes the result
// conditioned on the resourceVersion it read (creating the ConfigMap when
// there is none). On a conflict — someone else wrote in between — it reads
// again and calls mutate again, so that mutate always sees, and builds on,
// the latest data: mutate must be a function of its input. Labels,
// annotations, binaryData and every other field are kept.
//
// mutate returning ErrNoChange ends Update without a write; any other error
// ends it with that error.
func (c *ConfigMap) Update(ctx context.Context, mutate func(current Snapshot) (map[string]string, error)) (Updated, error) {
	backoff := c.Backoff
	if backoff.Steps == 0 {
		backoff = DefaultBackoff
	}
	var res Updated
	err := retry.RetryOnConflict(backoff, func() error {
		res = Updated{Attempts: res.Attempts + 1}
		cm, err := c.client.CoreV1().ConfigMaps(c.namespace).Get(ctx, c.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			res.Before = Snapshot{Namespace: c.namespace, Name: c.name, Data: map[string]string{}}
			cm = nil
		case err != nil:
			return fmt.Errorf("read %s: %w", c, err)
		default:
			res.Before = snapshot(cm)
		}
		data, err := mutate(copySnapshot(res.Before))
		if err != nil {
			return err
		}
		if cm == nil {
			res.Created = true
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: c.namespace, Name: c.name}, Data: data}
			if _, err := c.client.CoreV1().ConfigMaps(c.namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				if apierrors.IsAlreadyExists(err) {
					// Someone created it since our read: a conflict like any other.
					return apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, c.name, err)
				}
				return fmt.Errorf("create %s: %w", c, err)
			}
			res.Data = data
			return nil
		}
		cm = cm.DeepCopy()
		cm.Data = data
		if _, err := c.client.CoreV1().ConfigMaps(c.namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsConflict(err) {
				return err
			}
			return fmt.Errorf("update %s: %w", c, err)
		}
		res.Data = data
		return nil
	})
	if errors.Is(err, ErrNoChange) {
		return res, nil
	}
	if apierrors.IsConflict(err) {
		return res, fmt.Errorf("update %s: still conflicting after %d attempts, other writers keep changing it; try again: %w", c, res.Attempts, err)
	}
	return res, err
}

func copySnapshot(s Snapshot) Snapshot {
	s.Labels, s.Annotations, s.Data = maps.Clone(s.Labels), maps.Clone(s.Annotations), maps.Clone(s.Data)
	return s
}
