package explain

import "github.com/kubeiam/kubeiam/internal/resolve"

// ApplyRBAC completes a report made without RBAC (the server's, which
// cannot see the cluster's RBAC) with the RBAC read elsewhere (the live
// cluster, through the user's kubeconfig), and records where it came from
// in RBACSource. A request no access policy allows is then allowed by a
// binding, or denied with the groups no binding names; anything else is
// returned as it was. clusterName goes into new fix commands.
func ApplyRBAC(r Report, rbac *RBAC, source, clusterName string) Report {
	r.RBACSource = source
	if rbac == nil || !r.Mapped || r.Request == nil || r.Request.Allowed {
		return r
	}
	// Drop what was concluded without RBAC; decide again with it.
	var kept []Fix
	for _, f := range r.Fixes {
		if f.Fixes != CodeRBACDecides {
			kept = append(kept, f)
		}
	}
	r.Fixes = kept
	rr := *r.Request // the caller's report stays as it was
	rr.RBACNeeds = ""
	r.Request = &rr
	q := rr.Request
	e := &explainer{
		in:    Input{Request: &q, RBAC: rbac},
		r:     r,
		cmds:  commands{cluster: clusterName},
		res:   resolve.Result{Mapped: true, Username: r.Username, Groups: r.Groups, Source: mappedSource(r)},
		entry: resolve.Entry{PrincipalARN: r.CanonicalARN},
	}
	if e.cmds.cluster == "" {
		e.cmds.cluster = "CLUSTER"
	}
	e.byRBAC(e.attributes(), r.Request.Reason)
	return e.r
}

// mappedSource says which source mapped the caller of a report.
func mappedSource(r Report) resolve.Source {
	for _, s := range r.Sources {
		if s.Consulted && s.Matched {
			return resolve.Source(s.Source)
		}
	}
	return ""
}
