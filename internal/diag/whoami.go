package diag

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/token"
)

// Whoami is the answer of POST /kubeiam/v1/whoami: what kube-apiserver
// would be told about the token, and why.
type Whoami struct {
	Authenticated bool `json:"authenticated"`
	// ARN, CanonicalARN and AccountID are who STS says signed the token;
	// empty when STS did not answer for it.
	ARN          string `json:"arn,omitempty"`
	CanonicalARN string `json:"canonicalArn,omitempty"`
	AccountID    string `json:"accountId,omitempty"`
	// Username, UID, Groups, Source and Policies are the Kubernetes user.
	Username string   `json:"username,omitempty"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	Source   string   `json:"source,omitempty"`
	MappedBy string   `json:"mappedBy,omitempty"`
	Policies []string `json:"policies,omitempty"`
	// Code and Reason say why (MAPPED, ARN_NOT_MAPPED, TOKEN_EXPIRED, ...).
	Code   string   `json:"code"`
	Reason string   `json:"reason,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	// ClusterCreatorARN is set for a verified but unmapped caller when the
	// server is configured to say who the creator is.
	ClusterCreatorARN string `json:"clusterCreatorArn,omitempty"`
	// TokenSHA256 identifies the token: the first 12 hex digits.
	TokenSHA256 string `json:"tokenSha256"`
}

// whoami authenticates the bearer token exactly as the TokenReview
// webhook would, and answers the holder. A refused token is a 200 with
// authenticated false: a denial is a result.
func (h *handler) whoami(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kubeiam"`)
		writeError(w, http.StatusUnauthorized, `send your token as "Authorization: Bearer k8s-aws-v1...."`)
		return
	}
	out := h.cfg.Tokens.Authenticate(r.Context(), authn.Request{Token: tok, Client: r.RemoteAddr, Method: r.Method, Path: r.URL.Path})
	writeJSON(w, http.StatusOK, h.whoamiAnswer(out))
}

func (h *handler) whoamiAnswer(out authn.Outcome) Whoami {
	res := out.Result
	a := Whoami{Authenticated: out.Authenticated, Code: string(res.Code), Reason: out.PublicError, Notes: res.Notes, TokenSHA256: out.TokenHash}
	if id := out.Identity; id != nil {
		a.ARN, a.CanonicalARN, a.AccountID, a.UID = id.ARN, id.CanonicalARN, id.AccountID, out.UID
		// The newest aws-auth may name the caller yet be refused: say so,
		// or the caller is told "not mapped" about an edit they can see.
		if h.usesAWSAuth() {
			a.Notes = slices.Concat(a.Notes, explain.RejectionNotes(*id, h.rejected()))
		}
		if note, ok := explain.CacheNote(h.lastGranted(id.CanonicalARN), h.cfg.Now(), out.Authenticated, res.Username, res.Groups); ok {
			a.Notes = append(a.Notes, note)
		}
	}
	if out.Authenticated {
		a.Username, a.Groups, a.Source, a.MappedBy = res.Username, res.Groups, string(res.Source), res.SourceDetail
		for _, g := range res.Grants {
			a.Policies = append(a.Policies, g.PolicyARN)
		}
	} else if out.Identity != nil && h.cfg.CreatorHint && h.cfg.Snapshots != nil {
		if s := h.cfg.Snapshots.Snapshot(); s != nil {
			a.ClusterCreatorARN = s.CreatorARN
		}
	}
	return a
}

// usesAWSAuth reports whether the mode in force consults aws-auth: in API
// mode a rejected aws-auth version changes nothing.
func (h *handler) usesAWSAuth() bool {
	if h.cfg.Snapshots == nil {
		return true
	}
	s := h.cfg.Snapshots.Snapshot()
	return s == nil || s.UseAWSAuth
}

// bearer returns the k8s-aws-v1 token of the Authorization header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, strings.HasPrefix(tok, token.Prefix)
}

// ExplainRequest is the body of POST /kubeiam/v1/explain: an ARN, or a
// token whose verified identity to explain, and optionally a request.
type ExplainRequest struct {
	ARN   string `json:"arn,omitempty"`
	Token string `json:"token,omitempty"`
	explain.Request
}

// maxBody bounds a request body: an ARN, a token and a few fields.
const maxBody = 64 << 10

func (h *handler) explain(w http.ResponseWriter, r *http.Request, _ identity.Identity) {
	var req ExplainRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body is not an explain request: "+err.Error())
		return
	}
	in := explain.Input{ARN: req.ARN, ClusterName: h.cfg.ClusterName, EndpointURL: h.cfg.EndpointURL, Resolve: h.cfg.ResolveOptions,
		RejectedAWSAuth: h.rejected(), AWSAuthFile: h.cfg.AWSAuthFile}
	if req.Verb != "" {
		q := req.Request
		in.Request = &q
	} else if req.Resource != "" || req.Path != "" {
		writeError(w, http.StatusBadRequest, "a request needs a verb")
		return
	}
	switch {
	case req.Token != "":
		out := h.cfg.Tokens.Authenticate(r.Context(), authn.Request{Token: req.Token, Client: r.RemoteAddr, Method: r.Method, Path: r.URL.Path})
		if out.Identity == nil {
			writeError(w, http.StatusUnprocessableEntity, "token not verified: "+out.PublicError)
			return
		}
		in.Identity = out.Identity
	case req.ARN == "":
		writeError(w, http.StatusBadRequest, errNoSubject.Error())
		return
	}
	// Read last: the snapshot the next TokenReview will use (the token
	// check above may itself have reloaded it).
	in.Snapshot = h.cfg.Snapshots.Snapshot()
	in.Now = h.cfg.Now()
	if in.Identity != nil {
		in.LastGranted = h.lastGranted(in.Identity.CanonicalARN)
	} else if p, err := arn.Parse(strings.TrimSpace(req.ARN)); err == nil {
		in.LastGranted = h.lastGranted(p.Canonical())
	}
	writeJSON(w, http.StatusOK, explain.Explain(in))
}

var errNoSubject = errors.New("explain needs an arn or a token")
