package api

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
)

// maxConfigAttempts bounds the retries of an UpdateClusterConfig that lost
// an optimistic-concurrency race.
const maxConfigAttempts = 3

// cluster returns the stored cluster configuration if the call names it;
// any other name, like a store with no cluster, is EKS's "No cluster found".
func (h *Handler) cluster(c *call) (access.ClusterConfig, error) {
	cfg, err := h.store.GetCluster()
	if access.TypeOf(err) == access.ResourceNotFoundException {
		return access.ClusterConfig{}, access.ErrClusterNotFound(c.cluster)
	}
	if err != nil {
		return access.ClusterConfig{}, fmt.Errorf("read cluster config: %w", err)
	}
	if cfg.Name != c.cluster {
		return access.ClusterConfig{}, access.ErrClusterNotFound(c.cluster)
	}
	return cfg, nil
}

// entryCluster is cluster for the access entry operations, which also need
// a mode that uses access entries.
func (h *Handler) entryCluster(c *call) (access.ClusterConfig, error) {
	cfg, err := h.cluster(c)
	if err != nil {
		return cfg, err
	}
	return cfg, access.RequireAccessEntries(cfg.AuthenticationMode)
}

func (h *Handler) describeCluster(c *call) (any, error) {
	if err := decode(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	cfg, err := h.cluster(c)
	if err != nil {
		return nil, err
	}
	return map[string]wireCluster{"cluster": {
		Name:      cfg.Name,
		ARN:       "arn:" + clusterPartition(cfg.CreatorARN) + ":eks:" + cfg.Region + ":" + cfg.AccountID + ":cluster/" + cfg.Name,
		CreatedAt: epochTime(cfg.CreatedAt),
		Version:   h.version,
		Endpoint:  h.endpoint,
		Status:    "ACTIVE",
		AccessConfig: wireAccessConfig{
			AuthenticationMode:                      string(cfg.AuthenticationMode),
			BootstrapClusterCreatorAdminPermissions: cfg.BootstrapClusterCreatorAdminPermissions,
		},
		Tags: map[string]string{},
	}}, nil
}

// updateClusterConfig changes the authentication mode. On the move from
// CONFIG_MAP into an API mode with bootstrapClusterCreatorAdminPermissions,
// the creator's cluster-admin entry is created first, so that there is no
// instant in which the creator has lost CONFIG_MAP's implicit admin without
// having the entry; an entry that already exists is kept as it is.
func (h *Handler) updateClusterConfig(c *call) (any, error) {
	var req updateConfigRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	if req.AccessConfig == nil || req.AccessConfig.AuthenticationMode == "" {
		return nil, invalidParameter("kubeiam can only update accessConfig.authenticationMode; the request has none.")
	}
	mode, err := access.ParseMode(req.AccessConfig.AuthenticationMode)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		saved, err := h.changeMode(c, mode)
		if errors.Is(err, store.ErrConflict) && attempt < maxConfigAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return map[string]wireUpdate{"update": {
			ID:     updateID(saved),
			Status: "Successful",
			Type:   "AccessConfigUpdate",
			Params: []wireUpdateParam{{Type: "AuthenticationMode", Value: string(mode)}},
			// The change is applied synchronously, so it is done when created.
			CreatedAt: epochTime(h.now()),
			Errors:    []any{},
		}}, nil
	}
}

func (h *Handler) changeMode(c *call, mode access.Mode) (access.ClusterConfig, error) {
	cur, err := h.cluster(c)
	if err != nil {
		return access.ClusterConfig{}, err
	}
	if err := access.ValidateModeChange(cur.AuthenticationMode, mode); err != nil {
		return access.ClusterConfig{}, err
	}
	if !cur.AuthenticationMode.UsesAccessEntries() && mode.UsesAccessEntries() && cur.BootstrapClusterCreatorAdminPermissions {
		entry, assoc, err := access.BootstrapCreatorEntry(cur, h.now())
		if err != nil {
			return access.ClusterConfig{}, err
		}
		err = h.store.CreateEntry(entry, assoc)
		switch access.TypeOf(err) {
		case "":
			if err != nil {
				return access.ClusterConfig{}, fmt.Errorf("create the creator's access entry: %w", err)
			}
			c.principal = entry.PrincipalARN
			h.log.Info("api bootstrap entry created", "principal_arn", entry.PrincipalARN, "policy_arn", assoc.PolicyARN)
		case access.ResourceInUseException: // someone made it already
		default:
			return access.ClusterConfig{}, err
		}
	}
	next := cur
	next.AuthenticationMode = mode
	return h.store.PutCluster(next, cur.Version)
}

// updateID derives the update's ID from the cluster and its new version,
// UUID-shaped like EKS's, so the same update always has the same ID.
func updateID(cfg access.ClusterConfig) string {
	sum := sha256.Sum256([]byte(cfg.Name + "/" + strconv.FormatInt(cfg.Version, 10)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
