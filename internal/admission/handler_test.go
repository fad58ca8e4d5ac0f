package admission

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(&Handler{Validator: testValidator})
	t.Cleanup(srv.Close)
	return srv
}

// review builds the AdmissionReview kube-apiserver sends.
func review(t *testing.T, uid, resource, op string, obj, old any) []byte {
	t.Helper()
	raw := func(v any) runtime.RawExtension {
		if v == nil {
			return runtime.RawExtension{}
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return runtime.RawExtension{Raw: b}
	}
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(uid),
			Resource:  metav1.GroupVersionResource{Group: "kubeiam.io", Version: "v1alpha1", Resource: resource},
			Operation: admissionv1.Operation(op),
			Object:    raw(obj), OldObject: raw(old),
		},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(t *testing.T, url, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func decodeResponse(t *testing.T, b []byte) admissionv1.AdmissionReview {
	t.Helper()
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil {
		t.Fatalf("response is not an AdmissionReview v1 with a response: %s", b)
	}
	return out
}

// The AdmissionReview v1 contract
// (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response):
// same apiVersion and kind, response.uid = request.uid, allowed, and on a
// refusal a status whose message kubectl prints.
func TestHandlerContract(t *testing.T) {
	srv := newTestServer(t)
	good := entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.KubernetesGroups = []string{"devs"} })
	bad := entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.KubernetesGroups = []string{"system:masters"} })
	tests := []struct {
		name, uid, resource, op string
		obj, old                any
		allowed                 bool
		message                 string
		code                    int32
	}{
		{"valid entry", "uid-1", "accessentries", "CREATE", good, nil, true, "", 0},
		{"system:masters entry", "uid-2", "accessentries", "CREATE", bad, nil, false,
			"InvalidParameterException: The kubernetes group name system:masters is invalid, it cannot start with system:", 400},
		{"update to a system: group", "uid-3", "accessentries", "UPDATE", bad, good, false, "cannot start with system:", 400},
		{"mode one step forward", "uid-4", "accessconfigs", "UPDATE", accessConfig("API_AND_CONFIG_MAP", nil), accessConfig("CONFIG_MAP", nil), true, "", 0},
		{"mode skipping a step (EKS refuses it)", "uid-4b", "accessconfigs", "UPDATE", accessConfig("API", nil), accessConfig("CONFIG_MAP", nil), false,
			"Unsupported authentication mode update from CONFIG_MAP to API", 400},
		{"mode backwards", "uid-5", "accessconfigs", "UPDATE", accessConfig("CONFIG_MAP", nil), accessConfig("API", nil), false,
			"Unsupported authentication mode update from API to CONFIG_MAP", 400},
		{"unknown policy is EKS's 404", "uid-6", "accessentries", "CREATE", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: unknownPl, AccessScope: v1alpha1.AccessScope{Type: "cluster"}}}
		}), nil, false, "ResourceNotFoundException", 404},
		{"another resource (fail closed)", "uid-7", "secrets", "CREATE", good, nil, false, "kubeiam does not validate", 400},
		{"delete is not validated here (fail closed)", "uid-8", "accessentries", "DELETE", good, nil, false, "creates and updates only", 400},
		{"object that is not JSON of the kind", "uid-9", "accessentries", "CREATE", []int{1}, nil, false, "The object cannot be read", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := post(t, srv.URL, "application/json", review(t, tt.uid, tt.resource, tt.op, tt.obj, tt.old))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
			}
			out := decodeResponse(t, b).Response
			if string(out.UID) != tt.uid {
				t.Errorf("uid %q, want %q echoed", out.UID, tt.uid)
			}
			if out.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v (%s)", out.Allowed, tt.allowed, b)
			}
			if tt.allowed {
				if out.Result != nil {
					t.Errorf("allowed with a status: %+v", out.Result)
				}
				return
			}
			if out.Result == nil || !strings.Contains(out.Result.Message, tt.message) || out.Result.Code != tt.code {
				t.Fatalf("status %+v, want code %d and a message with %q", out.Result, tt.code, tt.message)
			}
		})
	}
}

func TestHandlerRefusesMalformedReviews(t *testing.T) {
	srv := newTestServer(t)
	good := review(t, "u", "accessentries", "CREATE", entry(t, devRole, nil), nil)
	tests := []struct {
		name, method, contentType string
		body                      []byte
		code                      int
	}{
		{"GET", http.MethodGet, "", nil, http.StatusMethodNotAllowed},
		{"not JSON content", http.MethodPost, "text/plain", good, http.StatusUnsupportedMediaType},
		{"not JSON", http.MethodPost, "application/json", []byte("{"), http.StatusBadRequest},
		{"no request", http.MethodPost, "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), http.StatusBadRequest},
		{"no uid", http.MethodPost, "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}`), http.StatusBadRequest},
		{"v1beta1", http.MethodPost, "application/json", bytes.Replace(good, []byte("admission.k8s.io/v1"), []byte("admission.k8s.io/v1beta1"), 1), http.StatusBadRequest},
		{"too large", http.MethodPost, "application/json", append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), maxBody)...), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tt.code)
			}
		})
	}
}
