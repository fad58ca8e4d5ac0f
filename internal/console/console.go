// Package console serves kubeiam's web console: a small web UI on loopback
// for the one user who runs "kubeiam console", like "kubectl proxy". Every
// request must carry the per-run secret (from the URL the command prints,
// then from a cookie), name this server in its Host header (against DNS
// rebinding), and, for a change, come from the console's own pages
// (same-origin Origin and a form token). The pages are html/template with
// embedded assets and a little plain JavaScript.
package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CookieName holds the secret once the first visit has presented it.
const CookieName = "kubeiam_console"

// Config assembles a console.
type Config struct {
	// Backend is the server and cluster, as the user.
	Backend Backend
	// Secret is the per-run secret; NewSecret makes one.
	Secret string
	// Addr is the address the console listens on (127.0.0.1:PORT): the
	// only Host header it answers, with localhost:PORT.
	Addr string
	// Now is the clock; default time.Now. Logger defaults to discarding.
	Now    func() time.Time
	Logger *slog.Logger
}

// NewSecret returns a fresh random secret for one run.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// URL is the address to open: it carries the secret once.
func URL(addr, secret string) string {
	return "http://" + addr + "/?secret=" + url.QueryEscape(secret)
}

// Console is the web console's handler.
type Console struct {
	cfg   Config
	hosts map[string]bool
	csrf  string
	pages *template.Template
	mux   *http.ServeMux
}

// New builds the console. It refuses a config without a backend, a
// secret, or a loopback address.
func New(cfg Config) (*Console, error) {
	if cfg.Backend == nil || len(cfg.Secret) < 16 {
		return nil, errors.New("console: a backend and a secret of at least 16 characters are required")
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, errors.New("console: listen on a loopback address only, not " + cfg.Addr)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	mac := hmac.New(sha256.New, []byte(cfg.Secret))
	mac.Write([]byte("kubeiam console form token"))
	c := &Console{cfg: cfg, csrf: hex.EncodeToString(mac.Sum(nil)), mux: http.NewServeMux(),
		hosts: map[string]bool{cfg.Addr: true, net.JoinHostPort("localhost", port): true}}
	if c.pages, err = parseTemplates(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

// ServeHTTP checks the Host header, the secret and, for a change, the
// origin and the form token, then serves the page.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if !c.hosts[r.Host] {
		// A DNS-rebinding page reaches us under its own host name.
		http.Error(w, "unexpected Host header", http.StatusForbidden)
		return
	}
	if s := r.URL.Query().Get("secret"); s != "" {
		c.login(w, r, s)
		return
	}
	ck, err := r.Cookie(CookieName)
	if err != nil {
		http.Error(w, "open the console with the URL \"kubeiam console\" printed", http.StatusUnauthorized)
		return
	}
	if !c.secretOK(ck.Value) {
		http.Error(w, "wrong console secret: open the URL this run of \"kubeiam console\" printed", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !c.sameOrigin(r) {
		http.Error(w, "cross-origin or tokenless change refused", http.StatusForbidden)
		return
	}
	c.mux.ServeHTTP(w, r)
}

func (c *Console) secretOK(s string) bool {
	return subtle.ConstantTimeCompare([]byte(s), []byte(c.cfg.Secret)) == 1
}

// login trades the secret in the URL for a cookie, and redirects to the
// same page without it, so that the secret leaves the address bar.
func (c *Console) login(w http.ResponseWriter, r *http.Request, s string) {
	if !c.secretOK(s) {
		http.Error(w, "wrong console secret: open the URL this run of \"kubeiam console\" printed", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: s, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	u := *r.URL
	q := u.Query()
	q.Del("secret")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// sameOrigin accepts a change whose Origin (or, lacking one, Referer) is
// this console and whose form carries the form token.
func (c *Console) sameOrigin(r *http.Request) bool {
	self := "http://" + r.Host
	origin := r.Header.Get("Origin")
	if origin == "" {
		ref := r.Header.Get("Referer")
		if ref != self && !strings.HasPrefix(ref, self+"/") {
			return false
		}
	} else if origin != self {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(c.csrf)) == 1
}
