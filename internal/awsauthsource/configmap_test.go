package awsauthsource

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func configMap(namespace, name, rv string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, ResourceVersion: rv},
		Data:       data,
	}
}

func awsAuth(rv string, data map[string]string) *corev1.ConfigMap {
	return configMap(DefaultNamespace, DefaultName, rv, data)
}

// fakeCluster is a fake clientset that signals when the informer's watch is
// established: the fake does not replay events that happen between its list
// and its watch, so a test must not change objects before.
type fakeCluster struct {
	*fake.Clientset
	watching chan struct{}
}

func newFakeCluster(objs ...runtime.Object) *fakeCluster {
	c := &fakeCluster{Clientset: fake.NewClientset(objs...), watching: make(chan struct{}, 16)}
	c.PrependWatchReactor("configmaps", func(a clienttesting.Action) (bool, watch.Interface, error) {
		w, err := c.Tracker().Watch(a.GetResource(), a.GetNamespace())
		if err != nil {
			return false, nil, err
		}
		select {
		case c.watching <- struct{}{}:
		default:
		}
		return true, w, nil
	})
	return c
}

func (c *fakeCluster) update(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	if _, err := c.CoreV1().ConfigMaps(cm.Namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (c *fakeCluster) create(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	if _, err := c.CoreV1().ConfigMaps(cm.Namespace).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (c *fakeCluster) remove(t *testing.T, namespace, name string) {
	t.Helper()
	if err := c.CoreV1().ConfigMaps(namespace).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// runConfigMapSource starts a source on c and waits until it has synced and
// watches, so that later changes reach it.
func runConfigMapSource(t *testing.T, c *fakeCluster, opts ConfigMapOptions) (*ConfigMapSource, *recorder, *logCapture) {
	t.Helper()
	rec, logs := &recorder{}, newLogCapture()
	opts.Logger, opts.Now = slog.New(logs), fixedClock
	s, err := NewConfigMapSource(c, rec.sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	})
	waitFor(t, "initial sync", s.HasSynced)
	select {
	case <-c.watching:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for the watch")
	}
	return s, rec, logs
}

func TestConfigMapSourceLifecycle(t *testing.T) {
	c := newFakeCluster(
		awsAuth("1", map[string]string{"mapRoles": rolesAdmin}),
		configMap(DefaultNamespace, "other", "1", map[string]string{"mapRoles": badYAML}),
		configMap("default", DefaultName, "1", map[string]string{"mapRoles": badYAML}),
	)
	s, rec, logs := runConfigMapSource(t, c, ConfigMapOptions{})
	const source = "configmap kube-system/aws-auth"

	// Initial load; the other ConfigMaps are not ours.
	if all := rec.all(); len(all) != 1 || all[0].Doc == nil || len(all[0].Doc.Roles) != 1 || all[0].Version != "1" {
		t.Fatalf("updates after sync = %+v, want the initial version only", all)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 1, lastVersion: "1"})
	if got := s.Status().Source; got != source {
		t.Errorf("Source = %q, want %q", got, source)
	}

	// Good update.
	c.update(t, awsAuth("2", map[string]string{"mapRoles": rolesAdmin, "mapUsers": usersAlice}))
	waitFor(t, "version 2", func() bool { return s.Status().Reloads == 2 })
	if u := rec.last(t); u.Doc == nil || len(u.Doc.Users) != 1 || u.Version != "2" {
		t.Fatalf("update = %+v, want version 2", u)
	}

	// Broken YAML: the last good version stays in force.
	c.update(t, awsAuth("3", map[string]string{"mapRoles": badYAML}))
	waitFor(t, "version 3 rejected", func() bool { return s.Status().Errors == 1 })
	checkStatus(t, s.Status(), statusCheck{reloads: 2, errors: 1, lastVersion: "2", errorContains: "version 3: aws-auth mapRoles"})
	rejected := logs.find("aws-auth rejected")
	if len(rejected) != 1 || rejected[0].level != slog.LevelError || rejected[0].attrs["source"] != source ||
		rejected[0].attrs["version"] != "3" || rejected[0].attrs["error"] == "" {
		t.Errorf("rejection logs = %+v", rejected)
	}

	// Error-severity problems: rejected whole. Then a label-only edit of the
	// same data, which must not be judged again.
	invalid := map[string]string{"mapRoles": rolesAdmin + badARN}
	c.update(t, awsAuth("4", invalid))
	relabeled := awsAuth("5", invalid)
	relabeled.Labels = map[string]string{"touched": "yes"}
	c.update(t, relabeled)
	// Events arrive in order: once version 6 is in, 4 and 5 were processed.
	c.update(t, awsAuth("6", map[string]string{"mapRoles": rolesAdmin}))
	waitFor(t, "version 6", func() bool { return s.Status().Reloads == 3 })
	if all := rec.all(); len(all) != 3 || all[2].Version != "6" {
		t.Fatalf("updates = %+v, want versions 1, 2, 6", all)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 3, errors: 2, lastVersion: "6"})
	if got := logs.find("aws-auth rejected"); len(got) != 2 || got[1].attrs["version"] != "4" {
		t.Errorf("rejection logs = %+v, want versions 3 and 4", got)
	}

	// Changes to other ConfigMaps are ignored; deleting ours empties the mapping.
	c.remove(t, DefaultNamespace, "other")
	c.remove(t, DefaultNamespace, DefaultName)
	waitFor(t, "deletion", func() bool { return s.Status().Reloads == 4 })
	if u := rec.last(t); u.Doc != nil {
		t.Fatalf("update after deletion = %+v, want the empty mapping", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, deleted: true, reloads: 4, errors: 2, lastVersion: "6"})
	if w := logs.find("aws-auth deleted; mapping is now empty"); len(w) != 1 || w[0].level != slog.LevelWarn {
		t.Errorf("deletion logs = %+v, want one WARN", w)
	}

	// Recreation.
	c.create(t, awsAuth("7", map[string]string{"mapUsers": usersAlice}))
	waitFor(t, "recreation", func() bool { return s.Status().Reloads == 5 })
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 5, errors: 2, lastVersion: "7"})
	if n := len(rec.all()); n != 5 {
		t.Errorf("%d updates, want 5", n)
	}
}

