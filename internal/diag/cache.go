package diag

import (
	"strings"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/explain"
)

// lastGranted returns the newest grant to the principal canonicalARN that
// kube-apiserver may still hold in its caches: one asked by a TokenReview,
// not by the diagnosis endpoints themselves.
func (h *handler) lastGranted(canonicalARN string) *explain.Granted {
	if h.cfg.Decisions == nil || canonicalARN == "" {
		return nil
	}
	since := h.cfg.Now().Add(-explain.WebhookTokenCacheTTL)
	recs := h.cfg.Decisions.Query(decisionlog.Filter{ARN: canonicalARN, Decision: decisionlog.Granted, Since: since}, 0)
	var last *explain.Granted
	for _, r := range recs {
		if !strings.EqualFold(r.CanonicalARN, canonicalARN) || strings.HasPrefix(r.Path, "/kubeiam/") {
			continue
		}
		if last == nil || r.Time.After(last.At) {
			last = &explain.Granted{At: r.Time, Username: r.Username, Groups: r.Groups}
		}
	}
	return last
}
