package access

import "slices"

// SameCreate reports whether stored, an entry made by a CreateAccessEntry
// with a clientRequestToken, is what fresh (the entry a request with the
// same token builds) would be: same principal, type, username, groups and
// tags. A retry that is the same request gets stored back; any other
// request with that token is refused (ErrTokenReused). An entry updated
// since its creation no longer matches its first request, and a retry of
// that request is refused rather than answered with an entry it did not
// make.
func SameCreate(stored, fresh AccessEntry) bool {
	k1, err1 := EntryKey(stored.PrincipalARN)
	k2, err2 := EntryKey(fresh.PrincipalARN)
	if err1 != nil || err2 != nil || k1 != k2 {
		return false
	}
	a, b := slices.Clone(stored.KubernetesGroups), slices.Clone(fresh.KubernetesGroups)
	slices.Sort(a)
	slices.Sort(b)
	if stored.Type != fresh.Type || stored.Username != fresh.Username || !slices.Equal(a, b) || len(stored.Tags) != len(fresh.Tags) {
		return false
	}
	for k, v := range fresh.Tags {
		if w, ok := stored.Tags[k]; !ok || w != v {
			return false
		}
	}
	return true
}
