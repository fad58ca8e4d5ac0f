package kubestore

import (
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// The cache: what the informers have delivered, decoded. Every read of the
// auth hot path (Snapshot) and of the API's reads comes from here; the
// writes wait until their own result is here (read your writes).

type cachedEntry struct {
	name string
	uid  types.UID
	obj  *v1alpha1.AccessEntry
	decodedEntry
}

// entryHandler and configHandler feed the informers' events into the cache.
func (s *Store) entryHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.onEntry(o, false) },
		UpdateFunc: func(_, o any) { s.onEntry(o, false) },
		DeleteFunc: func(o any) { s.onEntry(o, true) },
	}
}

func (s *Store) configHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.onConfig(o, false) },
		UpdateFunc: func(_, o any) { s.onConfig(o, false) },
		DeleteFunc: func(o any) { s.onConfig(o, true) },
	}
}

func unwrap(o any) (*unstructured.Unstructured, bool) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	u, ok := o.(*unstructured.Unstructured)
	return u, ok
}

func (s *Store) onEntry(o any, deleted bool) {
	u, ok := unwrap(o)
	if !ok {
		return
	}
	obj, err := fromUnstructured[v1alpha1.AccessEntry](u)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.observed(v1alpha1.AccessEntryResource, u.GetResourceVersion())
	if err != nil {
		s.log.Warn("access entry object ignored", "name", u.GetName(), "error", err)
		s.dropByName(u.GetName())
		return
	}
	if deleted {
		s.dropByName(obj.Name)
		return
	}
	if prev, ok := s.byName[obj.Name]; ok && prev.obj.ResourceVersion == obj.ResourceVersion {
		return // a relist of what is cached
	}
	s.putEntry(obj)
}

// putEntry decodes obj into the cache, or, when the domain refuses it,
// removes what was cached under its name (fail closed). s.mu is held.
func (s *Store) putEntry(obj *v1alpha1.AccessEntry) {
	d, err := decodeEntry(obj, s.cluster)
	if err != nil {
		s.log.Warn("access entry object ignored: it breaks a rule of the EKS API", "name", obj.Name, "principal_arn", obj.Spec.PrincipalARN, "error", err)
		s.byName[obj.Name] = &cachedEntry{name: obj.Name, uid: obj.UID, obj: obj}
		s.changed()
		return
	}
	for _, why := range d.dropped {
		s.log.Warn("access policy association ignored: it breaks a rule of the EKS API", "name", obj.Name, "detail", why)
	}
	s.byName[obj.Name] = &cachedEntry{name: obj.Name, uid: obj.UID, obj: obj, decodedEntry: d}
	s.changed()
}

func (s *Store) dropByName(name string) {
	if _, ok := s.byName[name]; ok {
		delete(s.byName, name)
		s.changed()
	}
}

func (s *Store) onConfig(o any, deleted bool) {
	u, ok := unwrap(o)
	if !ok {
		return
	}
	obj, err := fromUnstructured[v1alpha1.AccessConfig](u)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.observed(v1alpha1.AccessConfigResource, u.GetResourceVersion())
	if err != nil {
		s.log.Error("access config object ignored", "name", u.GetName(), "error", err)
		return
	}
	if deleted {
		if obj.Name == v1alpha1.AccessConfigName {
			s.cluster, s.configRV = access.ClusterConfig{}, ""
			s.changed()
		}
		return
	}
	if obj.Name == v1alpha1.AccessConfigName && obj.ResourceVersion == s.configRV {
		return
	}
	c, err := decodeConfig(obj)
	if err != nil {
		// Keep the last valid configuration in force rather than fall back
		// to CONFIG_MAP.
		s.log.Error("access config object ignored: it breaks a rule of the EKS API", "name", obj.Name, "error", err)
		return
	}
	s.cluster, s.configRV = c, obj.ResourceVersion
	// Entries without an accessEntryArn are placed in the cluster.
	for _, ce := range s.byName {
		if ce.obj.Spec.AccessEntryARN == "" {
			s.putEntry(ce.obj)
		}
	}
	s.changed()
}

// changed records a change of the cached state: the generation moves and
// subscribers are told. s.mu is held.
func (s *Store) changed() {
	s.gen.Add(1)
	s.subsMu.Lock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.subsMu.Unlock()
}

// observed records that the cache has caught up with resourceVersion rv
// of resource and wakes the writers waiting for it. s.mu is held.
//
// Resource versions are opaque to clients in general; kube-apiserver's are
// etcd revisions, one sequence for the whole cluster, and compared as
// numbers here only to know when the watch has delivered a write made
// through this store. A version that is not a number wakes the waiters,
// which then check the cache again.
func (s *Store) observed(resource, rv string) {
	if n, err := strconv.ParseUint(rv, 10, 64); err == nil && n > s.seenRV[resource] {
		s.seenRV[resource] = n
	}
	close(s.wake)
	s.wake = make(chan struct{})
}
