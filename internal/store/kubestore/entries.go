package kubestore

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store"
)

// maxAttempts bounds the read-modify-write retries of one entry on
// resourceVersion conflicts with other writers.
const maxAttempts = 8

// CreateEntry creates the principal's AccessEntry with its associations.
// The object's name is derived from the principal, so the API server
// refuses a second one (AlreadyExists), whichever replica or kubectl
// created the first: ResourceInUseException.
func (s *Store) CreateEntry(e access.AccessEntry, assocs ...access.AccessPolicyAssociation) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	key, err := access.EntryKey(e.PrincipalARN)
	if err != nil {
		return err
	}
	for _, a := range assocs {
		if k, err := access.EntryKey(a.PrincipalARN); err != nil || k != key {
			return fmt.Errorf("create entry %q: association for another principal %q", e.PrincipalARN, a.PrincipalARN)
		}
	}
	obj, err := EntryObject(e, assocs)
	if err != nil {
		return err
	}
	u, err := toUnstructured(obj)
	if err != nil {
		return err
	}
	ctx, cancel := s.call()
	defer cancel()
	var claim types.UID
	if e.ClientRequestToken != "" {
		if claim, err = s.claimToken(ctx, e, obj.Name); err != nil {
			return err
		}
	}
	created, err := s.entries.Create(ctx, u, metav1.CreateOptions{})
	if err == nil {
		s.waitForRV("create "+obj.Name, v1alpha1.AccessEntryResource, created.GetResourceVersion())
		return nil
	}
	if apierrors.IsAlreadyExists(err) && e.ClientRequestToken != "" {
		// This request, done already (an attempt racing an earlier one, or
		// a retry after a failure between the claim and the entry)?
		cur, gerr := s.entries.Get(ctx, obj.Name, metav1.GetOptions{})
		if gerr == nil {
			if tok, _, _ := unstructured.NestedString(cur.Object, "spec", "clientRequestToken"); tok == e.ClientRequestToken {
				s.waitForRV("create "+obj.Name, v1alpha1.AccessEntryResource, cur.GetResourceVersion())
				return nil
			}
		}
	}
	if claim != "" {
		s.releaseToken(ctx, e.ClientRequestToken, claim)
	}
	if apierrors.IsAlreadyExists(err) {
		return access.ErrEntryInUse()
	}
	return fmt.Errorf("create access entry %s: %w", obj.Name, err)
}

// cachedByPrincipal returns the cached, valid entry of a principal.
func (s *Store) cachedByPrincipal(principalARN string) (*cachedEntry, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if _, err := access.EntryKey(principalARN); err != nil {
		return nil, err
	}
	name, err := v1alpha1.AccessEntryName(principalARN)
	if err != nil {
		return nil, access.ErrEntryNotFound() // a valid key that no entry can have (root, a federated user)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ce, ok := s.byName[name]
	if !ok || ce.key == "" {
		return nil, access.ErrEntryNotFound()
	}
	return ce, nil
}

// GetEntry returns the principal's entry from the cache.
func (s *Store) GetEntry(principalARN string) (access.AccessEntry, error) {
	ce, err := s.cachedByPrincipal(principalARN)
	if err != nil {
		return access.AccessEntry{}, err
	}
	return ce.entry.Clone(), nil
}

// ListAssociations returns the entry's associations from the cache, sorted
// by policy ARN.
func (s *Store) ListAssociations(principalARN string) ([]access.AccessPolicyAssociation, error) {
	ce, err := s.cachedByPrincipal(principalARN)
	if err != nil {
		return nil, err
	}
	var out []access.AccessPolicyAssociation
	for _, a := range ce.assocs {
		out = append(out, a.Clone())
	}
	return out, nil
}

// ListEntries pages through the cached entries in principal key order.
func (s *Store) ListEntries(maxResults int, nextToken string) ([]access.AccessEntry, string, error) {
	if s.closed.Load() {
		return nil, "", store.ErrClosed
	}
	s.mu.RLock()
	all := make(map[string]access.AccessEntry, len(s.byName))
	for _, ce := range s.byName {
		if ce.key != "" {
			all[ce.key] = ce.entry
		}
	}
	s.mu.RUnlock()
	return store.Paginate(all, maxResults, nextToken)
}

// UpdateEntry applies an UpdateAccessEntry request to the principal's
// entry. A request already done (access.ReplayedUpdate) gets the entry as
// it is, and nothing is written.
func (s *Store) UpdateEntry(principalARN string, req access.UpdateEntryRequest, now time.Time) (access.AccessEntry, error) {
	var updated access.AccessEntry
	err := s.modify(principalARN, func(d decodedEntry, obj *v1alpha1.AccessEntry) error {
		if done, err := access.ReplayedUpdate(d.entry, req); err != nil || done {
			updated = d.entry
			return cmp.Or(err, errReplayed)
		}
		var err error
		if updated, err = access.UpdateEntry(d.entry, req, now); err != nil {
			return err
		}
		next, err := EntryObject(updated, d.assocs)
		if err != nil {
			return err
		}
		obj.Spec = next.Spec
		return nil
	})
	if errors.Is(err, errReplayed) {
		return updated, nil
	}
	return updated, err
}

// errReplayed ends a modify of a request done already: nothing is written.
var errReplayed = errors.New("request already done")

// EditEntryTags replaces the principal's entry's tags with what edit
// returns for the current ones, on the resourceVersion read.
func (s *Store) EditEntryTags(principalARN string, edit func(map[string]string) (map[string]string, error)) (access.AccessEntry, error) {
	var updated access.AccessEntry
	err := s.modify(principalARN, func(d decodedEntry, obj *v1alpha1.AccessEntry) error {
		tags, err := edit(d.entry.Tags)
		if err != nil {
			return err
		}
		updated = d.entry
		updated.Tags = tags
		obj.Spec.Tags = tags
		return nil
	})
	return updated, err
}

// Associate associates a policy with the principal's entry, replacing the
// scope of an existing association of the same policy.
func (s *Store) Associate(principalARN, policyARN string, scope authz.Scope, now time.Time) (access.AccessPolicyAssociation, error) {
	var a access.AccessPolicyAssociation
	err := s.modify(principalARN, func(d decodedEntry, obj *v1alpha1.AccessEntry) error {
		var err error
		if a, err = access.Associate(d.entry, d.assocs, policyARN, scope, now); err != nil {
			return err
		}
		next := []access.AccessPolicyAssociation{a}
		for _, prev := range d.assocs {
			if prev.PolicyARN != policyARN {
				next = append(next, prev)
			}
		}
		setPolicies(obj, next)
		return nil
	})
	return a, err
}

// Disassociate removes a policy's association from the principal's entry.
func (s *Store) Disassociate(principalARN, policyARN string) error {
	return s.modify(principalARN, func(d decodedEntry, obj *v1alpha1.AccessEntry) error {
		var next []access.AccessPolicyAssociation
		for _, prev := range d.assocs {
			if prev.PolicyARN != policyARN {
				next = append(next, prev)
			}
		}
		if len(next) == len(d.assocs) {
			return access.ErrAssociationNotFound(policyARN)
		}
		setPolicies(obj, next)
		return nil
	})
}

// modify reads the principal's AccessEntry from the API, lets change edit
// it and writes it back on the resourceVersion it read, retrying from the
// read when another writer got there first.
func (s *Store) modify(principalARN string, change func(decodedEntry, *v1alpha1.AccessEntry) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := access.EntryKey(principalARN); err != nil {
		return err
	}
	name, err := v1alpha1.AccessEntryName(principalARN)
	if err != nil {
		return access.ErrEntryNotFound()
	}
	for attempt := 1; ; attempt++ {
		rv, err := s.modifyOnce(name, change)
		if apierrors.IsConflict(err) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return err
		}
		s.waitForRV("update "+name, v1alpha1.AccessEntryResource, rv)
		return nil
	}
}

