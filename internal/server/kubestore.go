package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
)

// ensureRetry is the pause between attempts to store the cluster's access
// configuration while the kubernetes store cannot.
const ensureRetry = time.Second

// openKubeStore starts the kubernetes store with kubeiam's own credentials
// (store.kubeconfig, never anything served by kubeiam itself). It returns at
// once; the cache syncs in the background.
func (s *Server) openKubeStore() (*kubestore.Store, error) {
	client := s.opts.StoreClient
	if client == nil {
		rc, err := clientcmd.BuildConfigFromFlags("", s.cfg.Store.Kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("store.kubeconfig: %w", err)
		}
		rc.QPS, rc.Burst = kubestore.ClientQPS, kubestore.ClientBurst
		if client, err = dynamic.NewForConfig(rc); err != nil {
			return nil, fmt.Errorf("store.kubeconfig: %w", err)
		}
	}
	return kubestore.New(kubestore.Config{Client: client, Logger: s.log, Now: s.opts.Now})
}

// provisionalCluster is the configuration in force until the kubernetes
// store has synced: the configured one.
func provisionalCluster(s *Server) (access.ClusterConfig, error) {
	mode, err := access.ParseMode(s.cfg.AuthenticationMode)
	if err != nil {
		return access.ClusterConfig{}, fmt.Errorf("authenticationMode: %w", err)
	}
	return access.ClusterConfig{Name: s.cfg.ClusterID, Region: s.cfg.Region, AccountID: s.cfg.AccountID,
		AuthenticationMode: mode, CreatorARN: s.cfg.ClusterCreatorARN,
		BootstrapClusterCreatorAdminPermissions: s.cfg.BootstrapCreator()}, nil
}

// ensureClusterInAPI waits for the kubernetes store to sync, then stores
// the cluster's access configuration if no replica has yet, retrying while
// the API cannot be reached. Several replicas may race: the entry and the
// AccessConfig are created once each, the losers read the winner's.
func (s *Server) ensureClusterInAPI(ctx context.Context, ks *kubestore.Store) {
	if err := ks.WaitForSync(ctx); err != nil {
		return
	}
	for {
		c, created, err := ensureCluster(s.store, s.cfg, s.opts.Now())
		if err == nil {
			s.clusterReady.Store(true)
			if created {
				s.log.Info("cluster configuration created", "cluster", c.Name, "authenticationMode", c.AuthenticationMode, "creator", c.CreatorARN)
			} else if creatorMismatch(c, s.cfg.ClusterCreatorARN) {
				s.log.Warn("configured cluster creator differs from the stored one; the stored one is kept",
					"stored", c.CreatorARN, "configured", s.cfg.ClusterCreatorARN)
			}
			return
		}
		if !errors.Is(err, store.ErrConflict) {
			s.log.Warn("cannot store the cluster configuration yet; retrying", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(ensureRetry):
		}
	}
}

// kubeStoreCheck reports the kubernetes store in /readyz: not ready until
// its cache has synced and the cluster configuration is stored, and not
// ready while its watch has been broken for longer than store.staleAfter,
// although the last synced state keeps serving.
func (s *Server) kubeStoreCheck(ks *kubestore.Store) Checker {
	return func() Check {
		c := Check{Name: "store", Ready: true, Healthy: true}
		switch broken, err := ks.BrokenFor(); {
		case !ks.HasSynced():
			c.Ready, c.Healthy, c.Detail = false, false, "kubernetes store: not synced yet"
			if err != nil {
				c.Detail += ": " + err.Error()
			}
		case err != nil && broken > s.cfg.Store.StaleAfter.Duration:
			c.Ready, c.Healthy = false, false
			c.Detail = fmt.Sprintf("kubernetes store: watch broken for %s, serving the last synced state: %v", broken.Round(time.Second), err)
		case err != nil:
			c.Healthy, c.Detail = false, "kubernetes store: watch interrupted: "+err.Error()
		case !s.clusterReady.Load():
			c.Ready, c.Healthy, c.Detail = false, false, "kubernetes store: cluster configuration not stored yet"
		}
		return c
	}
}
