// Package authntest runs the real authentication chain for tests: the local
// STS (internal/localsts, real SigV4 verification) on a loopback listener,
// tokens presigned with the AWS SDK's signer for its dev identities, the
// project's STS verifier pointed at it, and a mapper over a real
// resolve.Snapshot. Every piece runs on one settable clock. Only tests
// import it.
package authntest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// ClusterID is the cluster tokens are minted for unless a test says otherwise.
const ClusterID = "kubeiam-test"

// Dev identity ARNs (see localsts.DevConfig).
const (
	Account      = localsts.DevAccount
	CreatorARN   = "arn:aws:iam::" + Account + ":user/" + localsts.DevCreatorUser
	DeveloperARN = "arn:aws:iam::" + Account + ":user/" + localsts.DevDeveloperUser
	AdminRoleARN = "arn:aws:iam::" + Account + ":role/" + localsts.DevAdminRole
)

// Start is the time every Clock begins at: a fixed instant, so that tests
// do not depend on the machine's clock.
var Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// Clock is a settable clock, safe for concurrent use.
type Clock = testutil.Clock

// NewClock returns a clock at Start.
func NewClock() *Clock { return testutil.NewClock(Start) }

// STS is a local STS with the dev identities, served on 127.0.0.1. It
// counts the GetCallerIdentity requests it receives, can hold them until
// released, and can answer them with an injected fault.
type STS struct {
	URL    string
	Clock  *Clock
	Server *localsts.Server
	cfg    *localsts.Config
	http   *httptest.Server

	calls   atomic.Int64
	arrived chan struct{}
	mu      sync.Mutex
	hold    chan struct{} // non-nil: GetCallerIdentity waits until closed
	fault   *fault
}

type fault struct {
	status int
	body   string
}

// StartSTS runs a local STS until the test ends.
func StartSTS(tb testing.TB, clock *Clock) *STS {
	tb.Helper()
	cfg := localsts.DevConfig(seeded(1))
	srv, err := localsts.New(cfg, localsts.Options{Now: clock.Now, Rand: seeded(2)})
	if err != nil {
		tb.Fatalf("localsts.New: %v", err)
	}
	s := &STS{Clock: clock, Server: srv, cfg: cfg, arrived: make(chan struct{}, 1024)}
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.http.Close)
	s.URL = s.http.URL
	return s
}

func (s *STS) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("Action") == "GetCallerIdentity" {
		s.calls.Add(1)
		select {
		case s.arrived <- struct{}{}:
		default: // nobody is counting arrivals this far
		}
		s.mu.Lock()
		hold, f := s.hold, s.fault
		s.mu.Unlock()
		if hold != nil {
			<-hold
		}
		if f != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.status)
			_, _ = io.WriteString(w, f.body)
			return
		}
	}
	s.Server.ServeHTTP(w, r)
}

// Calls returns how many GetCallerIdentity requests have arrived.
func (s *STS) Calls() int64 { return s.calls.Load() }

// Hold makes GetCallerIdentity requests wait until the returned function
// is called.
func (s *STS) Hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// Arrived returns a channel that receives once per GetCallerIdentity
// request, as it arrives.
func (s *STS) Arrived() <-chan struct{} { return s.arrived }

// Fail makes GetCallerIdentity answer status with a JSON error of the given
// code; a zero status restores normal answers.
func (s *STS) Fail(status int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		s.fault = nil
		return
	}
	b, _ := json.Marshal(map[string]any{"Error": map[string]string{"Code": code, "Message": message}})
	s.fault = &fault{status: status, body: string(b)}
}

// Close stops the server, so that calls to it fail.
func (s *STS) Close() { s.http.Close() }

// Verifier returns the project's STS verifier, sending to this server and
// checking time on its clock.
func (s *STS) Verifier(tb testing.TB, clusterID string) *sts.Verifier {
	tb.Helper()
	v, err := sts.NewVerifier(sts.VerifierConfig{ClusterID: clusterID, Endpoint: s.URL, Now: s.Clock.Now})
	if err != nil {
		tb.Fatalf("sts.NewVerifier: %v", err)
	}
	return v
}

// UserCredentials returns the access key of a dev user.
func (s *STS) UserCredentials(tb testing.TB, user string) aws.Credentials {
	tb.Helper()
	for _, u := range s.cfg.Accounts[0].Users {
		if u.Name == user {
			k := u.AccessKeys[0]
			return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
		}
	}
	tb.Fatalf("no dev user %q", user)
	return aws.Credentials{}
}

