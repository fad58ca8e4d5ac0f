package api

import (
	"encoding/json"
	"strconv"
	"time"
)

// AuditRecord is one line of the audit log: who called which operation on
// what, and what came of it. Refused calls are recorded too, with the
// caller's ARN when authentication got that far.
type AuditRecord struct {
	Time         time.Time `json:"time"`
	RequestID    string    `json:"requestId"`
	CallerARN    string    `json:"callerArn,omitempty"`
	SourceIP     string    `json:"sourceIp,omitempty"`
	Operation    string    `json:"operation"`
	Cluster      string    `json:"cluster,omitempty"`
	PrincipalARN string    `json:"principalArn,omitempty"`
	PolicyARN    string    `json:"policyArn,omitempty"`
	Status       int       `json:"status"`
	ErrorType    string    `json:"errorType,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
}

// record counts, logs and audits one finished call.
func (h *Handler) record(c *call, start time.Time, status int, errType, message string) {
	op := OpUnknown
	if c.op != nil {
		op = c.op.name
	}
	rec := AuditRecord{
		Time: start.UTC(), RequestID: c.requestID, CallerARN: c.caller.ARN, SourceIP: c.r.RemoteAddr,
		Operation: op, Cluster: c.cluster, PrincipalARN: c.principal, PolicyARN: c.policy,
		Status: status, ErrorType: errType, ErrorMessage: message,
	}
	if h.metrics != nil {
		h.metrics.APICalls.WithLabelValues(op, strconv.Itoa(status)).Inc()
	}
	h.log.Info("api call", "request_id", rec.RequestID, "arn", rec.CallerARN, "client", rec.SourceIP,
		"operation", op, "cluster", rec.Cluster, "principal_arn", rec.PrincipalARN, "policy_arn", rec.PolicyARN,
		"status", status, "error_type", errType, "error", message)
	if h.audit == nil {
		return
	}
	line, err := json.Marshal(rec)
	if err != nil {
		h.log.Error("api audit write failed", "request_id", rec.RequestID, "error", err)
		return
	}
	h.auditMu.Lock()
	defer h.auditMu.Unlock()
	if _, err := h.audit.Write(append(line, '\n')); err != nil {
		h.log.Error("api audit write failed", "request_id", rec.RequestID, "error", err)
	}
}
