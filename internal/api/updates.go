package api

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
)

// Updates live in the cluster configuration in the store (a bounded
// history), not in the process: any replica answers DescribeUpdate and
// ListUpdates for an update another one made.
//
// An update is written InProgress in the same store write as the change it
// records, and completed (Successful) by a second write once that first
// write has returned. If the second write is lost (the process stops
// between the two), the next DescribeUpdate or ListUpdates completes it:
// the change it records is in the store, so it has been applied.

type wireUpdateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type wireUpdateError struct {
	ErrorCode    string   `json:"errorCode"`
	ErrorMessage string   `json:"errorMessage"`
	ResourceIDs  []string `json:"resourceIds"`
}

type wireUpdate struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Params    []wireUpdateParam `json:"params"`
	CreatedAt epochTime         `json:"createdAt"`
	Errors    []wireUpdateError `json:"errors"`
}

func toWireUpdate(u access.Update) wireUpdate {
	w := wireUpdate{ID: u.ID, Status: string(u.Status), Type: u.Type, CreatedAt: epochTime(u.CreatedAt),
		Params: []wireUpdateParam{}, Errors: []wireUpdateError{}}
	for _, p := range u.Params {
		w.Params = append(w.Params, wireUpdateParam{Type: p.Type, Value: p.Value})
	}
	for _, e := range u.Errors {
		w.Errors = append(w.Errors, wireUpdateError{ErrorCode: e.Code, ErrorMessage: e.Message, ResourceIDs: []string{}})
	}
	return w
}

// newUUID returns a random (version 4) UUID, the shape of EKS's update IDs.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("update ID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// completeUpdate marks update id of cfg Successful, re-reading the config
// when another writer got there first. A failure is logged, not returned:
// the change itself is stored, and a later read completes the update.
func (h *Handler) completeUpdate(cfg access.ClusterConfig, id string) access.ClusterConfig {
	for attempt := 1; attempt <= maxConfigAttempts; attempt++ {
		next, ok := cfg.WithUpdateStatus(id, access.UpdateSuccessful, nil)
		if !ok {
			return cfg // dropped from the bounded history meanwhile
		}
		saved, err := h.store.PutCluster(next, cfg.Version)
		if err == nil {
			return saved
		}
		if !errors.Is(err, store.ErrConflict) {
			h.log.Warn("api update not completed", "update_id", id, "error", err)
			return cfg
		}
		if cfg, err = h.store.GetCluster(); err != nil {
			h.log.Warn("api update not completed", "update_id", id, "error", err)
			return cfg
		}
		if u, err := cfg.Update(id); err != nil || u.Status != access.UpdateInProgress {
			return cfg
		}
	}
	return cfg
}

// settledCluster is cluster with every InProgress update completed (see
// the top of this file).
func (h *Handler) settledCluster(c *call) (access.ClusterConfig, error) {
	cfg, err := h.cluster(c)
	if err != nil {
		return cfg, err
	}
	for _, u := range cfg.Updates {
		if u.Status == access.UpdateInProgress {
			cfg = h.completeUpdate(cfg, u.ID)
		}
	}
	return cfg, nil
}

func (h *Handler) describeUpdate(c *call) (any, error) {
	q := c.r.URL.Query()
	cfg, err := h.settledCluster(c)
	if err != nil {
		return nil, err
	}
	if err := noSubresource(q); err != nil {
		return nil, err
	}
	id := c.params[1]
	c.principal = "" // the second path parameter is the update's ID
	u, err := cfg.Update(id)
	if err != nil {
		return nil, err
	}
	return map[string]wireUpdate{"update": toWireUpdate(u)}, nil
}

type listUpdatesResponse struct {
	UpdateIDs []string `json:"updateIds"`
	NextToken string   `json:"nextToken,omitempty"`
}

// listUpdates lists the update IDs, oldest first; the page token is the ID
// of the first update of the next page.
func (h *Handler) listUpdates(c *call) (any, error) {
	q := c.r.URL.Query()
	maxResults, err := maxResultsParam(q)
	if err != nil {
		return nil, err
	}
	if maxResults == 0 {
		maxResults = access.MaxResults
	}
	cfg, err := h.settledCluster(c)
	if err != nil {
		return nil, err
	}
	if err := noSubresource(q); err != nil {
		return nil, err
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		start = -1
		for i, u := range cfg.Updates {
			if u.ID == tok {
				start = i
			}
		}
		if start < 0 {
			return nil, access.ErrInvalidNextToken()
		}
	}
	out := listUpdatesResponse{UpdateIDs: []string{}}
	for i := start; i < len(cfg.Updates); i++ {
		if len(out.UpdateIDs) == maxResults {
			out.NextToken = cfg.Updates[i].ID
			break
		}
		out.UpdateIDs = append(out.UpdateIDs, cfg.Updates[i].ID)
	}
	return out, nil
}

type listClustersResponse struct {
	Clusters  []string `json:"clusters"`
	NextToken string   `json:"nextToken,omitempty"`
}

// listClusters lists the one cluster this server serves (none before its
// configuration is stored). "include" asks for EKS Anywhere connected
// clusters, of which there are none.
func (h *Handler) listClusters(c *call) (any, error) {
	q := c.r.URL.Query()
	if _, err := maxResultsParam(q); err != nil {
		return nil, err
	}
	if q.Get("nextToken") != "" {
		return nil, access.ErrInvalidNextToken()
	}
	out := listClustersResponse{Clusters: []string{}}
	cfg, err := h.store.GetCluster()
	switch {
	case access.TypeOf(err) == access.ResourceNotFoundException:
	case err != nil:
		return nil, fmt.Errorf("read cluster config: %w", err)
	default:
		out.Clusters = append(out.Clusters, cfg.Name)
	}
	return out, nil
}

// noSubresource refuses DescribeUpdate and ListUpdates of a node group, an
// add-on or a capability: kubeiam serves none, so none exists, and EKS
// answers a node group that does not exist with a ResourceNotFoundException
// "No node group found for name: NAME." (DescribeNodegroup, quoted in
// aws-samples/eks-workshop-v2 issue 915); add-ons and capabilities get
// kubeiam's message in the same form.
func noSubresource(q url.Values) error {
	for _, sub := range []struct{ param, what string }{
		{"nodegroupName", "node group"}, {"addonName", "addon"}, {"capabilityName", "capability"},
	} {
		if name := q.Get(sub.param); name != "" {
			return &access.Error{Type: access.ResourceNotFoundException, Message: "No " + sub.what + " found for name: " + name + "."}
		}
	}
	return nil
}
