// Package kubetest holds test helpers for the kube package: a fake
// clientset whose ConfigMaps have real optimistic concurrency, and a
// concurrent-writers check that runs against any kubernetes.Interface, so
// that the same test can run against a real kube-apiserver.
package kubetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/awsauthedit"
	"github.com/kubeiam/kubeiam/internal/kube"
)

// Fake is a fake clientset whose ConfigMap updates are refused with a
// Conflict unless they carry the stored resourceVersion, as kube-apiserver
// does; the client-go fake alone accepts any update and would hide lost
// writes.
type Fake struct {
	*fake.Clientset
	// Conflicts counts the updates and creates refused.
	Conflicts atomic.Int64
	mu        sync.Mutex
	updates   int
	// interfereEvery makes every Nth otherwise valid update fail as if
	// another writer had just written (0: never).
	interfereEvery int
}

// NewFake returns a Fake holding objs. interfereEvery > 0 also simulates a
// foreign write before every interfereEvery-th update, so that conflicts
// happen however the goroutines are scheduled.
func NewFake(interfereEvery int, objs ...runtime.Object) *Fake {
	f := &Fake{Clientset: fake.NewSimpleClientset(objs...), interfereEvery: interfereEvery}
	f.PrependReactor("update", "configmaps", f.update)
	f.PrependReactor("create", "configmaps", f.create)
	return f
}

var configMaps = corev1.SchemeGroupVersion.WithResource("configmaps")

func (f *Fake) update(action k8stesting.Action) (bool, runtime.Object, error) {
	obj := action.(k8stesting.UpdateAction).GetObject().(*corev1.ConfigMap).DeepCopy()
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, err := f.Tracker().Get(configMaps, obj.Namespace, obj.Name)
	if err != nil {
		return true, nil, err
	}
	stored := cur.(*corev1.ConfigMap)
	next := strconv.Itoa(rv(stored) + 1)
	if obj.ResourceVersion != stored.ResourceVersion {
		f.Conflicts.Add(1)
		return true, nil, conflict(obj.Name)
	}
	if f.updates++; f.interfereEvery > 0 && f.updates%f.interfereEvery == 0 {
		foreign := stored.DeepCopy()
		foreign.ResourceVersion = next
		if err := f.Tracker().Update(configMaps, foreign, foreign.Namespace); err != nil {
			return true, nil, err
		}
		f.Conflicts.Add(1)
		return true, nil, conflict(obj.Name)
	}
	obj.ResourceVersion = next
	if err := f.Tracker().Update(configMaps, obj, obj.Namespace); err != nil {
		return true, nil, err
	}
	return true, obj, nil
}

func (f *Fake) create(action k8stesting.Action) (bool, runtime.Object, error) {
	obj := action.(k8stesting.CreateAction).GetObject().(*corev1.ConfigMap).DeepCopy()
	f.mu.Lock()
	defer f.mu.Unlock()
	obj.ResourceVersion = "1"
	if err := f.Tracker().Create(configMaps, obj, obj.Namespace); err != nil {
		if apierrors.IsAlreadyExists(err) {
			f.Conflicts.Add(1)
		}
		return true, nil, err
	}
	return true, obj, nil
}

func rv(cm *corev1.ConfigMap) int {
	n, _ := strconv.Atoi(cm.ResourceVersion)
	return n
}

func conflict(name string) error {
	return apierrors.NewConflict(configMaps.GroupResource(), name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
}

// RoleARN is the role ConcurrentWriters' writer i maps.
func RoleARN(i int) string { return fmt.Sprintf("arn:aws:iam::111122223333:role/writer-%03d", i) }

// ConcurrentWriters has writers goroutines each add its own role to the
// aws-auth ConfigMap namespace/name through kube.ConfigMap.Update at the
// same time, then checks that no entry was lost and that what was there
// before (other data keys, labels, annotations) is still there. The
// ConfigMap may exist or not; client may be a Fake or a real cluster's.
func ConcurrentWriters(t testing.TB, client kubernetes.Interface, namespace, name string, writers int) {
	t.Helper()
	ctx := context.Background()
	cm := kube.NewConfigMap(client, namespace, name)
	before, err := cm.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			edit := awsauthedit.AddRole{ARN: RoleARN(i), Username: fmt.Sprintf("writer-%d", i), Groups: []string{"writers"}}
			_, err := cm.Update(ctx, func(cur kube.Snapshot) (map[string]string, error) {
				r, err := awsauthedit.Change(cur.Data, edit, awsauthedit.Guard{})
				return r.Data, err
			})
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	after, err := cm.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doc, ps, err := awsauth.Parse(after.Data)
	if err != nil || ps.HasErrors() {
		t.Fatalf("final aws-auth does not parse: %v %v", err, ps.Errors())
	}
	mapped := map[string]int{}
	for _, r := range doc.Roles {
		mapped[r.RoleARN]++
	}
	for i := range writers {
		if mapped[RoleARN(i)] != 1 {
			t.Errorf("%s is mapped %d times, want once (a lost or repeated write)", RoleARN(i), mapped[RoleARN(i)])
		}
	}
	for k, v := range before.Data {
		if k != awsauth.KeyMapRoles && after.Data[k] != v {
			t.Errorf("data key %s changed: %q, was %q", k, after.Data[k], v)
		}
	}
	for k, v := range before.Labels {
		if after.Labels[k] != v {
			t.Errorf("label %s lost", k)
		}
	}
	for k, v := range before.Annotations {
		if after.Annotations[k] != v {
			t.Errorf("annotation %s lost", k)
		}
	}
}
