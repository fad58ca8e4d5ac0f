package access

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// The EKS operations that take a clientRequestToken (in the EKS API
// reference, https://docs.aws.amazon.com/eks/latest/APIReference/, the
// request bodies of CreateAccessEntry, UpdateAccessEntry and
// UpdateClusterConfig have one, marked as an idempotency token in the
// service model; AssociateAccessPolicy, DisassociateAccessPolicy,
// DeleteAccessEntry and the tagging operations have none). The AWS SDKs
// and CLI fill it with a fresh UUID when the caller gives none and resend
// it unchanged on their own retries, so that a retry of a request that
// succeeded finds it done instead of doing it twice.
//
// EKS documents neither what a token with another request gets nor how
// far a token reaches; kubeiam refuses the other request (ErrTokenReused)
// and gives a token this reach:
//   - CreateAccessEntry: across the cluster. The store claims the token
//     atomically with the entry's write, so that of two different requests
//     with one token exactly one is done, whatever their principals, and
//     the other is refused (ErrTokenReused); the request itself, sent
//     again, gets the entry it made.
//   - UpdateAccessEntry: on the entry it names, which remembers the tokens
//     of its last MaxUpdateTokens updates (TokenUse). A retry of one of them
//     is answered with the entry and changes nothing; the token with another
//     change of that entry is refused.
//   - UpdateClusterConfig: on the cluster, whose update history keeps each
//     update's token (ClusterConfig.UpdateByToken).

// TokenUse is a clientRequestToken and the digest of the request that used
// it (CreateDigest, UpdateDigest): a request sent again has the same
// digest, another request another one.
type TokenUse struct {
	Token  string
	Digest string
}

// MaxUpdateTokens bounds the UpdateAccessEntry tokens an entry remembers:
// the SDKs retry within seconds, so only the latest updates need them.
const MaxUpdateTokens = 10

// CreateDigest returns the digest of the CreateAccessEntry request that
// builds e (NewEntry): its principal (by key, so any path or case of the
// name is the same request, as it is the same entry), type, username,
// groups (in any order) and tags.
func CreateDigest(e AccessEntry) (string, error) {
	key, err := EntryKey(e.PrincipalARN)
	if err != nil {
		return "", err
	}
	groups := slices.Clone(e.KubernetesGroups)
	slices.Sort(groups)
	return digest(struct {
		Op       string            `json:"op"`
		Key      string            `json:"key"`
		Type     EntryType         `json:"type"`
		Username string            `json:"username"`
		Groups   []string          `json:"groups"`
		Tags     map[string]string `json:"tags"` // encoding/json sorts map keys
	}{"CreateAccessEntry", key, e.Type, e.Username, groups, e.Tags}), nil
}

// UpdateDigest returns the digest of an UpdateAccessEntry request; a member
// left out and one given empty are different requests.
func UpdateDigest(req UpdateEntryRequest) string {
	return digest(struct {
		Op       string    `json:"op"`
		Groups   *[]string `json:"groups"`
		Username *string   `json:"username"`
	}{"UpdateAccessEntry", req.KubernetesGroups, req.Username})
}

func digest(v any) string {
	b, _ := json.Marshal(v) // strings, slices and maps of strings: marshalling cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReplayedUpdate reports whether req, an UpdateAccessEntry of e with a
// clientRequestToken, is an update e has had already: the caller then
// answers with e and writes nothing. The token of another update of e is
// refused with ErrTokenReused.
func ReplayedUpdate(e AccessEntry, req UpdateEntryRequest) (bool, error) {
	if req.ClientRequestToken == "" {
		return false, nil
	}
	for _, u := range e.UpdateTokens {
		if u.Token == req.ClientRequestToken {
			if u.Digest != UpdateDigest(req) {
				return false, ErrTokenReused()
			}
			return true, nil
		}
	}
	return false, nil
}

// withUpdateToken returns tokens with the use of req's token appended, the
// oldest dropped beyond MaxUpdateTokens; tokens itself is not modified.
func withUpdateToken(tokens []TokenUse, req UpdateEntryRequest) []TokenUse {
	if req.ClientRequestToken == "" {
		return tokens
	}
	out := append(slices.Clone(tokens), TokenUse{Token: req.ClientRequestToken, Digest: UpdateDigest(req)})
	if len(out) > MaxUpdateTokens {
		out = out[len(out)-MaxUpdateTokens:]
	}
	return out
}

// cloneTokenUses copies a TokenUse slice (nil stays nil).
func cloneTokenUses(t []TokenUse) []TokenUse { return slices.Clone(t) }
