package api

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// The operation names, as in the EKS API, the AWS CLI's error messages and
// the audit log.
const (
	OpDescribeCluster              = "DescribeCluster"
	OpUpdateClusterConfig          = "UpdateClusterConfig"
	OpCreateAccessEntry            = "CreateAccessEntry"
	OpDescribeAccessEntry          = "DescribeAccessEntry"
	OpListAccessEntries            = "ListAccessEntries"
	OpUpdateAccessEntry            = "UpdateAccessEntry"
	OpDeleteAccessEntry            = "DeleteAccessEntry"
	OpAssociateAccessPolicy        = "AssociateAccessPolicy"
	OpDisassociateAccessPolicy     = "DisassociateAccessPolicy"
	OpListAssociatedAccessPolicies = "ListAssociatedAccessPolicies"
	OpListAccessPolicies           = "ListAccessPolicies"
	OpListClusters                 = "ListClusters"
	OpDescribeUpdate               = "DescribeUpdate"
	OpListUpdates                  = "ListUpdates"
	OpTagResource                  = "TagResource"
	OpUntagResource                = "UntagResource"
	OpListTagsForResource          = "ListTagsForResource"
	// OpUnknown is the audit and metrics name of a request that matched no
	// route.
	OpUnknown = "Unknown"
)

// operation is one EKS operation: its name, how it is served and who may
// call it.
type operation struct {
	name string
	// clusterScoped operations have the cluster name as first parameter.
	clusterScoped bool
	// public operations may be called by any authenticated caller.
	public bool
	handle func(h *Handler, c *call) (any, error)
}

// pattern is a route: a path template with {} for each parameter and the
// operation of each method.
type pattern struct {
	segments []string
	methods  map[string]*operation
}

// newRoutes returns the EKS paths kubeiam serves (see the eks SDK's schemas).
func newRoutes() []pattern {
	return []pattern{
		{[]string{"access-policies"}, map[string]*operation{
			http.MethodGet: {name: OpListAccessPolicies, public: true, handle: (*Handler).listAccessPolicies},
		}},
		{[]string{"clusters"}, map[string]*operation{
			http.MethodGet: {name: OpListClusters, handle: (*Handler).listClusters},
		}},
		{[]string{"tags", "{}"}, map[string]*operation{
			http.MethodPost:   {name: OpTagResource, handle: (*Handler).tagResource},
			http.MethodDelete: {name: OpUntagResource, handle: (*Handler).untagResource},
			http.MethodGet:    {name: OpListTagsForResource, handle: (*Handler).listTagsForResource},
		}},
		{[]string{"clusters", "{}", "updates"}, map[string]*operation{
			http.MethodGet: {name: OpListUpdates, clusterScoped: true, handle: (*Handler).listUpdates},
		}},
		{[]string{"clusters", "{}", "updates", "{}"}, map[string]*operation{
			http.MethodGet: {name: OpDescribeUpdate, clusterScoped: true, handle: (*Handler).describeUpdate},
		}},
		{[]string{"clusters", "{}"}, map[string]*operation{
			http.MethodGet: {name: OpDescribeCluster, clusterScoped: true, handle: (*Handler).describeCluster},
		}},
		{[]string{"clusters", "{}", "update-config"}, map[string]*operation{
			http.MethodPost: {name: OpUpdateClusterConfig, clusterScoped: true, handle: (*Handler).updateClusterConfig},
		}},
		{[]string{"clusters", "{}", "access-entries"}, map[string]*operation{
			http.MethodPost: {name: OpCreateAccessEntry, clusterScoped: true, handle: (*Handler).createAccessEntry},
			http.MethodGet:  {name: OpListAccessEntries, clusterScoped: true, handle: (*Handler).listAccessEntries},
		}},
		{[]string{"clusters", "{}", "access-entries", "{}"}, map[string]*operation{
			http.MethodGet:    {name: OpDescribeAccessEntry, clusterScoped: true, handle: (*Handler).describeAccessEntry},
			http.MethodPost:   {name: OpUpdateAccessEntry, clusterScoped: true, handle: (*Handler).updateAccessEntry},
			http.MethodDelete: {name: OpDeleteAccessEntry, clusterScoped: true, handle: (*Handler).deleteAccessEntry},
		}},
		{[]string{"clusters", "{}", "access-entries", "{}", "access-policies"}, map[string]*operation{
			http.MethodPost: {name: OpAssociateAccessPolicy, clusterScoped: true, handle: (*Handler).associateAccessPolicy},
			http.MethodGet:  {name: OpListAssociatedAccessPolicies, clusterScoped: true, handle: (*Handler).listAssociatedAccessPolicies},
		}},
		{[]string{"clusters", "{}", "access-entries", "{}", "access-policies", "{}"}, map[string]*operation{
			http.MethodDelete: {name: OpDisassociateAccessPolicy, clusterScoped: true, handle: (*Handler).disassociateAccessPolicy},
		}},
	}
}

// route finds the operation of method and escapedPath and returns it with
// its unescaped path parameters. A path that matches no route is a
// ResourceNotFoundException (404); a known path with another method is 405.
func route(routes []pattern, method, escapedPath string) (*operation, []string, error) {
	raw := strings.Split(strings.TrimPrefix(trimPath(escapedPath), "/"), "/")
	for _, p := range routes {
		if len(p.segments) != len(raw) {
			continue
		}
		params, ok := match(p.segments, raw)
		if !ok {
			continue
		}
		if op, ok := p.methods[method]; ok {
			return op, params, nil
		}
		allowed := make([]string, 0, len(p.methods))
		for m := range p.methods {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		return &operation{name: OpUnknown}, nil, &Error{Status: http.StatusMethodNotAllowed, Type: TypeMethodNotAllowed,
			Message: "The method " + method + " is not allowed on this resource; allowed: " + strings.Join(allowed, ", ") + ".",
			allow:   strings.Join(allowed, ", ")}
	}
	return &operation{name: OpUnknown}, nil, &Error{Status: http.StatusNotFound, Type: TypeResourceNotFound,
		Message: "No operation of the EKS access management API is served at " + escapedPath + "."}
}

// match matches escaped path segments against a template and unescapes the
// parameters. An empty or undecodable parameter does not match.
func match(template, raw []string) ([]string, bool) {
	var params []string
	for i, t := range template {
		if t != "{}" {
			if raw[i] != t {
				return nil, false
			}
			continue
		}
		v, err := url.PathUnescape(raw[i])
		if err != nil || v == "" {
			return nil, false
		}
		params = append(params, v)
	}
	return params, true
}
