package kubestore

import (
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// Converting between the domain (package access) and the kubeiam.io
// objects. Times are RFC 3339 with nanoseconds, in UTC, so that they
// round-trip exactly.

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string, fallback time.Time) (time.Time, error) {
	if s == "" {
		return fallback, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	return t, nil
}

// EntryObject returns the AccessEntry object of e and its associations.
func EntryObject(e access.AccessEntry, assocs []access.AccessPolicyAssociation) (*v1alpha1.AccessEntry, error) {
	name, err := v1alpha1.AccessEntryName(e.PrincipalARN)
	if err != nil {
		return nil, err
	}
	obj := &v1alpha1.AccessEntry{
		TypeMeta: typeMeta("AccessEntry"),
		Spec: v1alpha1.AccessEntrySpec{
			PrincipalARN: e.PrincipalARN, PrincipalID: e.PrincipalID, Type: string(e.Type), Username: e.Username,
			KubernetesGroups: append([]string(nil), e.KubernetesGroups...),
			Tags:             e.Tags, AccessEntryARN: e.AccessEntryARN,
			CreatedAt: formatTime(e.CreatedAt), ModifiedAt: formatTime(e.ModifiedAt),
			ClientRequestToken: e.ClientRequestToken,
		},
	}
	for _, u := range e.UpdateTokens {
		obj.Spec.UpdateTokens = append(obj.Spec.UpdateTokens, v1alpha1.TokenUse{Token: u.Token, RequestDigest: u.Digest})
	}
	obj.Name = name
	if e.Type != access.EntryStandard {
		// Fixed by the type; decodeEntry derives them again.
		obj.Spec.Username, obj.Spec.KubernetesGroups = "", nil
	}
	setPolicies(obj, assocs)
	return obj, nil
}

// setPolicies replaces the object's associations, sorted by policy ARN.
func setPolicies(obj *v1alpha1.AccessEntry, assocs []access.AccessPolicyAssociation) {
	obj.Spec.AccessPolicies = nil
	for _, a := range assocs {
		obj.Spec.AccessPolicies = append(obj.Spec.AccessPolicies, v1alpha1.AccessPolicy{
			PolicyARN: a.PolicyARN,
			AccessScope: v1alpha1.AccessScope{
				Type: string(a.Scope.Type), Namespaces: append([]string(nil), a.Scope.Namespaces...),
			},
			AssociatedAt: formatTime(a.AssociatedAt), ModifiedAt: formatTime(a.ModifiedAt),
		})
	}
	sort.Slice(obj.Spec.AccessPolicies, func(i, j int) bool {
		return obj.Spec.AccessPolicies[i].PolicyARN < obj.Spec.AccessPolicies[j].PolicyARN
	})
}

// decodedEntry is an AccessEntry object as the domain sees it.
type decodedEntry struct {
	key    string
	entry  access.AccessEntry
	assocs []access.AccessPolicyAssociation
	// dropped describes associations refused by the domain's rules.
	dropped []string
}

// decodeEntry checks an object with the same rules as CreateAccessEntry and
// AssociateAccessPolicy, so that an entry applied with kubectl is held to
// exactly what the API would have accepted, and returns it. cluster places
// entries whose accessEntryArn is missing; it may be zero when the object
// has one. An object not named AccessEntryName(principalArn) is refused:
// the name is what makes one entry per principal hold.
func decodeEntry(obj *v1alpha1.AccessEntry, cluster access.ClusterConfig) (decodedEntry, error) {
	spec := obj.Spec
	want, err := v1alpha1.AccessEntryName(spec.PrincipalARN)
	if err != nil {
		return decodedEntry{}, err
	}
	if obj.Name != want {
		return decodedEntry{}, fmt.Errorf("the AccessEntry of %s must be named %s", spec.PrincipalARN, want)
	}
	created, err := parseTime(spec.CreatedAt, obj.CreationTimestamp.Time)
	if err != nil {
		return decodedEntry{}, err
	}
	modified, err := parseTime(spec.ModifiedAt, created)
	if err != nil {
		return decodedEntry{}, err
	}
	clusterName, region, account := cluster.Name, cluster.Region, cluster.AccountID
	if spec.AccessEntryARN != "" {
		if clusterName, region, account, err = placeOfEntryARN(spec.AccessEntryARN); err != nil {
			return decodedEntry{}, err
		}
	}
	if clusterName == "" {
		return decodedEntry{}, fmt.Errorf("no accessEntryArn and no AccessConfig to place the entry in")
	}
	req := access.CreateEntryRequest{PrincipalARN: spec.PrincipalARN, Type: access.EntryType(spec.Type), Tags: spec.Tags}
	if req.Type == "" || req.Type == access.EntryStandard {
		req.Username, req.KubernetesGroups = spec.Username, spec.KubernetesGroups
	}
	e, err := access.NewEntry(req, clusterName, region, account, created)
	if err != nil {
		return decodedEntry{}, err
	}
	if spec.AccessEntryARN != "" {
		e.AccessEntryARN = spec.AccessEntryARN
	}
	e.ModifiedAt = modified
	e.ClientRequestToken = spec.ClientRequestToken
	for _, u := range spec.UpdateTokens {
		e.UpdateTokens = append(e.UpdateTokens, access.TokenUse{Token: u.Token, Digest: u.RequestDigest})
	}
	e.PrincipalID = spec.PrincipalID
	key, err := access.EntryKey(e.PrincipalARN)
	if err != nil {
		return decodedEntry{}, err
	}
	d := decodedEntry{key: key, entry: e}
	for _, p := range spec.AccessPolicies {
		a, err := decodeAssociation(e, p)
		if err != nil {
			d.dropped = append(d.dropped, p.PolicyARN+": "+err.Error())
			continue
		}
		d.assocs = append(d.assocs, a)
	}
	sort.Slice(d.assocs, func(i, j int) bool { return d.assocs[i].PolicyARN < d.assocs[j].PolicyARN })
	return d, nil
}

func decodeAssociation(e access.AccessEntry, p v1alpha1.AccessPolicy) (access.AccessPolicyAssociation, error) {
	scope := authz.Scope{Type: authz.ScopeType(p.AccessScope.Type)}
	if len(p.AccessScope.Namespaces) > 0 {
		scope.Namespaces = append([]string(nil), p.AccessScope.Namespaces...)
	}
	if err := access.ValidateAssociation(e, p.PolicyARN, scope); err != nil {
		return access.AccessPolicyAssociation{}, err
	}
	associated, err := parseTime(p.AssociatedAt, e.CreatedAt)
	if err != nil {
		return access.AccessPolicyAssociation{}, err
	}
	modified, err := parseTime(p.ModifiedAt, associated)
	if err != nil {
		return access.AccessPolicyAssociation{}, err
	}
	return access.AccessPolicyAssociation{
		PrincipalARN: e.PrincipalARN, PolicyARN: p.PolicyARN, Scope: scope,
		AssociatedAt: associated, ModifiedAt: modified,
	}, nil
}

// placeOfEntryARN returns the cluster, region and account of an access
// entry ARN: arn:PARTITION:eks:REGION:ACCOUNT:access-entry/CLUSTER/...
func placeOfEntryARN(s string) (cluster, region, account string, err error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 6 && parts[2] == "eks" && strings.HasPrefix(parts[5], "access-entry/") {
		rest := strings.TrimPrefix(parts[5], "access-entry/")
		if name, _, ok := strings.Cut(rest, "/"); ok && name != "" {
			return name, parts[3], parts[4], nil
		}
	}
	return "", "", "", fmt.Errorf("accessEntryArn %q is not an EKS access entry ARN", s)
}

// ConfigObject returns the AccessConfig object of c.
func ConfigObject(c access.ClusterConfig) *v1alpha1.AccessConfig {
	obj := &v1alpha1.AccessConfig{
		TypeMeta: typeMeta("AccessConfig"),
		Spec: v1alpha1.AccessConfigSpec{
			ClusterName: c.Name, Region: c.Region, AccountID: c.AccountID,
			AuthenticationMode:                      string(c.AuthenticationMode),
			BootstrapClusterCreatorAdminPermissions: c.BootstrapClusterCreatorAdminPermissions,
			ClusterCreatorARN:                       c.CreatorARN, CreatedAt: formatTime(c.CreatedAt),
			Tags: c.Tags,
		},
	}
	for _, u := range c.Updates {
		cu := v1alpha1.ClusterUpdate{ID: u.ID, Status: string(u.Status), Type: u.Type, CreatedAt: formatTime(u.CreatedAt),
			ClientRequestToken: u.ClientRequestToken}
		for _, p := range u.Params {
			cu.Params = append(cu.Params, v1alpha1.ClusterUpdateParam{Type: p.Type, Value: p.Value})
		}
		for _, e := range u.Errors {
			cu.Errors = append(cu.Errors, v1alpha1.ClusterUpdateError{Code: e.Code, Message: e.Message})
		}
		obj.Status.Updates = append(obj.Status.Updates, cu)
	}
	obj.Name = v1alpha1.AccessConfigName
	return obj
}

func decodeUpdates(us []v1alpha1.ClusterUpdate) ([]access.Update, error) {
	var out []access.Update
	for _, cu := range us {
		created, err := parseTime(cu.CreatedAt, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", cu.ID, err)
		}
		u := access.Update{ID: cu.ID, Status: access.UpdateStatus(cu.Status), Type: cu.Type, CreatedAt: created,
			ClientRequestToken: cu.ClientRequestToken}
		for _, p := range cu.Params {
			u.Params = append(u.Params, access.UpdateParam{Type: p.Type, Value: p.Value})
		}
		for _, e := range cu.Errors {
			u.Errors = append(u.Errors, access.UpdateError{Code: e.Code, Message: e.Message})
		}
		out = append(out, u)
	}
	return out, nil
}

// decodeConfig returns the cluster config of an AccessConfig; its Version
// is the object's generation.
func decodeConfig(obj *v1alpha1.AccessConfig) (access.ClusterConfig, error) {
	if obj.Name != v1alpha1.AccessConfigName {
		return access.ClusterConfig{}, fmt.Errorf("the AccessConfig must be named %s", v1alpha1.AccessConfigName)
	}
	created, err := parseTime(obj.Spec.CreatedAt, obj.CreationTimestamp.Time)
	if err != nil {
		return access.ClusterConfig{}, err
	}
	updates, err := decodeUpdates(obj.Status.Updates)
	if err != nil {
		return access.ClusterConfig{}, err
	}
	c := access.ClusterConfig{
		Tags: obj.Spec.Tags, Updates: updates,
		Name: obj.Spec.ClusterName, Region: obj.Spec.Region, AccountID: obj.Spec.AccountID,
		AuthenticationMode:                      access.Mode(obj.Spec.AuthenticationMode),
		BootstrapClusterCreatorAdminPermissions: obj.Spec.BootstrapClusterCreatorAdminPermissions,
		CreatorARN:                              obj.Spec.ClusterCreatorARN, CreatedAt: created,
		Version: obj.Generation,
	}
	if err := c.Validate(); err != nil {
		return access.ClusterConfig{}, err
	}
	return c, nil
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: v1alpha1.Group + "/" + v1alpha1.Version, Kind: kind}
}

// toUnstructured and fromUnstructured convert for the dynamic client.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", obj, err)
	}
	return &unstructured.Unstructured{Object: m}, nil
}

func fromUnstructured[T any](u *unstructured.Unstructured) (*T, error) {
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return out, nil
}
