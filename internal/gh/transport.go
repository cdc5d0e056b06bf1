package gh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
)

// Retry and pacing defaults. GitHub's advice for a secondary rate limit
// that carries neither retry-after nor an exhausted x-ratelimit-remaining
// is to "wait for at least one minute before retrying" and then back off
// exponentially, so such answers start at RateLimitBackoff (1 min) and
// double up to MaxRateLimitBackoff (10 min). Transient faults (5xx,
// connection resets, GraphQL "Something went wrong") start at
// TransientBackoff (1 s) and double up to MaxTransientBackoff (60 s).
// There is no jitter, so that waits are reproducible on a fake clock;
// requests are spread by the write pacing and the concurrency cap instead.
const (
	DefaultMaxRetries      = 5
	DefaultWritesPerMinute = 80
	DefaultConcurrency     = 8

	TransientBackoff    = time.Second
	MaxTransientBackoff = 60 * time.Second
	RateLimitBackoff    = time.Minute
	MaxRateLimitBackoff = 10 * time.Minute
)

// Headers the transport hides from the layer above it. go-github v60
// remembers x-ratelimit-reset and retry-after against the wall clock and
// then refuses requests without sending them; the transport already waits
// for those limits itself (on the injected clock), so it moves the two
// headers to these names before handing a response up.
const (
	HeaderOriginalReset      = "X-Dfiu-Ratelimit-Reset"
	HeaderOriginalRetryAfter = "X-Dfiu-Retry-After"
)

// Transport is an http.RoundTripper that sits under go-github and the
// GraphQL poster. It adds the token and user agent, caps the requests in
// flight, waits before sending when a resource's x-ratelimit-remaining is
// 0, spaces content-creating requests (REST POST/PATCH/PUT/DELETE and
// GraphQL mutation documents) to WritesPerMinute, and retries rate-limited
// answers (REST 403/429, GraphQL 403/429 or 200 with an error of type
// RATE_LIMITED or RATE_LIMIT) and transient faults. Every wait goes through
// the injected clock.
//
// Rate-limited answers are always retried: GitHub did not act on them.
// Transient faults (500, 502, 503, 504, transport errors, GraphQL
// "Something went wrong") are retried only for requests that are safe to
// send twice: GET, HEAD, OPTIONS, PUT (contents PUT carries a sha
// precondition), DELETE and GraphQL queries. A REST POST or PATCH or a
// GraphQL mutation document may have been applied before a timeout, so its
// fault is returned to the caller, who re-reads (see Client.Propose).
//
// Request bodies are buffered so that they can be resent; response bodies
// are read in full (to classify GraphQL answers) and handed up as a
// buffer.
type Transport struct {
	base       http.RoundTripper
	clk        clock.Clock
	log        *slog.Logger
	token      string
	userAgent  string
	maxRetries int
	writeGap   time.Duration
	sem        chan struct{}

	mu        sync.Mutex
	limits    map[string]rateState // by resource: core, search, code_search, graphql
	nextWrite time.Time
}

type rateState struct {
	remaining int // -1 when unknown
	reset     time.Time
}

// NewTransport returns the rate-limit transport for opts: it wraps
// opts.HTTPClient's transport (or http.DefaultTransport) and uses
// opts.Clock, Token, UserAgent, MaxRetries, WritesPerMinute and
// Concurrency. MaxRetries 0 means DefaultMaxRetries and a negative value
// means no retries.
func NewTransport(opts Options) *Transport {
	var base http.RoundTripper
	if opts.HTTPClient != nil {
		base = opts.HTTPClient.Transport
	}
	if base == nil {
		base = http.DefaultTransport
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	retries := opts.MaxRetries
	switch {
	case retries == 0:
		retries = DefaultMaxRetries
	case retries < 0:
		retries = 0
	}
	wpm := opts.WritesPerMinute
	if wpm <= 0 {
		wpm = DefaultWritesPerMinute
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	return &Transport{
		base:       base,
		clk:        clk,
		log:        logger,
		token:      opts.Token,
		userAgent:  opts.UserAgent,
		maxRetries: retries,
		writeGap:   time.Minute / time.Duration(wpm),
		sem:        make(chan struct{}, conc),
		limits:     make(map[string]rateState),
	}
}

type ctxKey int

const noTimeoutRetryKey ctxKey = iota

// withoutTimeoutRetry marks ctx so that the transport hands timeouts (502,
// 504, GraphQL "Something went wrong") back at once: Hydrate would rather
// halve the batch than resend the same heavy query.
func withoutTimeoutRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noTimeoutRetryKey, true)
}

