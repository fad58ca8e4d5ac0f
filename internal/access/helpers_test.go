package access

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	testCluster = "prod"
	testRegion  = "eu-west-1"
	testAccount = "111122223333"
)

// wantError fails unless err is an *Error of type typ whose message is msg
// (or, when msg ends with "...", begins with msg without the dots).
func wantError(t *testing.T, err error, typ ErrorType, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *access.Error of type %s", err, typ)
	}
	if e.Type != typ {
		t.Errorf("error type = %s, want %s (message %q)", e.Type, typ, e.Message)
	}
	if prefix, ok := cutSuffix(msg, "..."); ok {
		if len(e.Message) < len(prefix) || e.Message[:len(prefix)] != prefix {
			t.Errorf("message = %q, want it to begin with %q", e.Message, prefix)
		}
	} else if e.Message != msg {
		t.Errorf("message = %q, want %q", e.Message, msg)
	}
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// regionOf is a region of the partition, for clusters of principals there:
// an entry's principal must be in its cluster's partition.
func regionOf(partition string) string {
	switch partition {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	}
	return testRegion
}