// Identity returns who STS says owns the credentials.
func (s *STS) Identity(tb testing.TB, c aws.Credentials) identity.Identity {
	tb.Helper()
	id, err := s.Server.Identity(c.AccessKeyID)
	if err != nil {
		tb.Fatalf("localsts Identity(%s): %v", c.AccessKeyID, err)
	}
	return id
}

// Token mints a token for the credentials, signed now for clusterID.
func (s *STS) Token(tb testing.TB, c aws.Credentials, clusterID string) string {
	tb.Helper()
	return s.TokenAt(tb, c, clusterID, s.Clock.Now())
}

// TokenAt mints a token signed at the given time.
func (s *STS) TokenAt(tb testing.TB, c aws.Credentials, clusterID string, signedAt time.Time) string {
	tb.Helper()
	return tokentest.Token(tb, tokentest.Options{
		ClusterID: clusterID, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, SignedAt: signedAt,
	})
}

// AssumeRole calls AssumeRole with a dev user's key, signed with the SDK's
// SigV4 signer at the clock's time, and returns the session credentials.
func (s *STS) AssumeRole(tb testing.TB, user, roleARN, session string) aws.Credentials {
	tb.Helper()
	form := url.Values{"Action": {"AssumeRole"}, "Version": {localsts.APIVersion},
		"RoleArn": {roleARN}, "RoleSessionName": {session}, "DurationSeconds": {"3600"}}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), s.UserCredentials(tb, user), req,
		hex.EncodeToString(sum[:]), "sts", "us-east-1", s.Clock.Now()); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AssumeRoleResponse struct {
			AssumeRoleResult struct {
				Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
			}
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("AssumeRole %s as %s: HTTP %d: %s", roleARN, user, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("AssumeRole answer: %v", err)
	}
	c := out.AssumeRoleResponse.AssumeRoleResult.Credentials
	return aws.Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// Mapper resolves against a snapshot that tests replace at will, the way
// the server's mapper does when a mapping source changes. It counts calls.
type Mapper struct {
	snap  atomic.Pointer[resolve.Snapshot]
	opts  resolve.Options
	calls atomic.Int64
}

// NewMapper returns a mapper over s.
func NewMapper(s *resolve.Snapshot, opts resolve.Options) *Mapper {
	m := &Mapper{opts: opts}
	m.snap.Store(s)
	return m
}

// Resolve implements authn.Mapper.
func (m *Mapper) Resolve(id identity.Identity) resolve.Result {
	m.calls.Add(1)
	return resolve.Resolve(id, m.snap.Load(), m.opts)
}

// Set replaces the snapshot.
func (m *Mapper) Set(s *resolve.Snapshot) { m.snap.Store(s) }

// Calls returns how many times Resolve ran.
func (m *Mapper) Calls() int64 { return m.calls.Load() }

// Snapshot builds a resolve.Snapshot with the server's own translation
// (resolve.SnapshotOf): mode decides the sources, the creator is CreatorARN,
// awsAuth is the aws-auth ConfigMap data (nil for none), entries are stored
// access entries with their grants.
func Snapshot(tb testing.TB, mode string, awsAuth map[string]string, entries ...resolve.Entry) *resolve.Snapshot {
	tb.Helper()
	a := access.Snapshot{
		Cluster:      access.ClusterConfig{AuthenticationMode: access.Mode(mode), CreatorARN: CreatorARN},
		Entries:      map[string]access.AccessEntry{},
		Associations: map[string][]access.AccessPolicyAssociation{},
	}
	if _, err := arn.Key(CreatorARN); err != nil {
		tb.Fatal(err)
	}
	var ix *awsauth.Index
	if awsAuth != nil {
		doc, problems, err := awsauth.Parse(awsAuth)
		if err != nil {
			tb.Fatalf("aws-auth: %v", err)
		}
		if problems.HasErrors() {
			tb.Fatalf("aws-auth has errors: %v", problems.Errors())
		}
		ix = awsauth.NewIndex(doc)
	}
	for _, e := range entries {
		k, err := access.EntryKey(e.PrincipalARN)
		if err != nil {
			tb.Fatal(err)
		}
		a.Entries[k] = access.AccessEntry{PrincipalARN: e.PrincipalARN, Username: e.Username,
			KubernetesGroups: e.Groups, Type: access.EntryType(e.Type)}
		for _, g := range e.Grants {
			a.Associations[k] = append(a.Associations[k], access.AccessPolicyAssociation{PrincipalARN: e.PrincipalARN, PolicyARN: g.PolicyARN, Scope: g.Scope})
		}
	}
	return resolve.SnapshotOf(a, ix)
}

// seeded returns a deterministic random source.
func seeded(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}
