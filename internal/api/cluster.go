package api

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
)

// maxConfigAttempts bounds the retries of an UpdateClusterConfig that lost
// an optimistic-concurrency race.
const maxConfigAttempts = 3

// cluster returns the stored cluster configuration if the call names it;
// any other valid name, like a store with no cluster, is EKS's "No cluster
// found", and a name no cluster can have is refused as EKS refuses it
// (checkClusterName).
func (h *Handler) cluster(c *call) (access.ClusterConfig, error) {
	if err := checkClusterName(c); err != nil {
		return access.ClusterConfig{}, err
	}
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
	var ca *wireCA
	if len(h.caPEM) > 0 {
		ca = &wireCA{Data: base64.StdEncoding.EncodeToString(h.caPEM)}
	}
	return map[string]wireCluster{"cluster": {
		CA:        ca,
		Name:      cfg.Name,
		ARN:       cfg.ARN(),
		CreatedAt: epochTime(cfg.CreatedAt),
		Version:   h.version,
		Endpoint:  h.endpoint,
		Status:    "ACTIVE",
		AccessConfig: wireAccessConfig{
			AuthenticationMode:                      string(cfg.AuthenticationMode),
			BootstrapClusterCreatorAdminPermissions: cfg.BootstrapClusterCreatorAdminPermissions,
		},
		Tags: nonNilTags(cfg.Tags),
	}}, nil
}

// updateClusterConfig changes the authentication mode and answers, as EKS
// does, with an InProgress update that DescribeUpdate then reports
// Successful (see updates.go). The change, its update record and, on the
// move from CONFIG_MAP with bootstrapClusterCreatorAdminPermissions, the
// creator's cluster-admin entry are written together
// (store.Port.PutClusterWithEntry: one transaction in the embedded store,
// the entry first in the Kubernetes store), so that there is no instant in
// which the creator has lost CONFIG_MAP's implicit admin without having
// the entry; an entry that already exists is kept as it is.
//
// A retry with the clientRequestToken of an earlier update gets that
// update back; the same token on a different change is refused.
func (h *Handler) updateClusterConfig(c *call) (any, error) {
	var req updateConfigRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	if err := checkToken(req.ClientRequestToken); err != nil {
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
		u, err := h.changeMode(c, mode, req.ClientRequestToken)
		if errors.Is(err, store.ErrConflict) && attempt < maxConfigAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return map[string]wireUpdate{"update": toWireUpdate(u)}, nil
	}
}

func (h *Handler) changeMode(c *call, mode access.Mode, token string) (access.Update, error) {
	cur, err := h.cluster(c)
	if err != nil {
		return access.Update{}, err
	}
	if prev, ok := cur.UpdateByToken(token); ok {
		if prev.Type != access.UpdateTypeAccessConfig || len(prev.Params) != 1 || prev.Params[0].Value != string(mode) {
			return access.Update{}, access.ErrTokenReused()
		}
		return prev, nil
	}
	if err := access.ValidateModeChange(cur.AuthenticationMode, mode); err != nil {
		return access.Update{}, err
	}
	id, err := newUUID()
	if err != nil {
		return access.Update{}, err
	}
	u := access.NewModeUpdate(id, mode, token, h.now())
	next := cur.WithUpdate(u)
	next.AuthenticationMode = mode
	var saved access.ClusterConfig
	if !cur.AuthenticationMode.UsesAccessEntries() && mode.UsesAccessEntries() && cur.BootstrapClusterCreatorAdminPermissions {
		entry, assoc, err := access.BootstrapCreatorEntry(cur, h.now())
		if err != nil {
			return access.Update{}, err
		}
		if saved, err = h.store.PutClusterWithEntry(next, cur.Version, entry, assoc); err != nil {
			return access.Update{}, err
		}
		c.principal = entry.PrincipalARN
		h.log.Info("api bootstrap entry created", "principal_arn", entry.PrincipalARN, "policy_arn", assoc.PolicyARN)
	} else if saved, err = h.store.PutCluster(next, cur.Version); err != nil {
		return access.Update{}, err
	}
	h.completeUpdate(saved, u.ID)
	return u, nil
}

// checkClusterName refuses a cluster name in the path that is not of EKS's
// form with EKS's InvalidParameterException, word for word (its missing
// space after the pattern included), as users quote it
// (surajincloud/kubectl-eks issue 72): DescribeCluster's member is "name",
// the access entry operations' is "clusterName", and EKS words the two
// messages differently.
func checkClusterName(c *call) error {
	name := c.cluster
	ok := name != "" && isAlnum(name[0])
	for i := 1; ok && i < len(name); i++ {
		ok = isAlnum(name[i]) || name[i] == '-' || name[i] == '_'
	}
	if ok {
		return nil
	}
	subject := "The clusterName parameter"
	switch c.op.name {
	case OpDescribeCluster, OpUpdateClusterConfig, OpDescribeUpdate, OpListUpdates:
		subject = "The parameter name"
	}
	return invalidParameter(subject + ` contains invalid characters. It should conform to the regular expression "^[0-9A-Za-z][A-Za-z0-9-_]*"In other words, it should start with a number or letter, and can contain numbers, letters, dashes, and underscores.`)
}

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