// requestKind is what the transport knows about a request before sending.
type requestKind struct {
	resource string // core, search, code_search or graphql
	graphql  bool
	write    bool // content-creating: paced to WritesPerMinute
	safe     bool // may be resent after a transient fault
}

func classifyRequest(req *http.Request, body []byte) requestKind {
	path := req.URL.Path
	if req.Method == http.MethodPost && strings.HasSuffix(path, "/graphql") {
		mutation := isMutation(body)
		return requestKind{resource: "graphql", graphql: true, write: mutation, safe: !mutation}
	}
	k := requestKind{resource: "core"}
	switch {
	case strings.HasSuffix(path, "/search/code"):
		k.resource = "code_search"
	case strings.Contains(path, "/search/"):
		k.resource = "search"
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		k.safe = true
	case http.MethodPut, http.MethodDelete:
		k.write, k.safe = true, true
	default:
		k.write = true
	}
	return k
}

// isMutation reports whether a GraphQL request body holds a mutation
// operation.
func isMutation(body []byte) bool {
	var r struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(body, &r) != nil {
		return false
	}
	q := r.Query
	for {
		q = strings.TrimLeft(q, " \t\r\n,\ufeff")
		if !strings.HasPrefix(q, "#") {
			break
		}
		if i := strings.IndexByte(q, '\n'); i >= 0 {
			q = q[i+1:]
		} else {
			q = ""
		}
	}
	return strings.HasPrefix(q, "mutation")
}

// outcome is how the transport judges one answer.
type outcome int

