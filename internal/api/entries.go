package api

import (
	"net/url"
	"strconv"

	"github.com/kubeiam/kubeiam/internal/access"
)

func (h *Handler) createAccessEntry(c *call) (any, error) {
	var req createEntryRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	c.principal = req.PrincipalARN
	if req.PrincipalARN == "" {
		return nil, invalidParameter("principalArn is required.")
	}
	if err := checkToken(req.ClientRequestToken); err != nil {
		return nil, err
	}
	cfg, err := h.entryCluster(c)
	if err != nil {
		return nil, err
	}
	entry, err := access.NewEntry(access.CreateEntryRequest{
		PrincipalARN: req.PrincipalARN, KubernetesGroups: req.KubernetesGroups,
		Username: req.Username, Type: access.EntryType(req.Type), Tags: req.Tags,
	}, cfg.Name, cfg.Region, cfg.AccountID, h.now())
	if err != nil {
		return nil, err
	}
	entry.ClientRequestToken = req.ClientRequestToken
	if err := h.bindPrincipalID(c.r.Context(), &entry); err != nil {
		return nil, err
	}
	// With a clientRequestToken the store claims the token with the write
	// (see access.TokenUse): a request done already succeeds without a
	// write, and is answered with the entry it made.
	if err := h.store.CreateEntry(entry); err != nil {
		return nil, err
	}
	if entry.ClientRequestToken != "" {
		// The entry the request made: this one, or, for a request sent
		// again, the first attempt's. A store whose reads lag its writes
		// may not show it yet; the entry was created all the same.
		stored, err := h.store.GetEntry(entry.PrincipalARN)
		switch {
		case err == nil:
			entry = stored
		case access.TypeOf(err) != access.ResourceNotFoundException:
			return nil, err
		}
	}
	return map[string]wireAccessEntry{"accessEntry": toWireEntry(entry)}, nil
}

func (h *Handler) describeAccessEntry(c *call) (any, error) {
	if _, err := h.entryCluster(c); err != nil {
		return nil, err
	}
	entry, err := h.store.GetEntry(c.principal)
	if err != nil {
		return nil, err
	}
	return map[string]wireAccessEntry{"accessEntry": toWireEntry(entry)}, nil
}

func (h *Handler) updateAccessEntry(c *call) (any, error) {
	var req updateEntryRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	if err := checkToken(req.ClientRequestToken); err != nil {
		return nil, err
	}
	if _, err := h.entryCluster(c); err != nil {
		return nil, err
	}
	entry, err := h.store.UpdateEntry(c.principal, access.UpdateEntryRequest{
		KubernetesGroups: req.KubernetesGroups, Username: req.Username, ClientRequestToken: req.ClientRequestToken,
	}, h.now())
	if err != nil {
		return nil, err
	}
	return map[string]wireAccessEntry{"accessEntry": toWireEntry(entry)}, nil
}

// deleteAccessEntry deletes the entry and, with it, its associations.
func (h *Handler) deleteAccessEntry(c *call) (any, error) {
	if _, err := h.entryCluster(c); err != nil {
		return nil, err
	}
	if err := h.store.DeleteEntry(c.principal); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listEntriesResponse struct {
	AccessEntries []string `json:"accessEntries"`
	NextToken     string   `json:"nextToken,omitempty"`
}

// listAccessEntries pages through the entries' principal ARNs. With
// associatedPolicyArn, only entries with that policy count; each store page
// then asks for exactly the entries still missing, so that a filtered page
// always ends on a store page boundary and the store's token stays exact.
func (h *Handler) listAccessEntries(c *call) (any, error) {
	q := c.r.URL.Query()
	maxResults, err := maxResultsParam(q)
	if err != nil {
		return nil, err
	}
	c.policy = q.Get("associatedPolicyArn")
	if _, err := h.entryCluster(c); err != nil {
		return nil, err
	}
	if maxResults == 0 {
		maxResults = access.MaxResults
	}
	out := listEntriesResponse{AccessEntries: []string{}}
	token := q.Get("nextToken")
	for {
		page, next, err := h.store.ListEntries(maxResults-len(out.AccessEntries), token)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			ok, err := h.hasPolicy(e, c.policy)
			if err != nil {
				return nil, err
			}
			if ok {
				out.AccessEntries = append(out.AccessEntries, e.PrincipalARN)
			}
		}
		token = next
		if token == "" || len(out.AccessEntries) == maxResults {
			break
		}
	}
	out.NextToken = token
	return out, nil
}

// hasPolicy reports whether e has policy associated; every entry has the
// empty policy.
func (h *Handler) hasPolicy(e access.AccessEntry, policy string) (bool, error) {
	if policy == "" {
		return true, nil
	}
	assocs, err := h.store.ListAssociations(e.PrincipalARN)
	if access.TypeOf(err) == access.ResourceNotFoundException {
		return false, nil // deleted since the page was read
	}
	if err != nil {
		return false, err
	}
	for _, a := range assocs {
		if a.PolicyARN == policy {
			return true, nil
		}
	}
	return false, nil
}

// maxResultsParam reads maxResults: 0 when absent, else 1..100.
func maxResultsParam(q url.Values) (int, error) {
	s := q.Get("maxResults")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidParameter("The maxResults " + strconv.Quote(s) + " is invalid, it must be an integer between 1 and 100.")
	}
	if n < 1 || n > access.MaxResults {
		return 0, access.ErrInvalidMaxResults(n)
	}
	return n, nil
}
