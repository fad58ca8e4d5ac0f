package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// schemaVersion is the version of the layout below. Change it, and teach
// Open to migrate, whenever a bucket, a key or a record changes
// incompatibly; adding an optional JSON field does not need a new version.
const schemaVersion = "1"

// The buckets and keys. An entry is stored under its principal key
// (access.EntryKey); an association under the entry's key, a NUL byte (which
// no ARN contains) and the policy ARN, so that an entry's associations are
// one contiguous, sorted range.
const (
	bucketMeta         = "meta"
	bucketCluster      = "cluster"
	bucketEntries      = "entries"
	bucketAssociations = "associations"
	// bucketCreateTokens maps the clientRequestToken of each
	// CreateAccessEntry that made an entry still stored to a tokenClaim.
	bucketCreateTokens = "createTokens"

	keySchema     = "schema"
	keyGeneration = "generation"
	keyCluster    = "config"
)

func associationKey(entryKey, policyARN string) string { return entryKey + "\x00" + policyARN }

func associationPrefix(entryKey string) string { return entryKey + "\x00" }

// The records are the stored JSON, kept apart from the domain types so that
// renaming a Go field cannot silently change the schema. Times are stored in
// UTC.
type clusterRecord struct {
	Name                                    string            `json:"name"`
	Region                                  string            `json:"region"`
	AccountID                               string            `json:"accountId"`
	AuthenticationMode                      string            `json:"authenticationMode"`
	BootstrapClusterCreatorAdminPermissions bool              `json:"bootstrapClusterCreatorAdminPermissions"`
	CreatorARN                              string            `json:"creatorArn,omitempty"`
	CreatedAt                               time.Time         `json:"createdAt"`
	Version                                 int64             `json:"version"`
	Tags                                    map[string]string `json:"tags,omitempty"`
	Updates                                 []updateRecord    `json:"updates,omitempty"`
}

type updateRecord struct {
	ID                 string              `json:"id"`
	Status             string              `json:"status"`
	Type               string              `json:"type"`
	Params             []updateParamRecord `json:"params,omitempty"`
	CreatedAt          time.Time           `json:"createdAt"`
	Errors             []updateErrorRecord `json:"errors,omitempty"`
	ClientRequestToken string              `json:"clientRequestToken,omitempty"`
}

type updateParamRecord struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type updateErrorRecord struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type entryRecord struct {
	ClusterName      string            `json:"clusterName"`
	PrincipalARN     string            `json:"principalArn"`
	PrincipalID      string            `json:"principalId,omitempty"`
	Username         string            `json:"username"`
	KubernetesGroups []string          `json:"kubernetesGroups"`
	Type             string            `json:"type"`
	Tags             map[string]string `json:"tags"`
	AccessEntryARN   string            `json:"accessEntryArn"`
	CreatedAt        time.Time         `json:"createdAt"`
	ModifiedAt       time.Time         `json:"modifiedAt"`
	// ClientRequestToken and UpdateTokens: optional, so no new schema
	// version.
	ClientRequestToken string           `json:"clientRequestToken,omitempty"`
	UpdateTokens       []tokenUseRecord `json:"updateTokens,omitempty"`
}

type tokenUseRecord struct {
	Token  string `json:"token"`
	Digest string `json:"digest"`
}

// tokenClaim is what bucketCreateTokens keeps of a CreateAccessEntry: the
// entry it made and the digest of the request (access.CreateDigest).
type tokenClaim struct {
	EntryKey string `json:"entryKey"`
	Digest   string `json:"digest"`
}

type associationRecord struct {
	PrincipalARN string    `json:"principalArn"`
	PolicyARN    string    `json:"policyArn"`
	ScopeType    string    `json:"scopeType"`
	Namespaces   []string  `json:"namespaces"`
	AssociatedAt time.Time `json:"associatedAt"`
	ModifiedAt   time.Time `json:"modifiedAt"`
}

func encodeCluster(c access.ClusterConfig) ([]byte, error) {
	r := clusterRecord{
		Name: c.Name, Region: c.Region, AccountID: c.AccountID,
		AuthenticationMode:                      string(c.AuthenticationMode),
		BootstrapClusterCreatorAdminPermissions: c.BootstrapClusterCreatorAdminPermissions,
		CreatorARN:                              c.CreatorARN, CreatedAt: c.CreatedAt.UTC(), Version: c.Version,
		Tags: c.Tags,
	}
	for _, u := range c.Updates {
		ur := updateRecord{ID: u.ID, Status: string(u.Status), Type: u.Type, CreatedAt: u.CreatedAt.UTC(), ClientRequestToken: u.ClientRequestToken}
		for _, p := range u.Params {
			ur.Params = append(ur.Params, updateParamRecord{Type: p.Type, Value: p.Value})
		}
		for _, e := range u.Errors {
			ur.Errors = append(ur.Errors, updateErrorRecord{Code: e.Code, Message: e.Message})
		}
		r.Updates = append(r.Updates, ur)
	}
	return json.Marshal(r)
}

