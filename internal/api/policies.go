package api

import (
	"encoding/base64"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

type associateResponse struct {
	ClusterName            string               `json:"clusterName"`
	PrincipalARN           string               `json:"principalArn"`
	AssociatedAccessPolicy wireAssociatedPolicy `json:"associatedAccessPolicy"`
}

func (h *Handler) associateAccessPolicy(c *call) (any, error) {
	var req associateRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	c.policy = req.PolicyARN
	if req.PolicyARN == "" {
		return nil, invalidParameter("policyArn is required.")
	}
	scope, err := parseScope(req.AccessScope)
	if err != nil {
		return nil, err
	}
	cfg, err := h.entryCluster(c)
	if err != nil {
		return nil, err
	}
	a, err := h.store.Associate(c.principal, req.PolicyARN, scope, h.now())
	if err != nil {
		return nil, err
	}
	return associateResponse{ClusterName: cfg.Name, PrincipalARN: a.PrincipalARN, AssociatedAccessPolicy: toWireAssociation(a)}, nil
}

func (h *Handler) disassociateAccessPolicy(c *call) (any, error) {
	if _, err := h.entryCluster(c); err != nil {
		return nil, err
	}
	if err := h.store.Disassociate(c.principal, c.policy); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listAssociatedResponse struct {
	ClusterName              string                 `json:"clusterName"`
	PrincipalARN             string                 `json:"principalArn"`
	NextToken                string                 `json:"nextToken,omitempty"`
	AssociatedAccessPolicies []wireAssociatedPolicy `json:"associatedAccessPolicies"`
}

func (h *Handler) listAssociatedAccessPolicies(c *call) (any, error) {
	q := c.r.URL.Query()
	maxResults, err := maxResultsParam(q)
	if err != nil {
		return nil, err
	}
	cfg, err := h.entryCluster(c)
	if err != nil {
		return nil, err
	}
	entry, err := h.store.GetEntry(c.principal)
	if err != nil {
		return nil, err
	}
	assocs, err := h.store.ListAssociations(c.principal)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(assocs))
	for i, a := range assocs {
		keys[i] = a.PolicyARN
	}
	from, to, next, err := page(keys, maxResults, q.Get("nextToken"))
	if err != nil {
		return nil, err
	}
	out := listAssociatedResponse{ClusterName: cfg.Name, PrincipalARN: entry.PrincipalARN, NextToken: next,
		AssociatedAccessPolicies: []wireAssociatedPolicy{}}
	for _, a := range assocs[from:to] {
		out.AssociatedAccessPolicies = append(out.AssociatedAccessPolicies, toWireAssociation(a))
	}
	return out, nil
}

type listPoliciesResponse struct {
	AccessPolicies []wireAccessPolicy `json:"accessPolicies"`
	NextToken      string             `json:"nextToken,omitempty"`
}

// listAccessPolicies lists the managed access policies kubeiam implements.
func (h *Handler) listAccessPolicies(c *call) (any, error) {
	q := c.r.URL.Query()
	maxResults, err := maxResultsParam(q)
	if err != nil {
		return nil, err
	}
	catalog := authz.Catalog()
	keys := make([]string, len(catalog))
	for i, p := range catalog {
		keys[i] = p.ARN
	}
	from, to, next, err := page(keys, maxResults, q.Get("nextToken"))
	if err != nil {
		return nil, err
	}
	out := listPoliciesResponse{AccessPolicies: []wireAccessPolicy{}, NextToken: next}
	for _, p := range catalog[from:to] {
		out.AccessPolicies = append(out.AccessPolicies, wireAccessPolicy{Name: p.Name, ARN: p.ARN})
	}
	return out, nil
}

// page pages through sorted ARNs: it returns the slice bounds of the page
// after token (the last ARN of the previous page, base64url-encoded) and
// the next page's token, "" after the last. A token stays valid when ARNs
// are added or removed between pages.
func page(sortedARNs []string, maxResults int, token string) (from, to int, next string, err error) {
	if maxResults == 0 {
		maxResults = access.MaxResults
	}
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(b), "arn:") {
			return 0, 0, "", access.ErrInvalidNextToken()
		}
		for from < len(sortedARNs) && sortedARNs[from] <= string(b) {
			from++
		}
	}
	to = min(from+maxResults, len(sortedARNs))
	if to < len(sortedARNs) {
		next = base64.RawURLEncoding.EncodeToString([]byte(sortedARNs[to-1]))
	}
	return from, to, next, nil
}