const (
	outcomeDone      outcome = iota // hand it up
	outcomeLimited                  // rate-limited: retry after the indicated wait
	outcomeTransient                // fault that a safe request may retry
	outcomeTimeout                  // a transient fault that is a timeout
)

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("buffering request body: %w", err)
		}
		body = b
	}
	kind := classifyRequest(req, body)
	noTimeoutRetry := ctx.Value(noTimeoutRetryKey) != nil

	for attempt := 0; ; attempt++ {
		if err := t.waitForResource(ctx, kind.resource); err != nil {
			return nil, err
		}
		if kind.write {
			if err := t.paceWrite(ctx); err != nil {
				return nil, err
			}
		}
		resp, respBody, err := t.send(ctx, req, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !kind.safe || attempt >= t.maxRetries {
				return nil, err
			}
			wait := backoff(TransientBackoff, MaxTransientBackoff, attempt)
			t.log.DebugContext(ctx, "retrying after transport error", "method", req.Method, "path", req.URL.Path, "error", err, "wait", wait)
			if err := t.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		t.record(kind.resource, resp.Header)

		var wait time.Duration
		switch judge(resp, respBody, kind) {
		case outcomeDone:
			return hideLimits(resp, respBody), nil
		case outcomeLimited:
			if attempt >= t.maxRetries {
				return hideLimits(resp, respBody), nil
			}
			wait = t.limitWait(resp.Header, attempt)
			t.log.InfoContext(ctx, "rate limited; waiting", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "wait", wait)
		case outcomeTimeout, outcomeTransient:
			if !kind.safe || attempt >= t.maxRetries {
				return hideLimits(resp, respBody), nil
			}
			if noTimeoutRetry && judge(resp, respBody, kind) == outcomeTimeout {
				return hideLimits(resp, respBody), nil
			}
			wait = backoff(TransientBackoff, MaxTransientBackoff, attempt)
			t.log.DebugContext(ctx, "retrying after transient fault", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "wait", wait)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// send makes one attempt, holding a concurrency slot until the response
// body has been read.
func (t *Transport) send(ctx context.Context, req *http.Request, body []byte) (*http.Response, []byte, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-t.sem }()

	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	if t.token != "" && r.Header.Get("Authorization") == "" {
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	if t.userAgent != "" {
		r.Header.Set("User-Agent", t.userAgent)
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("reading response to %s %s: %w", req.Method, req.URL.Path, err)
	}
	return resp, b, nil
}

// hideLimits hands a response up with its body buffered and the limit
// headers renamed (see HeaderOriginalReset).
func hideLimits(resp *http.Response, body []byte) *http.Response {
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	h := resp.Header
	if v := h.Get("X-Ratelimit-Reset"); v != "" {
		h.Del("X-Ratelimit-Reset")
		h.Set(HeaderOriginalReset, v)
	}
	if v := h.Get("Retry-After"); v != "" {
		h.Del("Retry-After")
		h.Set(HeaderOriginalRetryAfter, v)
	}
	return resp
}

// judge classifies an answer.
func judge(resp *http.Response, body []byte, kind requestKind) outcome {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return outcomeLimited
	case http.StatusForbidden:
		if isRateLimitAnswer(resp.Header, body) {
			return outcomeLimited
		}
		return outcomeDone
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return outcomeTimeout
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		return outcomeTransient
	case http.StatusOK:
		if !kind.graphql {
			return outcomeDone
		}
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if json.Unmarshal(body, &r) != nil {
			return outcomeDone
		}
		for _, e := range r.Errors {
			if e.Type == "RATE_LIMITED" || e.Type == "RATE_LIMIT" {
				return outcomeLimited
			}
		}
		for _, e := range r.Errors {
			if isSomethingWentWrong(e.Message) {
				return outcomeTimeout
			}
		}
	}
	return outcomeDone
}

func isSomethingWentWrong(msg string) bool {
	return strings.HasPrefix(msg, "Something went wrong")
}

// isRateLimitAnswer tells a 403 for a rate limit from a 403 for a missing
// permission.
func isRateLimitAnswer(h http.Header, body []byte) bool {
	if h.Get("Retry-After") != "" || h.Get("X-Ratelimit-Remaining") == "0" {
		return true
	}
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
		Errors           []struct {
			Type string `json:"type"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(body, &e)
	for _, x := range e.Errors {
		if x.Type == "RATE_LIMITED" || x.Type == "RATE_LIMIT" {
			return true
		}
	}
	msg := strings.ToLower(e.Message)
	doc := strings.ToLower(e.DocumentationURL)
	return strings.Contains(msg, "rate limit") ||
		strings.Contains(msg, "temporarily blocked from content creation") ||
		strings.Contains(doc, "secondary-rate-limit") ||
		strings.Contains(doc, "abuse-rate-limit")
}

// limitWait is how long to wait after a rate-limited answer: retry-after
// if present; else until x-ratelimit-reset when x-ratelimit-remaining is
// 0 and the reset is ahead; else exponential backoff from
// RateLimitBackoff.
func (t *Transport) limitWait(h http.Header, attempt int) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if when, err := http.ParseTime(v); err == nil {
			if d := when.Sub(t.clk.Now()); d > 0 {
				return d
			}
			return 0
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, ok := parseReset(h.Get("X-Ratelimit-Reset")); ok {
			if d := reset.Sub(t.clk.Now()); d > 0 {
				return d
			}
			// The window has already rolled over on our clock.
			return backoff(TransientBackoff, MaxTransientBackoff, attempt)
		}
	}
	return backoff(RateLimitBackoff, MaxRateLimitBackoff, attempt)
}

func parseReset(v string) (time.Time, bool) {
	s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}, false
	}
	return time.Unix(s, 0), true
}

func backoff(start, limit time.Duration, attempt int) time.Duration {
	d := start
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// record remembers a resource's x-ratelimit-remaining and reset.
func (t *Transport) record(resource string, h http.Header) {
	rem := h.Get("X-Ratelimit-Remaining")
	if rem == "" {
		return
	}
	n, err := strconv.Atoi(rem)
	if err != nil {
		return
	}
	reset, _ := parseReset(h.Get("X-Ratelimit-Reset"))
	t.mu.Lock()
	t.limits[resource] = rateState{remaining: n, reset: reset}
	t.mu.Unlock()
}

// waitForResource waits until the resource's reset when its last answer
// said nothing remains.
func (t *Transport) waitForResource(ctx context.Context, resource string) error {
	t.mu.Lock()
	st, ok := t.limits[resource]
	var wait time.Duration
	if ok && st.remaining == 0 && !st.reset.IsZero() {
		// The state stays until the next answer: once the clock has
		// passed the reset, the wait is no longer positive.
		wait = st.reset.Sub(t.clk.Now())
	}
	t.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t.log.InfoContext(ctx, "rate limit exhausted; waiting for reset", "resource", resource, "wait", wait)
	return t.sleep(ctx, wait)
}

// paceWrite spaces content-creating requests writeGap apart.
func (t *Transport) paceWrite(ctx context.Context) error {
	t.mu.Lock()
	now := t.clk.Now()
	at := t.nextWrite
	if at.Before(now) {
		at = now
	}
	t.nextWrite = at.Add(t.writeGap)
	t.mu.Unlock()
	return t.sleep(ctx, at.Sub(now))
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if err := t.clk.Sleep(ctx, d); err != nil {
		return fmt.Errorf("waiting %s for GitHub: %w", d, err)
	}
	return nil
}