func decodeCluster(b []byte) (access.ClusterConfig, error) {
	var r clusterRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return access.ClusterConfig{}, fmt.Errorf("decode cluster config: %w", err)
	}
	return access.ClusterConfig{
		Name: r.Name, Region: r.Region, AccountID: r.AccountID,
		AuthenticationMode:                      access.Mode(r.AuthenticationMode),
		BootstrapClusterCreatorAdminPermissions: r.BootstrapClusterCreatorAdminPermissions,
		CreatorARN:                              r.CreatorARN, CreatedAt: r.CreatedAt, Version: r.Version,
		Tags: r.Tags, Updates: decodeUpdates(r.Updates),
	}, nil
}

func decodeUpdates(rs []updateRecord) []access.Update {
	var out []access.Update
	for _, r := range rs {
		u := access.Update{ID: r.ID, Status: access.UpdateStatus(r.Status), Type: r.Type, CreatedAt: r.CreatedAt, ClientRequestToken: r.ClientRequestToken}
		for _, p := range r.Params {
			u.Params = append(u.Params, access.UpdateParam{Type: p.Type, Value: p.Value})
		}
		for _, e := range r.Errors {
			u.Errors = append(u.Errors, access.UpdateError{Code: e.Code, Message: e.Message})
		}
		out = append(out, u)
	}
	return out
}

func encodeEntry(e access.AccessEntry) ([]byte, error) {
	return json.Marshal(entryRecord{
		ClusterName: e.ClusterName, PrincipalARN: e.PrincipalARN, PrincipalID: e.PrincipalID, Username: e.Username,
		KubernetesGroups: e.KubernetesGroups, Type: string(e.Type), Tags: e.Tags,
		AccessEntryARN: e.AccessEntryARN, CreatedAt: e.CreatedAt.UTC(), ModifiedAt: e.ModifiedAt.UTC(),
		ClientRequestToken: e.ClientRequestToken, UpdateTokens: encodeTokenUses(e.UpdateTokens),
	})
}

func encodeTokenUses(ts []access.TokenUse) []tokenUseRecord {
	var out []tokenUseRecord
	for _, t := range ts {
		out = append(out, tokenUseRecord{Token: t.Token, Digest: t.Digest})
	}
	return out
}

func decodeTokenUses(rs []tokenUseRecord) []access.TokenUse {
	var out []access.TokenUse
	for _, r := range rs {
		out = append(out, access.TokenUse{Token: r.Token, Digest: r.Digest})
	}
	return out
}

func decodeEntry(key string, b []byte) (access.AccessEntry, error) {
	var r entryRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return access.AccessEntry{}, fmt.Errorf("decode access entry %q: %w", key, err)
	}
	return access.AccessEntry{
		ClusterName: r.ClusterName, PrincipalARN: r.PrincipalARN, PrincipalID: r.PrincipalID, Username: r.Username,
		KubernetesGroups: r.KubernetesGroups, Type: access.EntryType(r.Type), Tags: r.Tags,
		AccessEntryARN: r.AccessEntryARN, CreatedAt: r.CreatedAt, ModifiedAt: r.ModifiedAt,
		ClientRequestToken: r.ClientRequestToken, UpdateTokens: decodeTokenUses(r.UpdateTokens),
	}, nil
}

func encodeAssociation(a access.AccessPolicyAssociation) ([]byte, error) {
	return json.Marshal(associationRecord{
		PrincipalARN: a.PrincipalARN, PolicyARN: a.PolicyARN,
		ScopeType: string(a.Scope.Type), Namespaces: a.Scope.Namespaces,
		AssociatedAt: a.AssociatedAt.UTC(), ModifiedAt: a.ModifiedAt.UTC(),
	})
}

func decodeAssociation(key string, b []byte) (access.AccessPolicyAssociation, error) {
	var r associationRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return access.AccessPolicyAssociation{}, fmt.Errorf("decode policy association %q: %w", key, err)
	}
	return access.AccessPolicyAssociation{
		PrincipalARN: r.PrincipalARN, PolicyARN: r.PolicyARN,
		Scope:        authz.Scope{Type: authz.ScopeType(r.ScopeType), Namespaces: r.Namespaces},
		AssociatedAt: r.AssociatedAt, ModifiedAt: r.ModifiedAt,
	}, nil
}

// putJSON encodes v with enc and stores it.
func putJSON[T any](tx Tx, bucket, key string, v T, enc func(T) ([]byte, error)) error {
	b, err := enc(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", bucket, key, err)
	}
	return tx.Put(bucket, key, b)
}
