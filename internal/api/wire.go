package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// The JSON shapes of the EKS REST API (restJson1): member names as in the
// eks SDK's schemas, timestamps as epoch seconds.

// epochTime renders a time as restJson1 does: seconds since the epoch, with
// milliseconds.
type epochTime time.Time

// MarshalJSON renders seconds with up to three decimals.
func (t epochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

type wireAccessEntry struct {
	ClusterName      string            `json:"clusterName"`
	PrincipalARN     string            `json:"principalArn"`
	KubernetesGroups []string          `json:"kubernetesGroups"`
	AccessEntryARN   string            `json:"accessEntryArn"`
	CreatedAt        epochTime         `json:"createdAt"`
	ModifiedAt       epochTime         `json:"modifiedAt"`
	Tags             map[string]string `json:"tags"`
	Username         string            `json:"username"`
	Type             string            `json:"type"`
}

func toWireEntry(e access.AccessEntry) wireAccessEntry {
	w := wireAccessEntry{
		ClusterName: e.ClusterName, PrincipalARN: e.PrincipalARN, KubernetesGroups: e.KubernetesGroups,
		AccessEntryARN: e.AccessEntryARN, CreatedAt: epochTime(e.CreatedAt), ModifiedAt: epochTime(e.ModifiedAt),
		Tags: e.Tags, Username: e.Username, Type: string(e.Type),
	}
	if w.KubernetesGroups == nil {
		w.KubernetesGroups = []string{}
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	return w
}

type wireAccessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces"`
}

type wireAssociatedPolicy struct {
	PolicyARN    string          `json:"policyArn"`
	AccessScope  wireAccessScope `json:"accessScope"`
	AssociatedAt epochTime       `json:"associatedAt"`
	ModifiedAt   epochTime       `json:"modifiedAt"`
}

func toWireAssociation(a access.AccessPolicyAssociation) wireAssociatedPolicy {
	ns := a.Scope.Namespaces
	if ns == nil {
		ns = []string{}
	}
	return wireAssociatedPolicy{
		PolicyARN:    a.PolicyARN,
		AccessScope:  wireAccessScope{Type: string(a.Scope.Type), Namespaces: ns},
		AssociatedAt: epochTime(a.AssociatedAt), ModifiedAt: epochTime(a.ModifiedAt),
	}
}

type wireAccessConfig struct {
	AuthenticationMode                      string `json:"authenticationMode"`
	BootstrapClusterCreatorAdminPermissions bool   `json:"bootstrapClusterCreatorAdminPermissions"`
}

type wireCluster struct {
	Name         string            `json:"name"`
	ARN          string            `json:"arn"`
	CreatedAt    epochTime         `json:"createdAt"`
	Version      string            `json:"version,omitempty"`
	Endpoint     string            `json:"endpoint,omitempty"`
	CA           *wireCA           `json:"certificateAuthority,omitempty"`
	Status       string            `json:"status"`
	AccessConfig wireAccessConfig  `json:"accessConfig"`
	Tags         map[string]string `json:"tags"`
}

// wireCA is a cluster's certificateAuthority: the base64 of the PEM.
type wireCA struct {
	Data string `json:"data"`
}

// nonNilTags renders absent tags as {} as EKS does.
func nonNilTags(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}

type wireAccessPolicy struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// Request bodies. Unknown members are refused where they would be silently
// ignored otherwise (an UpdateClusterConfig of logging, say). The SDKs'
// idempotency token clientRequestToken is a member of the three requests
// EKS takes it in, and honoured there (see access.TokenUse).

type createEntryRequest struct {
	PrincipalARN       string            `json:"principalArn"`
	KubernetesGroups   []string          `json:"kubernetesGroups"`
	Tags               map[string]string `json:"tags"`
	ClientRequestToken string            `json:"clientRequestToken"`
	Username           string            `json:"username"`
	Type               string            `json:"type"`
}

type updateEntryRequest struct {
	KubernetesGroups   *[]string `json:"kubernetesGroups"`
	ClientRequestToken string    `json:"clientRequestToken"`
	Username           *string   `json:"username"`
}

type associateRequest struct {
	PolicyARN   string           `json:"policyArn"`
	AccessScope *wireAccessScope `json:"accessScope"`
}

type updateConfigRequest struct {
	AccessConfig *struct {
		AuthenticationMode string `json:"authenticationMode"`
	} `json:"accessConfig"`
	ClientRequestToken string `json:"clientRequestToken"`
}

// decode reads a JSON request body into v, refusing unknown members,
// members given twice or in another letter case (see checkMembers), a
// body that is not one JSON object, and trailing data.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := checkMembers(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			if typeErr.Field == "" {
				return invalidParameter("The request body is invalid: it must be a JSON object, not a JSON " + typeErr.Value + ".")
			}
			return invalidParameter("The request body is invalid: " + typeErr.Field + " must be " + jsonKind(typeErr.Type) + ", not a JSON " + typeErr.Value + ".")
		case bytes.HasPrefix(bytes.TrimPrefix([]byte(err.Error()), []byte("json: ")), []byte("unknown field")):
			return invalidParameter("The request body is invalid: " + err.Error()[len("json: "):] + ", which kubeiam does not support.")
		}
		return invalidParameter("The request body is not valid JSON.")
	}
	if d.More() {
		return invalidParameter("The request body is not valid JSON: data after the object.")
	}
	return nil
}

// jsonKind names the JSON value a Go type decodes from, as a client
// writes it: the Go type's name means nothing to an API user.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a JSON string"
	case reflect.Bool:
		return "a JSON boolean"
	case reflect.Slice, reflect.Array:
		return "a JSON array of " + strings.TrimPrefix(jsonKind(t.Elem()), "a JSON ") + "s"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a JSON integer"
	case reflect.Float32, reflect.Float64:
		return "a JSON number"
	}
	return "a JSON value"
}

// maxTokenLength bounds a clientRequestToken. The EKS API reference gives
// no bound; kubeiam keeps tokens, and the Kubernetes store's schema takes
// up to 128 characters (the SDKs send a 36-character UUID).
const maxTokenLength = 128

// checkToken refuses a clientRequestToken kubeiam cannot keep.
func checkToken(token string) error {
	if len(token) > maxTokenLength {
		return invalidParameter("The clientRequestToken is invalid, it must be at most " + strconv.Itoa(maxTokenLength) + " characters long.")
	}
	return nil
}

// parseScope converts a wire access scope.
func parseScope(s *wireAccessScope) (authz.Scope, error) {
	if s == nil || s.Type == "" {
		return authz.Scope{}, invalidParameter("accessScope.type is required: cluster or namespace.")
	}
	return authz.Scope{Type: authz.ScopeType(s.Type), Namespaces: s.Namespaces}, nil
}
