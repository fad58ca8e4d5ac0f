package cli

import (
	"fmt"
	"net/url"

	"github.com/kubeiam/kubeiam/internal/sts"
)

// insecureHTTPFlag lets the CLI send credentials over plain http to a host
// that is not loopback. Its name says what it does.
const insecureHTTPFlag = "insecure-allow-http"

const insecureHTTPHelp = "INSECURE: send credentials (bearer tokens, SigV4 signatures) over plain http to a host that is not loopback"

// checkEndpointTransport refuses, before any credential is loaded, an
// endpoint that would carry the caller's credentials in the clear: plain
// http is for loopback (the dev server) only, unless allowHTTP. A bearer
// token is usable by whoever reads it for 15 minutes, and a SigV4-signed
// request can be replayed for as long.
func checkEndpointTransport(flag, endpoint string, allowHTTP bool) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return withExitCode(2, fmt.Errorf("%s %q: want https://HOST[:PORT] (or http:// on a loopback address)", flag, endpoint))
	}
	if u.Scheme == "http" && !allowHTTP && !sts.IsLoopbackHost(u.Hostname()) {
		return withExitCode(2, fmt.Errorf("%s %q: refusing to send credentials over plain http to a host that is not loopback (127.0.0.0/8, ::1, localhost); "+
			"use https, or pass --%s if you accept that anyone on the path can reuse them", flag, endpoint, insecureHTTPFlag))
	}
	return nil
}
