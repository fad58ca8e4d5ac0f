package admission

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzHandler: whatever the body, the handler answers 400 or an
// AdmissionReview that echoes the uid, and never allows what it cannot
// read.
func FuzzHandler(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE",` +
		`"resource":{"group":"kubeiam.io","version":"v1alpha1","resource":"accessentries"},"object":{"spec":{"principalArn":"arn:aws:iam::111122223333:role/Dev"}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"UPDATE",` +
		`"resource":{"group":"kubeiam.io","version":"v1alpha1","resource":"accessconfigs"},"object":{"metadata":{"name":"cluster"}},"oldObject":null}}`))
	f.Add([]byte(`{}`))
	h := &Handler{Validator: testValidator}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == http.StatusBadRequest {
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("HTTP %d", w.Code)
		}
		var in, out admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("answered 200 to a body that is not JSON: %v", err)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil || out.Response.UID != in.Request.UID {
			t.Fatalf("response %s", w.Body.Bytes())
		}
		if out.Response.Allowed && (len(in.Request.Object.Raw) == 0 || string(in.Request.Object.Raw) == "null") {
			t.Fatalf("allowed an empty object: %s", body)
		}
	})
}
