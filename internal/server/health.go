package server

import (
	"encoding/json"
	"net/http"
	"sort"
)

// Check is one readiness check.
type Check struct {
	Name string `json:"name"`
	// Ready is false while the component cannot serve (never synced, store
	// closed): /readyz then answers 503.
	Ready bool `json:"ready"`
	// Healthy is false while the component serves a last good state but its
	// latest input was rejected: /readyz stays 200 and says why.
	Healthy bool   `json:"healthy"`
	Detail  string `json:"detail,omitempty"`
}

// Checker reports one component's readiness.
type Checker func() Check

// readyz answers 200 while every check is ready, 503 otherwise, with the
// details as JSON: a rejected aws-auth update keeps the server ready (the
// last good mapping is in force) but shows up here as "degraded".
func readyz(checks []Checker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res := struct {
			Status string  `json:"status"`
			Checks []Check `json:"checks"`
		}{Status: "ok"}
		for _, c := range checks {
			ch := c()
			res.Checks = append(res.Checks, ch)
			switch {
			case !ch.Ready:
				res.Status = "not ready"
			case !ch.Healthy && res.Status == "ok":
				res.Status = "degraded"
			}
		}
		sort.Slice(res.Checks, func(i, j int) bool { return res.Checks[i].Name < res.Checks[j].Name })
		code := http.StatusOK
		if res.Status == "not ready" {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	}
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}
