package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// A table cell the API left empty (a server that sends less than EKS:
// no creation time, no type) reads "-", never a blank that shifts the
// columns' meaning.
func TestTablesShowDashesForMissingValues(t *testing.T) {
	var b bytes.Buffer
	s := IO{Out: &b}
	if err := renderEntry(s, &eksOptions{output: "table"}, &types.AccessEntry{PrincipalArn: aws.String("arn:aws:iam::111122223333:role/Dev")}); err != nil {
		t.Fatal(err)
	}
	associationTable(&b, []associationView{toAssociationView(&types.AssociatedAccessPolicy{PolicyArn: aws.String(policyARNPrefix + "AmazonEKSViewPolicy")})})
	want := "PRINCIPAL ARN                       TYPE  USERNAME  GROUPS  CREATED\n" +
		"arn:aws:iam::111122223333:role/Dev  -     -         -       -\n" +
		"POLICY\tSCOPE\tNAMESPACES\tASSOCIATED\nAmazonEKSViewPolicy\t-\t-\t-\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	if strings.Contains(b.String(), "0001-01-01") {
		t.Errorf("a zero time in:\n%s", b.String())
	}
}
