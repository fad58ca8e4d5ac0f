package store

import (
	"sort"

	"github.com/kubeiam/kubeiam/internal/access"
)

// Paginate returns the page of ListEntries for an adapter that holds all
// entries in memory: entries sorted by principal key, up to maxResults (0
// means access.MaxResults) after nextToken, and the next page's token. The
// tokens are those of *Store, so they behave the same on every adapter.
func Paginate(entries map[string]access.AccessEntry, maxResults int, nextToken string) ([]access.AccessEntry, string, error) {
	if maxResults == 0 {
		maxResults = access.MaxResults
	}
	if maxResults < 1 || maxResults > access.MaxResults {
		return nil, "", access.ErrInvalidMaxResults(maxResults)
	}
	start, err := decodeToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		if k >= start {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) <= maxResults {
		page := make([]access.AccessEntry, 0, len(keys))
		for _, k := range keys {
			page = append(page, entries[k].Clone())
		}
		return page, "", nil
	}
	page := make([]access.AccessEntry, 0, maxResults)
	for _, k := range keys[:maxResults] {
		page = append(page, entries[k].Clone())
	}
	return page, encodeToken(keys[maxResults-1]), nil
}
