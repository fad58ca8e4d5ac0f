package sts

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrPlainHTTP refuses an STS endpoint reached over plain http on a host
// other than loopback: the presigned request it would carry is a bearer
// credential for 15 minutes, and the identity answer would come back
// unauthenticated, for anyone on the path to forge.
var ErrPlainHTTP = errors.New("plain http to a non-loopback host would carry presigned tokens (credentials) and unauthenticated identity answers; " +
	"use https, http on a loopback address (127.0.0.0/8, ::1, localhost), or, knowingly, --insecure-allow-http-sts-endpoint")

// IsLoopbackHost reports whether host (a host name or IP, without port)
// is a loopback address: localhost, 127.0.0.0/8 or ::1. Only these may be
// reached over plain http without an explicit opt-in.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// InsecureEndpoint reports whether the endpoint URL s is plain http to a
// host that is not loopback: what ErrPlainHTTP refuses and
// --insecure-allow-http-sts-endpoint lets through, with a warning.
func InsecureEndpoint(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.EqualFold(u.Scheme, "http") && !IsLoopbackHost(u.Hostname())
}

// CheckEndpoint checks an STS endpoint override: scheme://host[:port] with
// https, or http on loopback unless allowHTTP. It is the one rule for the
// server's configuration and the verifier.
func CheckEndpoint(s string, allowHTTP bool) error {
	_, err := parseEndpoint(s, allowHTTP)
	return err
}

func parseEndpoint(s string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%q: scheme must be https or http", s)
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("%q: no host", s)
	case u.User != nil:
		return nil, fmt.Errorf("%q: user information not allowed", s)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("%q: only scheme and host[:port] allowed, no path, query or fragment", s)
	case u.Scheme == "http" && !allowHTTP && !IsLoopbackHost(u.Hostname()):
		return nil, fmt.Errorf("%q: %w", s, ErrPlainHTTP)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}
