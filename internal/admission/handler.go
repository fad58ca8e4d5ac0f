package admission

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// maxBody bounds an AdmissionReview: an object and its old version, each at
// most etcd's 1.5 MiB, plus the envelope.
const maxBody = 4 << 20

// Handler serves AdmissionReview v1 (POST, JSON) for kubeiam.io resources:
// the response echoes the request's uid and says allowed, or not with a
// status whose message is the EKS API's error text. A malformed review is a
// 400; anything that is not a create or update of an AccessEntry or the
// AccessConfig is refused (fail closed: the webhook is registered for
// nothing else).
type Handler struct {
	Validator Validator
	Logger    *slog.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "admission reviews are POSTed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "admission reviews are application/json", http.StatusUnsupportedMediaType)
		return
	}
	var review admissionv1.AdmissionReview
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = json.Unmarshal(body, &review)
	}
	if err == nil && (review.Request == nil || review.Request.UID == "") {
		err = errors.New("no request or no uid")
	}
	if err == nil && (review.APIVersion != admissionv1.SchemeGroupVersion.String() || review.Kind != "AdmissionReview") {
		err = fmt.Errorf("apiVersion %q kind %q: only admission.k8s.io/v1 AdmissionReview is served", review.APIVersion, review.Kind)
	}
	if err != nil {
		http.Error(w, "malformed AdmissionReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	req := review.Request
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	if err := h.review(req); err != nil {
		resp.Allowed = false
		resp.Result = status(err)
		h.logger().Info("admission denied", "resource", req.Resource.Resource, "name", req.Name,
			"operation", req.Operation, "user", req.UserInfo.Username, "error", err.Error())
	}
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// review decodes the object (and the old one on update) and validates it.
func (h *Handler) review(req *admissionv1.AdmissionRequest) error {
	op := Operation(req.Operation)
	if op != Create && op != Update {
		return invalid("kubeiam validates creates and updates only, not %s.", req.Operation)
	}
	if req.Resource.Group != v1alpha1.Group {
		return invalid("kubeiam validates %s resources only, not %s.", v1alpha1.Group, req.Resource.String())
	}
	switch req.Resource.Resource {
	case v1alpha1.AccessEntryResource:
		var obj, old v1alpha1.AccessEntry
		if err := decode(req, &obj, &old); err != nil {
			return err
		}
		return h.Validator.AccessEntry(op, &obj, oldOrNil(op, &old))
	case v1alpha1.AccessConfigResource:
		var obj, old v1alpha1.AccessConfig
		if err := decode(req, &obj, &old); err != nil {
			return err
		}
		return h.Validator.AccessConfig(op, &obj, oldOrNil(op, &old))
	}
	return invalid("kubeiam does not validate %s.", req.Resource.String())
}

func oldOrNil[T any](op Operation, old *T) *T {
	if op == Update {
		return old
	}
	return nil
}

func decode(req *admissionv1.AdmissionRequest, obj, old any) error {
	if err := json.Unmarshal(req.Object.Raw, obj); err != nil {
		return invalid("The object cannot be read: %v", err)
	}
	if Operation(req.Operation) == Update {
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return invalid("The old object cannot be read: %v", err)
		}
	}
	return nil
}

// status is the refusal kubectl shows: "admission webhook ... denied the
// request: InvalidParameterException: ...", with the EKS error's HTTP code.
func status(err error) *metav1.Status {
	code := http.StatusBadRequest
	var ae *access.Error
	if errors.As(err, &ae) {
		code = ae.HTTPStatus()
	}
	reason := metav1.StatusReasonBadRequest
	switch code {
	case http.StatusConflict:
		reason = metav1.StatusReasonConflict
	case http.StatusNotFound:
		reason = metav1.StatusReasonNotFound
	}
	return &metav1.Status{Status: metav1.StatusFailure, Code: int32(code), Reason: reason, Message: err.Error()}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}