func (s *Store) modifyOnce(name string, change func(decodedEntry, *v1alpha1.AccessEntry) error) (string, error) {
	ctx, cancel := s.call()
	defer cancel()
	u, err := s.entries.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", access.ErrEntryNotFound()
	}
	if err != nil {
		return "", fmt.Errorf("read access entry %s: %w", name, err)
	}
	obj, err := fromUnstructured[v1alpha1.AccessEntry](u)
	if err != nil {
		return "", err
	}
	s.mu.RLock()
	cluster := s.cluster
	s.mu.RUnlock()
	d, err := decodeEntry(obj, cluster)
	if err != nil {
		return "", fmt.Errorf("access entry %s: %w", name, err)
	}
	if err := change(d, obj); err != nil {
		return "", err
	}
	if u, err = toUnstructured(obj); err != nil {
		return "", err
	}
	read := u.GetResourceVersion()
	updated, err := s.entries.Update(ctx, u, metav1.UpdateOptions{})
	if err != nil {
		if apierrors.IsConflict(err) {
			return "", err
		}
		return "", fmt.Errorf("update access entry %s: %w", name, err)
	}
	if updated.GetResourceVersion() == read {
		// A write that changed nothing: the API server stores nothing and
		// the watch says nothing, but the write succeeded, and every
		// successful write moves the generation (store.Port).
		s.mu.Lock()
		s.changed()
		s.mu.Unlock()
	}
	return updated.GetResourceVersion(), nil
}

// DeleteEntry deletes the principal's AccessEntry, associations included.
func (s *Store) DeleteEntry(principalARN string) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := access.EntryKey(principalARN); err != nil {
		return err
	}
	name, err := v1alpha1.AccessEntryName(principalARN)
	if err != nil {
		return access.ErrEntryNotFound()
	}
	ctx, cancel := s.call()
	defer cancel()
	u, err := s.entries.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return access.ErrEntryNotFound()
	}
	if err != nil {
		return fmt.Errorf("read access entry %s: %w", name, err)
	}
	uid := u.GetUID()
	err = s.entries.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return access.ErrEntryNotFound() // deleted (and maybe recreated) by another writer
	}
	if err != nil {
		return fmt.Errorf("delete access entry %s: %w", name, err)
	}
	token, _, _ := unstructured.NestedString(u.Object, "spec", "clientRequestToken")
	s.releaseEntryToken(ctx, token, name)
	s.waitFor("delete "+name, func() bool {
		ce, ok := s.byName[name]
		return !ok || ce.uid != uid
	})
	return nil
}
