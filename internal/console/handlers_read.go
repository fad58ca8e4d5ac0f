package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/review"
)

type awsAuthData struct {
	AWSAuth  AWSAuth
	Keys     []string
	Rejected bool
	InForce  []awsauth.Mapping
}

func (c *Console) awsAuth(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "aws-auth", Nav: "/aws-auth"}
	a, err := c.cfg.Backend.AWSAuth(r.Context())
	if err != nil {
		p.Error = err.Error()
	}
	d := awsAuthData{AWSAuth: a, Rejected: a.ParseError != "" || a.Problems.HasErrors()}
	for k := range a.Data {
		d.Keys = append(d.Keys, k)
	}
	sort.Strings(d.Keys)
	if a.Document != nil && !d.Rejected {
		d.InForce = awsauth.NewIndex(a.Document).Mappings()
	}
	p.Data = d
	c.render(w, "awsauth.html", p)
}

type decisionsData struct {
	Query   diag.Query
	Records []decisionlog.Record
}

// decisionQuery reads the filter: principal (ARN substring), decision, reason code.
func decisionQuery(r *http.Request) diag.Query {
	q := r.URL.Query()
	return diag.Query{ARN: q.Get("principal"), Decision: q.Get("decision"), Code: q.Get("reason"), Limit: 200}
}

func (c *Console) decisions(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Decisions", Nav: "/decisions"}
	q := decisionQuery(r)
	recs, err := c.cfg.Backend.Decisions(r.Context(), q)
	if err != nil {
		p.Error = err.Error()
	}
	// Newest first, as the stream prepends.
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
	p.Data = decisionsData{Query: q, Records: recs}
	c.render(w, "decisions.html", p)
}

// decisionStream relays the server's decision stream as server-sent
// events, one JSON record per event.
func (c *Console) decisionStream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	q := decisionQuery(r)
	q.Limit = 0
	var after uint64
	fmt.Sscan(r.URL.Query().Get("after"), &after)
	q.After = after
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": stream open\n\n")
	fl.Flush()
	err := c.cfg.Backend.Follow(r.Context(), q, func(rec decisionlog.Record) error {
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", rec.Seq, b); err != nil {
			return err
		}
		fl.Flush()
		return nil
	})
	if err != nil && r.Context().Err() == nil {
		fmt.Fprintf(w, "event: failure\ndata: %s\n\n", strings.ReplaceAll(err.Error(), "\n", " "))
		fl.Flush()
	}
}

type explainData struct {
	Req    diag.ExplainRequest
	Report *explain.Report
	Text   string
}

func (c *Console) explain(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Explain", Nav: "/explain"}
	q := r.URL.Query()
	d := explainData{Req: diag.ExplainRequest{ARN: strings.TrimSpace(q.Get("arn")), Request: explain.Request{
		Verb: q.Get("verb"), Resource: q.Get("resource"), Subresource: q.Get("subresource"), Name: q.Get("name"),
		Namespace: q.Get("namespace"), APIGroup: q.Get("apiGroup")}}}
	if d.Req.ARN != "" {
		rep, err := c.cfg.Backend.Explain(r.Context(), d.Req)
		if err != nil {
			p.Error = err.Error()
		} else {
			var buf bytes.Buffer
			_ = explain.WriteText(&buf, rep, explain.TextOptions{})
			d.Report, d.Text = &rep, buf.String()
		}
	}
	p.Data = d
	c.render(w, "explain.html", p)
}

type whoCanData struct {
	Req    review.Request
	Result *review.Result
	// MoreAllowed and MoreNotAllowed count the principals left off the
	// page ("kubeiam who-can -o json" has them all).
	MoreAllowed, MoreNotAllowed int
}

// maxPrincipals bounds the principals a page lists.
const maxPrincipals = 200

func (c *Console) whoCan(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Who can", Nav: "/who-can"}
	q := r.URL.Query()
	d := whoCanData{Req: review.Request{Verb: q.Get("verb"), Resource: q.Get("resource"), Subresource: q.Get("subresource"),
		Name: q.Get("name"), Namespace: q.Get("namespace"), APIGroup: q.Get("apiGroup")}}
	if d.Req.Verb != "" || d.Req.Resource != "" {
		in, err := c.cfg.Backend.ReviewInput(r.Context())
		var res review.Result
		if err == nil {
			res, err = review.WhoCan(in, d.Req)
		}
		if err != nil {
			p.Error = err.Error()
		} else {
			if n := len(res.Allowed); n > maxPrincipals {
				d.MoreAllowed, res.Allowed = n-maxPrincipals, res.Allowed[:maxPrincipals]
			}
			if n := len(res.NotAllowed); n > maxPrincipals {
				d.MoreNotAllowed, res.NotAllowed = n-maxPrincipals, res.NotAllowed[:maxPrincipals]
			}
			d.Result = &res
		}
	}
	p.Data = d
	c.render(w, "whocan.html", p)
}
