package server

import (
	"net/http"

	"github.com/kubeiam/kubeiam/internal/admission"
)

// admissionPath is where kube-apiserver sends AdmissionReviews of kubeiam's
// resources (deploy/base/admission.yaml's ValidatingWebhookConfiguration).
const admissionPath = "/validate"

// mountAdmission mounts the validating admission webhook of kubeiam.io
// resources on the TLS listener. It checks entries against this server's
// cluster (name, region, account), as its access-management API does.
func (s *Server) mountAdmission(mux *http.ServeMux) {
	mux.Handle(admissionPath, &admission.Handler{
		Validator: admission.Validator{
			Cluster: admission.Cluster{Name: s.cluster.Name, Region: s.cluster.Region, AccountID: s.cluster.AccountID},
			Now:     s.opts.Now,
		},
		Logger: s.log,
	})
}
