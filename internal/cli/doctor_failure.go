package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/token"
)

// The classes of a failed credential check, each with its own fix. They
// are printed, so they are stable.
const (
	// classUnreachable: no answer from STS at all (DNS, TCP, TLS, timeout):
	// the credentials were never judged.
	classUnreachable = "UNREACHABLE"
	// classRefused: STS judged the credentials and refused them.
	classRefused = "CREDENTIALS_REFUSED"
	// classExpired: the credentials (a session, an SSO login) expired.
	classExpired = "CREDENTIALS_EXPIRED"
	// classClockSkew: the signature is refused because of this machine's
	// clock.
	classClockSkew = "CLOCK_SKEW"
	// classWrongClusterID: the token names a cluster ID other than the
	// server's: the server's own reason code, so doctor and whoami agree.
	classWrongClusterID = string(resolve.CodeWrongClusterID)
)

// stsCall is what a failed STS call was, for its diagnosis.
type stsCall struct {
	// endpoint is the URL the call went to (or would have).
	endpoint string
	timeout  time.Duration
	now      time.Time
	src      credSource
}

// diagnoseSTSFailure names why a call to STS (or, for SSO, the SSO portal)
// failed and what fixes it. The network classes come first: a failure to
// connect says nothing about the credentials, so it must never be reported
// as their refusal.
func diagnoseSTSFailure(err error, c stsCall) (class, detail, fix string) {
	host := c.host(err)
	if kind, cause := unreachable(err); kind != "" {
		return classUnreachable, fmt.Sprintf("%s: STS at %s is unreachable (%s): %s; the credentials from %s were not checked",
			classUnreachable, host, kind, cause, c.src.name), unreachableFix(kind, host, c.endpoint)
	}
	var tokErr *ssocreds.InvalidTokenError
	if errors.As(err, &tokErr) {
		return classExpired, fmt.Sprintf("%s: the IAM Identity Center (SSO) login of %s has expired or is missing: %v", classExpired, c.src.name, err),
			c.src.expiredFix()
	}
	code, msg := apiError(err)
	if skew, ok := serverSkew(err, c.now); ok && (code == "SignatureDoesNotMatch" || code == "RequestExpired" || code == "InvalidSignatureException") {
		return classClockSkew, fmt.Sprintf("%s: STS refuses the signature (%s) and this machine's clock is %s off STS's: %s", classClockSkew, code, skew, msg), clockFix
	}
	switch {
	case code == "RequestExpired" || strings.HasPrefix(msg, "Signature expired") || strings.HasPrefix(msg, "Signature not yet current"):
		return classClockSkew, fmt.Sprintf("%s: STS refuses the signature's time (%s): %s", classClockSkew, code, msg), clockFix
	case code == "ExpiredToken" || code == "ExpiredTokenException":
		return classExpired, fmt.Sprintf("%s: STS says the session credentials from %s expired (%s): %s", classExpired, c.src.name, code, msg), c.src.expiredFix()
	case code == "InvalidClientTokenId" || code == "UnrecognizedClientException" || code == "SignatureDoesNotMatch" || code == "IncompleteSignature":
		return classRefused, fmt.Sprintf("%s: STS refuses the credentials from %s (%s): %s", classRefused, c.src.name, code, msg), c.src.refusedFix()
	case code == "AccessDenied" && c.src.roleARN != "":
		return classRefused, fmt.Sprintf("%s: the credentials from %s may not assume role %s (%s): %s", classRefused, c.src.name, c.src.roleARN, code, msg),
			"check the role's trust policy allows " + c.src.name + ", or use another role: the exec plugin's --role-arn"
	case code != "":
		return classRefused, fmt.Sprintf("%s: STS refuses the credentials from %s (%s): %s", classRefused, c.src.name, code, msg), c.src.refusedFix()
	}
	return classRefused, fmt.Sprintf("no usable credentials from %s: %v", c.src.name, err),
		"check with: aws sts get-caller-identity" + c.src.profileFlag(c.src.src.Profile)
}

const clockFix = "synchronize this machine's clock (timedatectl set-ntp true, or your OS's time settings): STS accepts signatures within 5 minutes of its time"

// unreachable says whether err is a failure to reach the endpoint, and how.
func unreachable(err error) (kind, cause string) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	var sendErr *smithyhttp.RequestSendError
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "DNS", fmt.Sprintf("the host name %s does not resolve", dnsErr.Name)
		}
		return "DNS", fmt.Sprintf("resolving %s failed: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return "TLS", "the server's certificate is not trusted: " + innermost(err)
	case errors.As(err, &recordErr):
		return "TLS", "the endpoint does not speak TLS (is it http://?)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "TCP", "connection refused: nothing listens on that address and port"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// net/http's transport closes its side once it sees the peer's
		// close, and a read racing with that reports net.ErrClosed ("use
		// of closed network connection") instead of EOF: the same event.
		errors.Is(err, net.ErrClosed),
		// net/http's unexported error for a connection closed before any
		// byte of the answer; only its message identifies it.
		strings.Contains(err.Error(), "server closed idle connection"):
		return "TCP", "the connection was closed before STS answered"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "TCP", "no route to the host"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout", "no answer in time"
	case errors.As(err, &sendErr):
		// The request never got an answer: whatever the cause, STS did
		// not judge the credentials.
		return "network", innermost(err)
	}
	return "", ""
}

// innermost is the last ": "-separated part of err's message, the cause
// without the SDK's layers of context.
func innermost(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

func unreachableFix(kind, host, endpoint string) string {
	check := "check the STS endpoint: --sts-endpoint or AWS_ENDPOINT_URL_STS when set, else the region's (AWS_REGION, --region)"
	switch kind {
	case "DNS":
		return check + "; then this machine's DNS: getent hosts " + hostOnly(host)
	case "TLS":
		return check + "; a proxy that inspects TLS needs its CA: export AWS_CA_BUNDLE=/path/to/its-ca.pem"
	case "timeout":
		return check + "; then the network path to it: firewall, proxy (HTTPS_PROXY, NO_PROXY), VPC endpoint policy"
	}
	return check + "; then that it runs and that a firewall lets you through: curl -sv " + orPlaceholder(endpoint, "https://"+host)
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// host is where the failed call went: the URL in err, else c.endpoint.
func (c stsCall) host(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	if u, perr := url.Parse(c.endpoint); perr == nil && u.Host != "" {
		return u.Host
	}
	return c.endpoint
}

// apiError returns the AWS error code and message in err, if any.
func apiError(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// serverSkew returns how far now is from the Date of the HTTP response in
// err, when that is more than token.MaxClockSkew.
func serverSkew(err error, now time.Time) (time.Duration, bool) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return 0, false
	}
	date, perr := http.ParseTime(re.Response.Header.Get("Date"))
	if perr != nil {
		return 0, false
	}
	skew := now.Sub(date).Round(time.Second)
	if skew < token.MaxClockSkew && skew > -token.MaxClockSkew {
		return 0, false
	}
	return skew, true
}
