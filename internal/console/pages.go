package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func parseTemplates() (*template.Template, error) {
	funcs := template.FuncMap{
		"join":       strings.Join,
		"policyName": func(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] },
		"scope":      func(s authz.Scope) string { return s.String() },
	}
	return template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
}

func (c *Console) routes() {
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /{$}", c.overview)
	c.mux.HandleFunc("POST /mode", c.setMode)
	c.mux.HandleFunc("GET /entries", c.entries)
	c.mux.HandleFunc("POST /entries", c.entryAction)
	c.mux.HandleFunc("GET /aws-auth", c.awsAuth)
	c.mux.HandleFunc("GET /decisions", c.decisions)
	c.mux.HandleFunc("GET /decisions/stream", c.decisionStream)
	c.mux.HandleFunc("GET /explain", c.explain)
	c.mux.HandleFunc("GET /who-can", c.whoCan)
}

// page is what every page template gets.
type page struct {
	Title string
	Nav   string
	CSRF  string
	// Flash and Error report the outcome of a change.
	Flash, Error string
	Data         any
}

var navItems = []struct{ Path, Name string }{
	{"/", "Overview"}, {"/entries", "Access entries"}, {"/aws-auth", "aws-auth"},
	{"/decisions", "Decisions"}, {"/explain", "Explain"}, {"/who-can", "Who can"},
}

// render executes the page template into a buffer first, so that a
// template error is a clean 500, not half a page.
func (c *Console) render(w http.ResponseWriter, name string, p page) {
	p.CSRF = c.csrf
	var buf bytes.Buffer
	if err := c.pages.ExecuteTemplate(&buf, name, struct {
		page
		NavItems any
	}{p, navItems}); err != nil {
		c.cfg.Logger.Error("console page failed", "page", name, "error", err)
		http.Error(w, "page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// modeTransitions are the one-way moves from a mode.
func modeTransitions(m string) []string {
	var out []string
	for _, to := range []access.Mode{access.ModeAPIAndConfigMap, access.ModeAPI} {
		if access.ValidateModeChange(access.Mode(m), to) == nil && string(to) != m {
			out = append(out, string(to))
		}
	}
	return out
}
