package diag

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/explain"
)

// Client calls the diagnosis endpoints. It is what the CLI uses.
type Client struct {
	// BaseURL is the server, https://HOST:PORT.
	BaseURL string
	// HTTP is the client; it must trust the server's CA.
	HTTP *http.Client
	// Token authenticates manager calls as "Authorization: Bearer". It is
	// a credential: never log it.
	Token string
}

// maxAnswer bounds a non-streamed answer.
const maxAnswer = 32 << 20

// Whoami sends tok and returns what the server makes of it.
func (c *Client) Whoami(ctx context.Context, tok string) (Whoami, error) {
	var out Whoami
	err := c.do(ctx, http.MethodPost, PathWhoami, tok, nil, &out)
	return out, err
}

// Explain asks the server to explain req against its live mappings.
func (c *Client) Explain(ctx context.Context, req ExplainRequest) (explain.Report, error) {
	var out explain.Report
	body, err := json.Marshal(req)
	if err != nil {
		return out, err
	}
	err = c.do(ctx, http.MethodPost, PathExplain, c.Token, body, &out)
	return out, err
}

// Decisions returns the decisions q selects (q.Follow is ignored).
func (c *Client) Decisions(ctx context.Context, q Query) (Decisions, error) {
	q.Follow = false
	var out Decisions
	err := c.do(ctx, http.MethodGet, PathDecisions+"?"+q.Values().Encode(), c.Token, nil, &out)
	return out, err
}

// Follow streams the decisions q selects to fn until ctx ends, fn fails,
// or the server closes the stream.
func (c *Client) Follow(ctx context.Context, q Query, fn func(decisionlog.Record) error) error {
	q.Follow = true
	resp, err := c.send(ctx, http.MethodGet, PathDecisions+"?"+q.Values().Encode(), c.Token, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec decisionlog.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("decision stream: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return sc.Err()
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func (c *Client) do(ctx context.Context, method, path, tok string, body []byte, out any) error {
	resp, err := c.send(ctx, method, path, tok, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", path, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("answer of %s is not JSON: %w", path, err)
	}
	return nil
}

// send makes the request and turns a non-2xx answer into a StatusError.
func (c *Client) send(ctx context.Context, method, path, tok string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var e Error
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return nil, &StatusError{Status: resp.StatusCode, Message: msg}
	}
	return resp, nil
}
