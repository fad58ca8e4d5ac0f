package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/review"
)

type overviewData struct {
	Cluster     Cluster
	Transitions []string
	// Preview is the mode a change to which is being previewed, and Lose
	// the principals that would lose their mapping.
	Preview  string
	Lose     []review.Principal
	LoseMore int
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Overview", Nav: "/"}
	c.overviewPage(w, r, p, r.URL.Query().Get("preview"))
}

func (c *Console) overviewPage(w http.ResponseWriter, r *http.Request, p page, preview string) {
	ctx := r.Context()
	cl, err := c.cfg.Backend.Cluster(ctx)
	if err != nil {
		p.Error = err.Error()
		c.render(w, "overview.html", p)
		return
	}
	d := overviewData{Cluster: cl, Transitions: modeTransitions(cl.Mode)}
	if preview != "" && slices.Contains(d.Transitions, preview) {
		d.Preview = preview
		in, err := c.cfg.Backend.ReviewInput(ctx)
		if err == nil {
			d.Lose, err = LoseAccess(in, access.Mode(preview))
		}
		if n := len(d.Lose); n > maxPrincipals {
			d.LoseMore, d.Lose = n-maxPrincipals, d.Lose[:maxPrincipals]
		}
		if err != nil {
			p.Error = "who would lose access: " + err.Error()
		}
	}
	p.Data = d
	c.render(w, "overview.html", p)
}

// LoseAccess returns the principals mapped in the input's mode that the
// mode to would no longer map (aws-auth mappings API ignores, the implicit
// creator of CONFIG_MAP without a bootstrap entry).
func LoseAccess(in review.Input, to access.Mode) ([]review.Principal, error) {
	before, _, err := review.Principals(in)
	if err != nil {
		return nil, err
	}
	in.Mode = to
	after, _, err := review.Principals(in)
	if err != nil {
		return nil, err
	}
	still := make(map[string]bool, len(after))
	for _, p := range after {
		still[p.Principal] = true
	}
	var out []review.Principal
	for _, p := range before {
		if !still[p.Principal] {
			out = append(out, p)
		}
	}
	return out, nil
}

func (c *Console) setMode(w http.ResponseWriter, r *http.Request) {
	mode := r.PostFormValue("mode")
	p := page{Title: "Overview", Nav: "/"}
	if err := c.cfg.Backend.SetMode(r.Context(), mode); err != nil {
		p.Error = err.Error()
	} else {
		p.Flash = "authentication mode set to " + mode
	}
	c.overviewPage(w, r, p, "")
}

type entriesData struct {
	Filter   string
	Entries  []Entry
	Total    int
	Matched  int
	Policies []authz.Policy
	// Page is 1-based; Prev and Next are 0 when there is none.
	Page, Prev, Next int
	First, Last      int
}

// pageSize bounds the rows one page shows: 10,000 entries are a search,
// not a page.
const pageSize = 100

func (c *Console) entries(w http.ResponseWriter, r *http.Request) {
	c.entriesPage(w, r, page{Title: "Access entries", Nav: "/entries"})
}

func (c *Console) entriesPage(w http.ResponseWriter, r *http.Request, p page) {
	filter := strings.TrimSpace(r.FormValue("filter"))
	es, err := c.cfg.Backend.Entries(r.Context())
	if err != nil && p.Error == "" {
		p.Error = err.Error()
	}
	d := entriesData{Filter: filter, Total: len(es), Policies: authz.Catalog()}
	var matched []Entry
	for _, e := range es {
		if filter == "" || entryMatches(e, strings.ToLower(filter)) {
			matched = append(matched, e)
		}
	}
	d.Matched = len(matched)
	d.Page = max(1, atoi(r.FormValue("page")))
	lo := min((d.Page-1)*pageSize, len(matched))
	hi := min(lo+pageSize, len(matched))
	d.Entries, d.First, d.Last = matched[lo:hi], lo+1, hi
	if d.Page > 1 {
		d.Prev = d.Page - 1
	}
	if hi < len(matched) {
		d.Next = d.Page + 1
	}
	p.Data = d
	c.render(w, "entries.html", p)
}

func entryMatches(e Entry, f string) bool {
	if strings.Contains(strings.ToLower(e.PrincipalARN+" "+e.Username+" "+strings.Join(e.Groups, " ")), f) {
		return true
	}
	for _, pol := range e.Policies {
		if strings.Contains(strings.ToLower(pol.PolicyARN), f) {
			return true
		}
	}
	return false
}

// entryAction runs one change from the entries page: the form's action
// field says which.
func (c *Console) entryAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b := c.cfg.Backend
	principal := strings.TrimSpace(r.PostFormValue("principal"))
	policy := policyARNOf(r.PostFormValue("policy"))
	var err error
	var done string
	switch r.PostFormValue("action") {
	case "create", "update":
		req := EntryRequest{PrincipalARN: principal, Username: strings.TrimSpace(r.PostFormValue("username")),
			Groups: splitList(r.PostFormValue("groups")), Type: r.PostFormValue("type")}
		if r.PostFormValue("action") == "create" {
			err, done = b.CreateEntry(ctx, req), "created the access entry for "+principal
		} else {
			err, done = b.UpdateEntry(ctx, req), "updated the access entry for "+principal
		}
	case "delete":
		err, done = b.DeleteEntry(ctx, principal), "deleted the access entry for "+principal
	case "associate":
		scope := authz.Scope{Type: authz.ScopeType(r.PostFormValue("scope"))}
		if scope.Type == authz.ScopeNamespace {
			scope.Namespaces = splitList(r.PostFormValue("namespaces"))
		}
		err, done = b.Associate(ctx, principal, policy, scope), "associated "+policy+" ("+scope.String()+") with "+principal
	case "disassociate":
		err, done = b.Disassociate(ctx, principal, policy), "disassociated "+policy+" from "+principal
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	p := page{Title: "Access entries", Nav: "/entries"}
	if err != nil {
		p.Error = err.Error()
	} else {
		p.Flash = done
	}
	c.entriesPage(w, r, p)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// policyARNOf accepts a policy's name for its ARN, as the CLI does.
func policyARNOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "arn:") {
		return s
	}
	return "arn:aws:eks::aws:cluster-access-policy/" + s
}

// splitList reads "a, b c" as [a b c].
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}
