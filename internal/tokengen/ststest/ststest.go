// Package ststest is a loopback STS that answers AssumeRole, for tests of
// code that assumes roles through the AWS SDK. It checks no signature and
// records what it was asked. Only tests import it.
package ststest

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Credentials the fake hands out. They are placeholders, not secrets.
const (
	AccessKeyID     = "ASIAFAKEASSUMEDROLE1"
	SecretAccessKey = "fakeAssumedRoleSecretKey0000000000000000"
	SessionToken    = "fakeAssumedRoleSessionToken"
)

// Server is a running fake STS.
type Server struct {
	// URL is the server's base URL, an http://127.0.0.1:PORT address.
	URL string

	mu       sync.Mutex
	requests []url.Values
}

// Start runs a fake STS until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// Requests returns the forms of the AssumeRole requests received so far.
func (s *Server) Requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.requests...)
}

type assumeRoleResponse struct {
	XMLName     xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"AssumeRoleResult>Credentials"`
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumeRoleResult>AssumedRoleUser"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Action") != "AssumeRole" {
		http.Error(w, "fake STS answers only AssumeRole", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, r.PostForm)
	s.mu.Unlock()
	var resp assumeRoleResponse
	resp.Credentials.AccessKeyID = AccessKeyID
	resp.Credentials.SecretAccessKey = SecretAccessKey
	resp.Credentials.SessionToken = SessionToken
	// Far in the future: the SDK's credential cache judges expiry on the
	// real clock, which tests do not control.
	resp.Credentials.Expiration = "2999-01-01T00:00:00Z"
	resp.AssumedRoleUser.Arn = "arn:aws:sts::111122223333:assumed-role/fake/" + r.PostForm.Get("RoleSessionName")
	resp.AssumedRoleUser.AssumedRoleID = "AROAFAKE:" + r.PostForm.Get("RoleSessionName")
	resp.RequestID = "00000000-0000-0000-0000-000000000000"
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(resp)
}