func TestConfigMapSourceAbsentAtStart(t *testing.T) {
	c := newFakeCluster()
	s, rec, logs := runConfigMapSource(t, c, ConfigMapOptions{})
	if all := rec.all(); len(all) != 1 || all[0].Doc != nil {
		t.Fatalf("updates after sync = %+v, want one empty mapping", all)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, deleted: true, reloads: 1})
	if len(logs.find("aws-auth not found; mapping is empty")) != 1 {
		t.Error("absence at start not logged")
	}
	if len(logs.find("aws-auth deleted; mapping is now empty")) != 0 {
		t.Error("absence at start logged as a deletion")
	}
	c.create(t, awsAuth("1", map[string]string{"mapRoles": rolesAdmin}))
	waitFor(t, "creation", func() bool { return s.Status().Reloads == 2 })
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 2, lastVersion: "1"})
}

func TestConfigMapSourceMalformedAtStart(t *testing.T) {
	c := newFakeCluster(awsAuth("1", map[string]string{"mapRoles": badARN}))
	s, rec, _ := runConfigMapSource(t, c, ConfigMapOptions{})
	if n := len(rec.all()); n != 0 {
		t.Fatalf("sink called %d times for a malformed initial version", n)
	}
	checkStatus(t, s.Status(), statusCheck{errors: 1, errorContains: "invalid-arn"})
	if r := s.Status().Rejected; r == nil || r.Version != "1" || r.Data["mapRoles"] != badARN || r.Text != "" || !strings.Contains(r.Error, "invalid-arn") {
		t.Errorf("Rejected = %+v, want version 1 with its data and error", r)
	}
	c.update(t, awsAuth("2", map[string]string{"mapRoles": rolesAdmin}))
	waitFor(t, "the fix", func() bool { return s.Status().Healthy })
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 1, errors: 1, lastVersion: "2"})
	if r := s.Status().Rejected; r != nil {
		t.Errorf("Rejected = %+v after a good version", r)
	}
}

func TestConfigMapSourceOtherNamespaceAndName(t *testing.T) {
	c := newFakeCluster(
		awsAuth("1", map[string]string{"mapRoles": badYAML}),
		configMap("kubeiam", "mapping", "9", map[string]string{"mapRoles": rolesAdmin}),
	)
	s, rec, _ := runConfigMapSource(t, c, ConfigMapOptions{Namespace: "kubeiam", Name: "mapping"})
	if all := rec.all(); len(all) != 1 || all[0].Version != "9" {
		t.Fatalf("updates = %+v, want kubeiam/mapping version 9", all)
	}
	if got := s.Status().Source; got != "configmap kubeiam/mapping" {
		t.Errorf("Source = %q", got)
	}
}

// TestConfigMapSourceListForbidden: without RBAC the source never syncs, and
// says why.
func TestConfigMapSourceListForbidden(t *testing.T) {
	c := newFakeCluster()
	c.PrependReactor("list", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("RBAC says no"))
	})
	rec, logs := &recorder{}, newLogCapture()
	s, err := NewConfigMapSource(c, rec.sink, ConfigMapOptions{Logger: slog.New(logs), Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "the error in Status", func() bool { return s.Status().LastError != "" })
	st := s.Status()
	if s.HasSynced() || st.Healthy || !strings.Contains(st.LastError, "RBAC says no") {
		t.Errorf("status = %+v, synced = %v", st, s.HasSynced())
	}
	if len(logs.find("aws-auth watch failed")) == 0 {
		t.Error("list failure not logged")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("sink called %d times without a sync", n)
	}
}

func TestNewConfigMapSourceValidates(t *testing.T) {
	if _, err := NewConfigMapSource(nil, (&recorder{}).sink, ConfigMapOptions{}); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := NewConfigMapSource(fake.NewClientset(), nil, ConfigMapOptions{}); !errors.Is(err, ErrNoSink) {
		t.Errorf("nil sink: err = %v, want ErrNoSink", err)
	}
}

func TestConfigMapSourceRunTwice(t *testing.T) {
	c := newFakeCluster()
	s, _, _ := runConfigMapSource(t, c, ConfigMapOptions{})
	if err := s.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
}
