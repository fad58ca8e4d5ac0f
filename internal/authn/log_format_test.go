package authn

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// referenceLogLine is how record logged a decision before its attributes
// were built as slog.Attrs: key-value pairs through Logger.Info. The lines
// users and their log queries read must not change by a byte.
func referenceLogLine(l *slog.Logger, req Request, out Outcome) {
	attrs := []any{"client", req.Client, "method", req.Method, "path", req.Path, "tokenHash", out.TokenHash}
	if id := out.Identity; id != nil {
		attrs = append(attrs, "arn", id.ARN, "accesskeyid", id.AccessKeyID, "uid", out.UID)
	}
	if out.Authenticated {
		var policies []string
		for _, g := range out.Result.Grants {
			policies = append(policies, g.PolicyARN)
		}
		attrs = append(attrs, "username", out.Result.Username, "groups", out.Result.Groups,
			"source", out.Result.SourceDetail, "policies", policies, "cached", out.Cached)
		if len(out.Result.Notes) > 0 {
			attrs = append(attrs, "notes", out.Result.Notes)
		}
		l.Info("access granted", attrs...)
		return
	}
	logErr := out.PublicError
	if out.Err != nil {
		logErr = out.Err.Error()
	}
	attrs = append(attrs, "code", out.Result.Code, "error", logErr)
	if len(out.Result.Notes) > 0 {
		attrs = append(attrs, "notes", out.Result.Notes)
	}
	l.Info("access denied", attrs...)
}

// TestRecordLogLineIsUnchanged: record writes, in both of the server's
// formats, exactly the bytes the key-value form wrote, for grants and
// denials with and without identity, policies, notes and hostile strings.
func TestRecordLogLineIsUnchanged(t *testing.T) {
	id := &identity.Identity{ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice", AccessKeyID: "ASIAEXAMPLE",
		AccountID: "111122223333", CanonicalARN: "arn:aws:iam::111122223333:role/admin"}
	req := Request{Client: "10.0.0.7:41000", Method: "POST", Path: "/authenticate"}
	outcomes := []Outcome{
		{Authenticated: true, Identity: id, UID: "kubeiam:111122223333:AROAEXAMPLE", Cached: true, TokenHash: "0123456789ab",
			Result: resolve.Result{Mapped: true, Username: "admin:alice", Groups: []string{"admins", "a \"quoted\" <group>\n"},
				Source: resolve.SourceAccessEntry, SourceDetail: "access entry x", Code: resolve.CodeMapped,
				Grants: []authz.Grant{{PolicyARN: authz.ViewPolicyARN}, {PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"}}}},
		{Authenticated: true, Identity: id, UID: "kubeiam:1:2", TokenHash: "ab",
			Result: resolve.Result{Mapped: true, Username: "u", Code: resolve.CodeMapped, Notes: []string{"a note", "another"}}},
		{Identity: id, UID: "kubeiam:1:2", TokenHash: "cd", PublicError: "ARN is not mapped",
			Result: resolve.Result{Code: resolve.CodeNotMapped, Reason: "ARN is not mapped", Notes: []string{"did you mean x?"}}},
		{TokenHash: "ef", PublicError: "token expired", Err: errors.New("token expired at 12:00\twith a tab"),
			Result: resolve.Result{Code: resolve.CodeExpiredToken}},
		{TokenHash: "", PublicError: "", Result: resolve.Result{}},
	}
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	formats := map[string]func(io.Writer) slog.Handler{
		"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, noTime) },
		"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, noTime) },
	}
	for name, newHandler := range formats {
		for i, out := range outcomes {
			var got, want bytes.Buffer
			s := &Service{cfg: Config{Logger: slog.New(newHandler(&got)).With("component", "authn"), Log: decisionlog.New(1),
				Now: func() time.Time { return time.Unix(0, 0) }}}
			s.record(req, out)
			referenceLogLine(slog.New(newHandler(&want)).With("component", "authn"), req, out)
			if got.String() != want.String() {
				t.Errorf("%s, outcome %d:\n got %s\nwant %s", name, i, got.String(), want.String())
			}
			if got.Len() == 0 {
				t.Errorf("%s, outcome %d: nothing logged", name, i)
			}
		}
	}
}
