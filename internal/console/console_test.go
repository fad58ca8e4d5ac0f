package console

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const (
	testAddr   = "127.0.0.1:40404"
	testSecret = "0123456789abcdef0123456789abcdef"
)

func newTestConsole(t testing.TB, b Backend) *Console {
	t.Helper()
	c, err := New(Config{Backend: b, Secret: testSecret, Addr: testAddr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func do(c http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w
}

func authed(r *http.Request) *http.Request {
	r.AddCookie(&http.Cookie{Name: CookieName, Value: testSecret})
	return r
}

func TestConsoleRefusesWithoutTheSecret(t *testing.T) {
	c := newTestConsole(t, newMemBackend(1))
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"no cookie", httptest.NewRequest("GET", "http://"+testAddr+"/", nil), http.StatusUnauthorized},
		{"wrong cookie", func() *http.Request {
			r := httptest.NewRequest("GET", "http://"+testAddr+"/", nil)
			r.AddCookie(&http.Cookie{Name: CookieName, Value: "nope"})
			return r
		}(), http.StatusForbidden},
		{"wrong secret in the URL", httptest.NewRequest("GET", "http://"+testAddr+"/?secret=nope", nil), http.StatusForbidden},
		{"rebound host name", authed(httptest.NewRequest("GET", "http://evil.example:40404/", nil)), http.StatusForbidden},
		{"static assets need the secret too", httptest.NewRequest("GET", "http://"+testAddr+"/static/console.css", nil), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := do(c, tt.req); w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
}

func TestConsoleTradesTheURLSecretForACookie(t *testing.T) {
	c := newTestConsole(t, newMemBackend(1))
	w := do(c, httptest.NewRequest("GET", "http://"+testAddr+"/entries?secret="+testSecret+"&filter=r0", nil))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/entries?filter=r0" {
		t.Fatalf("status %d location %q", w.Code, w.Header().Get("Location"))
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || ck[0].Value != testSecret || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", ck)
	}
	r := httptest.NewRequest("GET", "http://localhost:40404/entries", nil)
	r.AddCookie(ck[0])
	if w := do(c, r); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "arn:aws:iam::111122223333:role/r00000") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func postForm(origin string, form url.Values) *http.Request {
	r := authed(httptest.NewRequest("POST", "http://"+testAddr+"/entries", strings.NewReader(form.Encode())))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	return r
}

func TestConsoleChangesNeedSameOriginAndFormToken(t *testing.T) {
	b := newMemBackend(0)
	c := newTestConsole(t, b)
	create := url.Values{"action": {"create"}, "principal": {"arn:aws:iam::111122223333:role/new"}, "csrf": {c.csrf}}
	noToken := url.Values{"action": {"create"}, "principal": {"arn:aws:iam::111122223333:role/new"}}
	if w := do(c, postForm("http://evil.example", create)); w.Code != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d", w.Code)
	}
	if w := do(c, postForm("", create)); w.Code != http.StatusForbidden {
		t.Errorf("POST without Origin or Referer: %d", w.Code)
	}
	if w := do(c, postForm("http://"+testAddr, noToken)); w.Code != http.StatusForbidden {
		t.Errorf("POST without form token: %d", w.Code)
	}
	if len(b.entries) != 0 {
		t.Fatalf("a refused POST changed something: %+v", b.entries)
	}
	w := do(c, postForm("http://"+testAddr, create))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "created the access entry") || len(b.entries) != 1 {
		t.Fatalf("same-origin POST: %d %s", w.Code, w.Body)
	}
}

func TestConsoleShowsTheAPIError(t *testing.T) {
	b := newMemBackend(0)
	b.refuse = errAccessDenied
	c := newTestConsole(t, b)
	w := do(c, postForm("http://"+testAddr, url.Values{"action": {"create"}, "principal": {"arn:aws:iam::111122223333:role/x"}, "csrf": {c.csrf}}))
	if !strings.Contains(w.Body.String(), `role="alert"`) || !strings.Contains(w.Body.String(), "AccessDeniedException: not a manager") {
		t.Fatalf("%s", w.Body)
	}
}

type stringError string

func (e stringError) Error() string { return string(e) }

const errAccessDenied = stringError("AccessDeniedException: not a manager")

func TestConsolePagesRender(t *testing.T) {
	c := newTestConsole(t, newMemBackend(3))
	for path, want := range map[string]string{
		"/":                                  "API_AND_CONFIG_MAP",
		"/?preview=API":                      "arn:aws:iam::111122223333:role/dev",
		"/entries?filter=r00001":             "1 of 3 access entries",
		"/aws-auth":                          "Mappings in force",
		"/decisions":                         "ARN_NOT_MAPPED",
		"/explain?arn=arn:aws:iam::1:user/x": "Verdict",
		"/who-can?verb=get&resource=pods&namespace=ns1": "arn:aws:iam::111122223333:role/r00001",
	} {
		w := do(c, authed(httptest.NewRequest("GET", "http://"+testAddr+path, nil)))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
			t.Errorf("%s: status %d, body lacks %q:\n%s", path, w.Code, want, w.Body)
		}
	}
}

func TestConsoleStreamsDecisionsAsServerSentEvents(t *testing.T) {
	c := newTestConsole(t, newMemBackend(0))
	srv := httptest.NewServer(c)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/decisions/stream", nil)
	req.Host = testAddr
	req.AddCookie(&http.Cookie{Name: CookieName, Value: testSecret})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			if !strings.Contains(sc.Text(), "user/streamed") {
				t.Fatalf("event %q", sc.Text())
			}
			return
		}
	}
	t.Fatal("stream ended without an event")
}

func TestNewRefusesNonLoopback(t *testing.T) {
	if _, err := New(Config{Backend: newMemBackend(0), Secret: testSecret, Addr: "0.0.0.0:8080"}); err == nil {
		t.Fatal("accepted 0.0.0.0")
	}
	if _, err := New(Config{Backend: newMemBackend(0), Secret: "short", Addr: testAddr}); err == nil {
		t.Fatal("accepted a short secret")
	}
}

func TestLoseAccessNamesTheMappingsTheNewModeIgnores(t *testing.T) {
	b := newMemBackend(2)
	in, _ := b.ReviewInput(context.Background())
	lose, err := LoseAccess(in, "API")
	if err != nil {
		t.Fatal(err)
	}
	if len(lose) != 1 || lose[0].Principal != "arn:aws:iam::111122223333:role/dev" {
		t.Fatalf("lose = %+v, want only the aws-auth role", lose)
	}
}
