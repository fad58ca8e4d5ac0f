package explain

import (
	"fmt"
	"slices"
	"time"
)

// CodeAPIServerCache: kube-apiserver may still serve an authentication it
// cached before the mapping changed, so what kubectl sees can lag behind
// what explain says.
const CodeAPIServerCache Code = "KUBE_APISERVER_CACHE"

// How long kube-apiserver reuses a successful authentication: its token
// authenticators sit behind a cache of successes (10 s, not configurable:
// kube-apiserver's BuiltInAuthenticationOptions TokenSuccessCacheTTL), and
// the webhook's answers are cached for --authentication-token-webhook-cache-ttl
// (default 2m).
const (
	TokenSuccessCacheTTL = 10 * time.Second
	WebhookTokenCacheTTL = 2 * time.Minute
)

// Granted is the server's last authentication of the caller's principal.
type Granted struct {
	At       time.Time `json:"at"`
	Username string    `json:"username"`
	Groups   []string  `json:"groups,omitempty"`
}

// CacheNote says, when the last grant is recent enough to be cached by
// kube-apiserver and differs from the mapping now, what kubectl may still
// see and until when. ok is false when no cache can contradict the result.
func CacheNote(last *Granted, now time.Time, mapped bool, username string, groups []string) (string, bool) {
	if last == nil || now.Sub(last.At) >= WebhookTokenCacheTTL || now.Before(last.At) {
		return "", false
	}
	if mapped && username == last.Username && slices.Equal(groups, last.Groups) {
		return "", false
	}
	return fmt.Sprintf("kube-apiserver authenticated this caller as %q at %s and may reuse that answer for a token it has seen: "+
		"successes are cached for %s, and webhook answers for --authentication-token-webhook-cache-ttl (default %s), "+
		"so kubectl may act as %q until %s at the latest; a new token (kubeiam token, aws eks get-token) is authenticated afresh",
		last.Username, last.At.UTC().Format(time.RFC3339), TokenSuccessCacheTTL, WebhookTokenCacheTTL,
		last.Username, last.At.Add(WebhookTokenCacheTTL).UTC().Format(time.RFC3339)), true
}

// cacheNote adds the finding when kube-apiserver's cache may disagree.
func (e *explainer) cacheNote() {
	msg, ok := CacheNote(e.in.LastGranted, e.in.Now, e.r.Mapped, e.r.Username, e.r.Groups)
	if ok {
		e.add(CodeAPIServerCache, SeverityInfo, "%s", msg)
	}
}
