package resolve

import (
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// EKS stores the principal's unique ID with an access entry; a principal
// deleted and recreated with the same ARN has another ID and does not
// inherit the entry (EKS API reference, AccessEntry, principalArn).
func TestResolvePrincipalIDBinding(t *testing.T) {
	const (
		adminID = "AROAOLDADMINROLE00001"
		devID   = "AIDAOLDDEVELOPER00001"
	)
	bound := func(t *testing.T, mode string) *Snapshot {
		s := snapshot(t, mode)
		for _, p := range []struct{ arn, id string }{{"arn:aws:iam::111122223333:role/admin", adminID}, {developerARN, devID}} {
			k, err := arn.Key(p.arn)
			if err != nil {
				t.Fatal(err)
			}
			e := s.Entries[k]
			e.PrincipalID = p.id
			s.Entries[k] = e
		}
		return s
	}
	tests := []struct {
		name     string
		mode     string
		caller   string
		userID   string
		unbound  bool // the entries carry no principal ID
		wantCode Code
		wantSrc  Source
		noteHas  string
	}{
		{name: "a session of the role the entry was created for", mode: "API", caller: aliceARN,
			userID: adminID + ":alice@example.com", wantCode: CodeMapped, wantSrc: SourceAccessEntry},
		{name: "the user the entry was created for", mode: "API", caller: developerARN,
			userID: devID, wantCode: CodeMapped, wantSrc: SourceAccessEntry},
		{name: "API: a session of the recreated role is refused", mode: "API", caller: aliceARN,
			userID: "AROANEWADMINROLE00002:alice@example.com", wantCode: CodePrincipalRecreated,
			noteHas: "created for the principal with unique ID " + adminID + ", but the caller's is AROANEWADMINROLE00002"},
		{name: "API: the recreated user is refused", mode: "API", caller: developerARN,
			userID: "AIDANEWDEVELOPER00002", wantCode: CodePrincipalRecreated, noteHas: "deleted and recreated"},
		{name: "API_AND_CONFIG_MAP: the recreated role falls through to its aws-auth mapping", mode: "API_AND_CONFIG_MAP",
			caller: aliceARN, userID: "AROANEWADMINROLE00002:alice", wantCode: CodeMapped, wantSrc: SourceMapRoles,
			noteHas: "deleted and recreated"},
		{name: "an entry without a recorded ID matches by ARN", mode: "API", caller: aliceARN, unbound: true,
			userID: "AROANEWADMINROLE00002:alice", wantCode: CodeMapped, wantSrc: SourceAccessEntry},
		{name: "a caller without a UserId matches by ARN", mode: "API", caller: aliceARN,
			userID: "", wantCode: CodeMapped, wantSrc: SourceAccessEntry},
		{name: "IDs are compared exactly, not ignoring case", mode: "API", caller: developerARN,
			userID: strings.ToLower(devID), wantCode: CodePrincipalRecreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bound(t, tt.mode)
			if tt.unbound {
				s = snapshot(t, tt.mode)
			}
			got := Resolve(mustIdentity(t, tt.caller, tt.userID, akid), s, Options{})
			if got.Code != tt.wantCode || got.Source != tt.wantSrc || got.Mapped != (tt.wantCode == CodeMapped) {
				t.Fatalf("Code, Source, Mapped = %s, %q, %v; want %s, %q (notes %q)", got.Code, got.Source, got.Mapped, tt.wantCode, tt.wantSrc, got.Notes)
			}
			if tt.wantCode == CodePrincipalRecreated && got.Reason != RecreatedReason {
				t.Errorf("Reason = %q, want %q", got.Reason, RecreatedReason)
			}
			if tt.noteHas != "" && !strings.Contains(strings.Join(got.Notes, "\n"), tt.noteHas) {
				t.Errorf("Notes = %q, want one containing %q", got.Notes, tt.noteHas)
			}
		})
	}
}
