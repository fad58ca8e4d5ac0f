package kubestore

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store/memory"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// TestExportRoundTrips decodes what Export writes with the rules the
// store applies to objects from the API: the same entries, associations
// and configuration come back.
func TestExportRoundTrips(t *testing.T) {
	src := storetest.OpenStore(t, memory.New())
	cfg, err := src.PutCluster(storetest.Config(), 0)
	if err != nil {
		t.Fatal(err)
	}
	creator, assoc, err := access.BootstrapCreatorEntry(cfg, storetest.T0)
	if err != nil {
		t.Fatal(err)
	}
	mustNil(t, src.CreateEntry(creator, assoc))
	dev := storetest.Entry(t, "arn:aws:iam::111122223333:role/team/Dev", "devs")
	dev.Tags = map[string]string{"team": "a"}
	mustNil(t, src.CreateEntry(dev))
	_, err = src.Associate(dev.PrincipalARN, authz.EditPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev-*"}}, storetest.T0)
	mustNil(t, err)
	node, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: storetest.RoleARN("Node"), Type: access.EntryEC2Linux}, storetest.Cluster, storetest.Region, storetest.Account, storetest.T0)
	mustNil(t, err)
	mustNil(t, src.CreateEntry(node))
	snap, err := src.Snapshot()
	mustNil(t, err)

	var out bytes.Buffer
	mustNil(t, Export(&out, snap))
	docs := strings.Split(out.String(), "\n---\n")[1:]
	if len(docs) != 4 {
		t.Fatalf("%d documents, want the config and 3 entries:\n%s", len(docs), out.String())
	}
	var gotCfg v1alpha1.AccessConfig
	mustNil(t, yaml.UnmarshalStrict([]byte(docs[0]), &gotCfg))
	gotCfg.Generation = cfg.Version
	c, err := decodeConfig(&gotCfg)
	if err != nil || !reflect.DeepEqual(c, cfg) {
		t.Fatalf("config round trip = %+v, %v; want %+v", c, err, cfg)
	}
	for _, doc := range docs[1:] {
		var obj v1alpha1.AccessEntry
		mustNil(t, yaml.UnmarshalStrict([]byte(doc), &obj))
		d, err := decodeEntry(&obj, access.ClusterConfig{})
		if err != nil {
			t.Fatalf("decode %s: %v", doc, err)
		}
		if want := snap.Entries[d.key]; !reflect.DeepEqual(d.entry, want) {
			t.Errorf("entry round trip = %+v, want %+v", d.entry, want)
		}
		if want := snap.Associations[d.key]; !reflect.DeepEqual(d.assocs, want) {
			t.Errorf("associations round trip = %+v, want %+v", d.assocs, want)
		}
	}
}

// TestDecodeEntryHoldsAppliedObjectsToTheAPIRules: an object written with
// kubectl is refused for what CreateAccessEntry refuses, and must carry
// the name that makes it the principal's only entry.
func TestDecodeEntryHoldsAppliedObjectsToTheAPIRules(t *testing.T) {
	cfg := storetest.Config()
	cfg.Version = 1
	good := func() *v1alpha1.AccessEntry {
		o, err := EntryObject(storetest.Entry(t, storetest.RoleARN("Dev")), nil)
		mustNil(t, err)
		o.Spec.AccessEntryARN, o.Spec.CreatedAt, o.Spec.ModifiedAt = "", "", ""
		return o
	}
	if d, err := decodeEntry(good(), cfg); err != nil || !strings.Contains(d.entry.AccessEntryARN, ":access-entry/prod/role/") {
		t.Fatalf("a minimal applied entry = %+v, %v; want it placed in the cluster", d.entry, err)
	}
	for name, mutate := range map[string]func(*v1alpha1.AccessEntry){
		"another name":      func(o *v1alpha1.AccessEntry) { o.Name = "dev" },
		"system: group":     func(o *v1alpha1.AccessEntry) { o.Spec.KubernetesGroups = []string{"system:masters"} },
		"reserved username": func(o *v1alpha1.AccessEntry) { o.Spec.Username = "eks:admin" },
		"service-linked role": func(o *v1alpha1.AccessEntry) {
			o.Spec.PrincipalARN = "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
		},
		"unknown type": func(o *v1alpha1.AccessEntry) { o.Spec.Type = "ADMIN" },
		"node user": func(o *v1alpha1.AccessEntry) {
			o.Spec.PrincipalARN = "arn:aws:iam::111122223333:user/Dev"
			o.Spec.Type = "EC2_LINUX"
		},
	} {
		o := good()
		mutate(o)
		if d, err := decodeEntry(o, cfg); err == nil {
			t.Errorf("%s: accepted as %+v", name, d.entry)
		}
	}
	// An association the API would refuse is dropped, the entry kept.
	o := good()
	o.Spec.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/NoSuchPolicy", AccessScope: v1alpha1.AccessScope{Type: "cluster"}}}
	if d, err := decodeEntry(o, cfg); err != nil || len(d.assocs) != 0 || len(d.dropped) != 1 {
		t.Fatalf("unknown policy: %+v, %v; want the entry without it", d, err)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
