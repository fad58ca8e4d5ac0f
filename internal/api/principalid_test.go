package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/iamid"
)

// withPrincipalIDs serves a second API on the fixture's store whose
// CreateAccessEntry looks principals up with the AWS SDK's IAM client at
// iamURL (the fixture's local STS, or something else).
func withPrincipalIDs(t *testing.T, f *fixture, iamURL string) *eks.Client {
	t.Helper()
	k := f.key("creator")
	ids := iamid.New(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")}, iamURL)
	h, err := New(Config{Store: f.store, Authenticator: Chain{SigV4: SigV4Authenticator{Verify: f.sts.AuthenticateRequest}},
		CreatorARN: creatorARN, Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Now: func() time.Time { return t0 },
		PrincipalIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := f.client(f.creds("creator"))
	return eks.New(c.Options(), func(o *eks.Options) { o.BaseEndpoint = aws.String(hs.URL) })
}

// EKS stores the principal's unique ID with an access entry (EKS API
// reference, AccessEntry, principalArn) and requires an existing principal
// (EKS user guide, "Create access entries").
func TestCreateAccessEntryRecordsThePrincipalID(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, fixtureOptions{mode: access.ModeAPIAndConfigMap})
	c := withPrincipalIDs(t, f, f.url)
	create := func(principal string) error {
		_, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(testCluster), PrincipalArn: aws.String(principal)})
		return err
	}

	// The role's ID is the one its sessions' UserId begins with.
	if err := create(adminRoleARN); err != nil {
		t.Fatalf("CreateAccessEntry of the admin role: %v", err)
	}
	session := assumeRole(t, f, "developer", adminRoleARN, "alice")
	who, err := f.sts.Identity(session.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.store.GetEntry(adminRoleARN)
	if err != nil || e.PrincipalID == "" || !strings.HasPrefix(who.UserID, e.PrincipalID+":") {
		t.Fatalf("entry PrincipalID %q (%v), session UserId %q", e.PrincipalID, err, who.UserID)
	}
	if err := create(developerARN); err != nil {
		t.Fatalf("CreateAccessEntry of the developer: %v", err)
	}
	if e, _ := f.store.GetEntry(developerARN); !strings.HasPrefix(e.PrincipalID, "AIDA") {
		t.Errorf("the user's entry has PrincipalID %q, want AIDA...", e.PrincipalID)
	}

	// A principal IAM does not know is refused with EKS's message, word
	// for word (terraform-aws-modules/terraform-aws-eks issue 2969), and
	// nothing is stored.
	missing := "arn:aws:iam::111122223333:role/missing"
	var ae smithy.APIError
	if err := create(missing); !errors.As(err, &ae) || ae.ErrorCode() != TypeInvalidParameter ||
		ae.ErrorMessage() != "The specified principalArn is invalid: invalid principal." {
		t.Errorf("CreateAccessEntry of a missing role: %v, want %s: The specified principalArn is invalid: invalid principal.", err, TypeInvalidParameter)
	}
	if _, err := f.store.GetEntry(missing); access.TypeOf(err) != access.ResourceNotFoundException {
		t.Errorf("the refused entry was stored: %v", err)
	}

	// Another account's principal cannot be looked up with this account's
	// credentials: the entry is created unbound.
	other := "arn:aws:iam::444455556666:role/admin"
	if err := create(other); err != nil {
		t.Fatalf("CreateAccessEntry of another account's role: %v", err)
	}
	if e, _ := f.store.GetEntry(other); e.PrincipalID != "" {
		t.Errorf("another account's role recorded PrincipalID %q (this account's role of the same name?)", e.PrincipalID)
	}
}

// When IAM cannot be asked, the create fails closed: no entry without its
// principal's ID is created by accident, and the caller can retry.
func TestCreateAccessEntryFailsClosedWithoutIAM(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: access.ModeAPIAndConfigMap})
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a loopback port nothing listens on
	c := withPrincipalIDs(t, f, down.URL)
	_, err := c.CreateAccessEntry(context.Background(), &eks.CreateAccessEntryInput{ClusterName: aws.String(testCluster), PrincipalArn: aws.String(adminRoleARN)})
	if apiErrorCode(t, err) != TypeServer {
		t.Fatalf("CreateAccessEntry with IAM down: %v, want %s", err, TypeServer)
	}
	if _, err := f.store.GetEntry(adminRoleARN); access.TypeOf(err) != access.ResourceNotFoundException {
		t.Errorf("an entry was stored without its principal ID: %v", err)
	}
}
