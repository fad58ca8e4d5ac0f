package api

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
)

// The tagging operations (TagResource, UntagResource,
// ListTagsForResource) on the cluster's ARN and its access entries' ARNs.
// EKS models only BadRequestException and NotFoundException for them, so
// every refusal is one of the two.

type tagRequest struct {
	Tags map[string]string `json:"tags"`
}

type tagsResponse struct {
	Tags map[string]string `json:"tags"`
}

// taggable is what a resource ARN names: the cluster, or an access entry
// (by its principal ARN).
type taggable struct {
	cluster   bool
	principal string
}

// resolveTaggable finds the resource an ARN names.
func (h *Handler) resolveTaggable(c *call) (taggable, error) {
	resourceARN := c.params[0]
	if !strings.HasPrefix(resourceARN, "arn:") || strings.Count(resourceARN, ":") < 5 {
		return taggable{}, &access.Error{Type: access.BadRequestException, Message: fmt.Sprintf("The resource ARN %q is invalid.", resourceARN)}
	}
	notFound := &access.Error{Type: access.NotFoundException, Message: fmt.Sprintf("No resource found for ARN: %s.", resourceARN)}
	cfg, err := h.store.GetCluster()
	if access.TypeOf(err) == access.ResourceNotFoundException {
		return taggable{}, notFound
	}
	if err != nil {
		return taggable{}, fmt.Errorf("read cluster config: %w", err)
	}
	c.cluster = cfg.Name
	if resourceARN == cfg.ARN() {
		return taggable{cluster: true}, nil
	}
	snap, err := h.store.Snapshot()
	if err != nil {
		return taggable{}, fmt.Errorf("read access entries: %w", err)
	}
	for _, e := range snap.Entries {
		if e.AccessEntryARN == resourceARN {
			c.principal = e.PrincipalARN
			return taggable{principal: e.PrincipalARN}, nil
		}
	}
	return taggable{}, notFound
}

// editTags applies edit to the tags of the resource the call names.
func (h *Handler) editTags(c *call, edit func(map[string]string) (map[string]string, error)) error {
	for attempt := 1; ; attempt++ {
		t, err := h.resolveTaggable(c)
		if err != nil {
			return err
		}
		if !t.cluster {
			_, err = h.store.EditEntryTags(t.principal, edit)
			if access.TypeOf(err) == access.ResourceNotFoundException {
				return &access.Error{Type: access.NotFoundException, Message: fmt.Sprintf("No resource found for ARN: %s.", c.params[0])}
			}
			return err
		}
		cfg, err := h.store.GetCluster()
		if err != nil {
			return fmt.Errorf("read cluster config: %w", err)
		}
		if cfg.Tags, err = edit(cfg.Tags); err != nil {
			return err
		}
		_, err = h.store.PutCluster(cfg, cfg.Version)
		if errors.Is(err, store.ErrConflict) && attempt < maxConfigAttempts {
			continue
		}
		return err
	}
}

func (h *Handler) tagResource(c *call) (any, error) {
	var req tagRequest
	if err := decode(c.body, &req); err != nil {
		return nil, badRequest(err)
	}
	if err := access.ValidateTags(req.Tags, access.BadRequestException); err != nil {
		return nil, err
	}
	err := h.editTags(c, func(cur map[string]string) (map[string]string, error) {
		return access.MergeTags(cur, req.Tags, access.BadRequestException)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Handler) untagResource(c *call) (any, error) {
	if err := decode(c.body, &struct{}{}); err != nil {
		return nil, badRequest(err)
	}
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return nil, &access.Error{Type: access.BadRequestException, Message: "The query string is malformed."}
	}
	keys := q["tagKeys"]
	if err := access.ValidateTagKeys(keys, access.BadRequestException); err != nil {
		return nil, err
	}
	err = h.editTags(c, func(cur map[string]string) (map[string]string, error) {
		return access.RemoveTags(cur, keys), nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Handler) listTagsForResource(c *call) (any, error) {
	t, err := h.resolveTaggable(c)
	if err != nil {
		return nil, err
	}
	if t.cluster {
		cfg, err := h.store.GetCluster()
		if err != nil {
			return nil, fmt.Errorf("read cluster config: %w", err)
		}
		return tagsResponse{Tags: nonNilTags(cfg.Tags)}, nil
	}
	e, err := h.store.GetEntry(t.principal)
	if access.TypeOf(err) == access.ResourceNotFoundException {
		return nil, &access.Error{Type: access.NotFoundException, Message: fmt.Sprintf("No resource found for ARN: %s.", c.params[0])}
	}
	if err != nil {
		return nil, err
	}
	return tagsResponse{Tags: nonNilTags(e.Tags)}, nil
}

// badRequest retypes a request-decoding refusal as the tagging
// operations' BadRequestException.
func badRequest(err error) error {
	if e, ok := err.(*Error); ok && e.Type == TypeInvalidParameter {
		return &Error{Status: e.Status, Type: string(access.BadRequestException), Message: e.Message}
	}
	return err
}
