package kube_test

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/kube/kubetest"
)

func awsAuth() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "aws-auth", ResourceVersion: "7",
			Labels: map[string]string{"app": "eks"}, Annotations: map[string]string{"owner": "platform"}},
		Data: map[string]string{
			"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n",
			"other":    "kept",
		},
		BinaryData: map[string][]byte{"blob": {1, 2}},
	}
}

func TestConcurrentWritersOnFake(t *testing.T) {
	f := kubetest.NewFake(3, awsAuth())
	kubetest.ConcurrentWriters(t, f, "kube-system", "aws-auth", 24)
	if f.Conflicts.Load() == 0 {
		t.Error("no conflict happened; the test proves nothing")
	}
	cm, err := f.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(cm.BinaryData["blob"]) != "\x01\x02" {
		t.Errorf("binaryData lost: %v", cm.BinaryData)
	}
}

func TestConcurrentWritersCreateTheConfigMap(t *testing.T) {
	f := kubetest.NewFake(2)
	kubetest.ConcurrentWriters(t, f, "kube-system", "aws-auth", 20)
	if f.Conflicts.Load() == 0 {
		t.Error("no conflict happened; the test proves nothing")
	}
}

func TestUpdateNoChangeDoesNotWrite(t *testing.T) {
	f := kubetest.NewFake(0, awsAuth())
	cm := kube.NewConfigMap(f, "", "")
	res, err := cm.Update(context.Background(), func(kube.Snapshot) (map[string]string, error) { return nil, kube.ErrNoChange })
	if err != nil || res.Data != nil || !res.Before.Exists || res.Before.ResourceVersion != "7" {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	for _, a := range f.Actions() {
		if a.GetVerb() == "update" || a.GetVerb() == "create" {
			t.Errorf("unexpected %s", a.GetVerb())
		}
	}
}

func TestUpdateGivesUpAfterTheBackoff(t *testing.T) {
	f := kubetest.NewFake(1, awsAuth()) // every update meets a foreign write
	cm := kube.NewConfigMap(f, "kube-system", "aws-auth")
	cm.Backoff = wait.Backoff{Steps: 3}
	res, err := cm.Update(context.Background(), func(s kube.Snapshot) (map[string]string, error) { return s.Data, nil })
	if err == nil || res.Attempts != 3 {
		t.Fatalf("attempts %d, err %v", res.Attempts, err)
	}
}

func TestUpdateMutateErrorStops(t *testing.T) {
	f := kubetest.NewFake(0, awsAuth())
	boom := errors.New("boom")
	_, err := kube.NewConfigMap(f, "", "").Update(context.Background(), func(kube.Snapshot) (map[string]string, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestGetMissing(t *testing.T) {
	s, err := kube.NewConfigMap(kubetest.NewFake(0), "", "").Get(context.Background())
	if err != nil || s.Exists || s.Data == nil {
		t.Fatalf("s = %+v, err = %v", s, err)
	}
}
