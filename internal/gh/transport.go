package gh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
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
// double up to MaxRateLimitBackoff (10 min), each plus a jitter of up to
// half as much again (from Options.Jitter, so that a fake clock stays
// reproducible). Transient faults (5xx, connection resets, GraphQL
// "Something went wrong") start at TransientBackoff (1 s) and double up to
// MaxTransientBackoff (60 s).
const (
	DefaultMaxRetries  = 5
	DefaultConcurrency = 8

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
// 0, holds content-creating requests to the token's write budget, and
// retries rate-limited answers (REST 403/429, GraphQL 403/429 or 200 with
// an error of type RATE_LIMITED or RATE_LIMIT) and transient faults. Every
// wait goes through the injected clock.
//
// The write budget (Options.WriteLimits, GitHub's 80 a minute and 500 an
// hour by default) counts content-creating units: one per REST POST, PATCH,
// PUT or DELETE and one per top-level field of a GraphQL mutation, since
// GitHub counts each mutation of a document (createRef,
// createCommitOnBranch and createPullRequest are three). One Transport
// serves one token and every worker shares it, so the budget is the
// token's.
//
// A secondary-limit answer closes a gate that every request, of every
// worker, waits at: for retry-after, else until x-ratelimit-reset when
// x-ratelimit-remaining is 0, else for an exponential back-off with jitter.
// GitHub warns that "continuing to make requests while you are rate limited
// may result in the banning of your integration"
// (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
// A GraphQL mutation answered HTTP 200 with a field error
// {"type":"UNPROCESSABLE","message":"was submitted too quickly"} is the
// same limit met inside a document (cli/cli#4801,
// whatwg/spec-factory#55): it closes the gate too. When every field was
// refused nothing ran and the document is resent after the gate; when
// earlier fields ran, the answer is handed up for the caller to redo only
// the rest (see ErrContentLimited).
//
// With a Deadline, a request that would have to wait past it (for the
// budget, the gate or a reset) is not sent: RoundTrip returns an error
// wrapping ErrTimeBudget.
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
	tokenHosts []string // hosts the token is sent to; nil: any
	userAgent  string
	maxRetries int
	deadline   time.Time
	jitter     func(time.Duration) time.Duration
	sem        chan struct{}
	writeSem   chan struct{} // one content-creating request at a time

	mu        sync.Mutex
	limits    map[string]rateState // by resource: core, search, code_search, graphql
	budget    *writeBudget
	gateUntil time.Time // no request is sent before it
	strikes   int       // secondary limits in a row without retry-after
}

// tokenHosts returns the hosts of opts.APIURL and opts.GraphQLURL: the
// token goes to them only, never to the host a redirect leads to (a
// release asset or archive on another host). Go's http.Client drops an
// Authorization header it was given on a redirect to another domain, but
// the transport adds the header to every request it sends, redirects
// included.
func tokenHosts(opts Options) []string {
	var hosts []string
	for _, s := range []string{opts.APIURL, opts.GraphQLURL} {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			hosts = append(hosts, strings.ToLower(u.Host))
		}
	}
	return hosts
}

func (t *Transport) sendsTokenTo(u *url.URL) bool {
	if len(t.tokenHosts) == 0 {
		return true
	}
	return slices.Contains(t.tokenHosts, strings.ToLower(u.Host))
}

type rateState struct {
	remaining int // -1 when unknown
	reset     time.Time
}

// NewTransport returns the rate-limit transport for opts: it wraps
// opts.HTTPClient's transport (or http.DefaultTransport) and uses
// opts.Clock, Token, UserAgent, MaxRetries, WriteLimits, Deadline, Jitter
// and Concurrency. MaxRetries 0 means DefaultMaxRetries and a negative
// value means no retries.
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
	jitter := opts.Jitter
	if jitter == nil {
		jitter = randomJitter
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
		tokenHosts: tokenHosts(opts),
		userAgent:  opts.UserAgent,
		maxRetries: retries,
		deadline:   opts.Deadline,
		jitter:     jitter,
		sem:        make(chan struct{}, conc),
		writeSem:   make(chan struct{}, 1),
		limits:     make(map[string]rateState),
		budget:     newWriteBudget(opts.WriteLimits),
	}
}

// randomJitter returns a random duration in [0, d).
func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
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
	content  int  // content-creating units: 1 for a REST write, the top-level fields of a mutation
	safe     bool // may be resent after a transient fault
}

func classifyRequest(req *http.Request, body []byte) requestKind {
	path := req.URL.Path
	if req.Method == http.MethodPost && strings.HasSuffix(path, "/graphql") {
		k := requestKind{resource: "graphql", graphql: true, safe: true}
		if isMutation(body) {
			k.content, k.safe = mutationFields(body), false
		}
		return k
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
		k.content, k.safe = 1, true
	default:
		k.content = 1
	}
	return k
}

// mutationFields counts the top-level fields of a GraphQL mutation
// document: each is one content-creating request to GitHub. It reads just
// enough of the syntax (https://spec.graphql.org/October2021/#sec-Language)
// to find the first operation's selection set: strings, block strings and
// comments are skipped, braces inside arguments are values, an alias
// ("pr: createPullRequest") is one field and a directive's name is none.
// A document with a fragment spread, or one it cannot read, counts as at
// least one. (The GraphQL parser the simulator uses would add 160 KB to the
// release binary for this.)
func mutationFields(body []byte) int {
	var r struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(body, &r) != nil {
		return 1
	}
	q := r.Query
	depth, parens, fields := 0, 0, 0
	prev := byte(0) // the last punctuator or 'n' for a name, at depth 1
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '#':
			for i < len(q) && q[i] != '\n' && q[i] != '\r' {
				i++
			}
		case strings.HasPrefix(q[i:], `"""`):
			end := strings.Index(q[i+3:], `"""`)
			for end >= 0 && strings.HasSuffix(q[i+3:i+3+end], `\`) { // \""" is escaped
				next := strings.Index(q[i+3+end+1:], `"""`)
				if next < 0 {
					end = -1
					break
				}
				end += 1 + next
			}
			if end < 0 {
				return max(fields, 1)
			}
			i += 3 + end + 2
		case c == '"':
			for i++; i < len(q) && q[i] != '"'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
		case c == '(':
			parens++
		case c == ')':
			parens--
			if depth == 1 && parens == 0 {
				prev = ')'
			}
		case parens > 0:
		case c == '{':
			depth++
			if depth == 1 {
				prev = '{'
			}
		case c == '}':
			depth--
			if depth == 0 {
				return max(fields, 1)
			}
			if depth == 1 {
				prev = '}'
			}
		case depth != 1:
		case c == ':' || c == '@':
			prev = c
		case c == '.':
			return max(fields, 1) // a fragment spread: not used by this client
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			for i+1 < len(q) && (q[i+1] == '_' || 'a' <= q[i+1] && q[i+1] <= 'z' || 'A' <= q[i+1] && q[i+1] <= 'Z' || '0' <= q[i+1] && q[i+1] <= '9') {
				i++
			}
			// A name after an alias's colon or a directive's @ starts no
			// field; any other starts one.
			if prev != ':' && prev != '@' {
				fields++
			}
			prev = 'n'
		}
	}
	return max(fields, 1)
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
	// outcomePartlyRefused: a mutation document whose earlier fields ran
	// and whose later ones GitHub refused as "submitted too quickly".
	outcomePartlyRefused
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
	if kind.content > 0 {
		// Content-creating requests go one at a time, waits included:
		// GitHub asks to "make requests serially instead of concurrently"
		// and to "pause at least 1 second between mutative requests"
		// (best practices for the REST API; GraphQL rate limits). It also
		// keeps the time a unit was booked for the time it reaches GitHub.
		select {
		case t.writeSem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-t.writeSem }()
	}

	for attempt := 0; ; attempt++ {
		if err := t.waitForResource(ctx, kind.resource); err != nil {
			return nil, err
		}
		if err := t.admit(ctx, kind.content); err != nil {
			return nil, err
		}
		resp, respBody, err := t.send(ctx, req, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !kind.safe || attempt >= t.maxRetries || (ctx.Value(failFastKey{}) != nil && isDialError(err)) {
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
		verdict := judge(resp, respBody, kind)
		switch verdict {
		case outcomeDone:
			if kind.content > 0 {
				t.clearStrikes() // content creation works again
			}
			return hideLimits(resp, respBody), nil
		case outcomePartlyRefused:
			wait = t.closeGate(resp.Header)
			t.log.InfoContext(ctx, "content creation refused after earlier steps ran; pausing every request", "path", req.URL.Path, "wait", wait)
			return hideLimits(resp, respBody), nil
		case outcomeLimited:
			if attempt >= t.maxRetries {
				if !isPrimary(resp.Header) {
					t.closeGate(resp.Header)
				}
				return hideLimits(resp, respBody), nil
			}
			if isPrimary(resp.Header) {
				wait = t.limitWait(resp.Header, attempt)
				t.log.InfoContext(ctx, "rate limited; waiting", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "wait", wait)
				break
			}
			wait = t.closeGate(resp.Header)
			t.log.InfoContext(ctx, "secondary rate limit; pausing every request", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "wait", wait)
			continue // admit waits at the gate
		case outcomeTimeout, outcomeTransient:
			if !kind.safe || attempt >= t.maxRetries {
				return hideLimits(resp, respBody), nil
			}
			if noTimeoutRetry && verdict == outcomeTimeout {
				return hideLimits(resp, respBody), nil
			}
			wait = backoff(TransientBackoff, MaxTransientBackoff, attempt)
			t.log.DebugContext(ctx, "retrying after transient fault", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "wait", wait)
		}
		if err := t.sleepWithin(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// isPrimary reports whether a rate-limited answer is a primary limit (the
// resource's x-ratelimit-remaining is 0 and there is no retry-after), which
// holds back only that resource; any other is a secondary limit, which
// holds back every request.
func isPrimary(h http.Header) bool {
	return h.Get("Retry-After") == "" && h.Get("X-Ratelimit-Remaining") == "0"
}

// admit waits until a request may be sent: until the secondary-limit gate
// is open and, for a content-creating request, until the write budget has
// room for its units (which it books). A wait that would end past the
// deadline is an error wrapping ErrTimeBudget, and nothing is booked.
func (t *Transport) admit(ctx context.Context, units int) error {
	booked := units == 0
	for {
		t.mu.Lock()
		now := t.clk.Now()
		at := now
		if t.gateUntil.After(at) {
			at = t.gateUntil
		} else if !booked {
			var ok bool
			if at, ok = t.budget.reserve(now, units, t.deadline); !ok {
				t.mu.Unlock()
				return fmt.Errorf("the next write could go at %s, after the time budget ends at %s: %w",
					at.Format(time.TimeOnly), t.deadline.Format(time.TimeOnly), ErrTimeBudget)
			}
			booked = true
		}
		t.mu.Unlock()
		if !at.After(now) {
			return nil
		}
		// Sleep, then look again: the gate may have closed meanwhile.
		if err := t.sleepWithin(ctx, at.Sub(now)); err != nil {
			return err
		}
	}
}

// closeGate holds back every request for the time a secondary-limit
// answer indicates, and returns that wait. A refusal that arrives while
// the gate is already closed (another worker's request, sent before it
// closed) does not lengthen the back-off.
func (t *Transport) closeGate(h http.Header) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clk.Now()
	closed := t.gateUntil.After(now)
	var wait time.Duration
	switch d, ok := t.indicatedWait(h); {
	case ok:
		wait = d
	case closed:
		return t.gateUntil.Sub(now)
	default:
		d := backoff(RateLimitBackoff, MaxRateLimitBackoff, t.strikes)
		wait = d + t.jitter(d/2)
		t.strikes++
	}
	if until := now.Add(wait); until.After(t.gateUntil) {
		t.gateUntil = until
	}
	return t.gateUntil.Sub(now)
}

func (t *Transport) clearStrikes() {
	t.mu.Lock()
	t.strikes = 0
	t.mu.Unlock()
}

// indicatedWait is the wait an answer's headers indicate: retry-after, or
// until x-ratelimit-reset when x-ratelimit-remaining is 0 and the reset is
// ahead.
func (t *Transport) indicatedWait(h http.Header) (time.Duration, bool) {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if when, err := http.ParseTime(v); err == nil {
			return max(when.Sub(t.clk.Now()), 0), true
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, ok := parseReset(h.Get("X-Ratelimit-Reset")); ok {
			if d := reset.Sub(t.clk.Now()); d > 0 {
				return d, true
			}
		}
	}
	return 0, false
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
	if t.token != "" && r.Header.Get("Authorization") == "" && t.sendsTokenTo(r.URL) {
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
				Path    []any  `json:"path"`
			} `json:"errors"`
		}
		if json.Unmarshal(body, &r) != nil {
			return outcomeDone
		}
		refused := map[string]bool{}
		for _, e := range r.Errors {
			if e.Type == "RATE_LIMITED" || e.Type == "RATE_LIMIT" {
				return outcomeLimited
			}
			if isTooQuickly(e.Type, e.Message) && len(e.Path) > 0 {
				refused[fmt.Sprint(e.Path[0])] = true
			}
		}
		switch {
		case len(refused) == 0:
		case len(refused) >= kind.content:
			return outcomeLimited // nothing ran: send it again
		default:
			return outcomePartlyRefused
		}
		for _, e := range r.Errors {
			if isSomethingWentWrong(e.Message) {
				return outcomeTimeout
			}
		}
	}
	return outcomeDone
}

// isTooQuickly reports whether a GraphQL field error is GitHub's
// content-creation limit met inside a mutation document:
// {"type":"UNPROCESSABLE","message":"was submitted too quickly"}
// (cli/cli#4801, whatwg/spec-factory#55).
func isTooQuickly(typ, msg string) bool {
	return typ == "UNPROCESSABLE" && strings.Contains(msg, "submitted too quickly")
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

// limitWait is how long to wait after a primary rate limit: until
// x-ratelimit-reset while it is ahead, else a short back-off (the window
// has already rolled over on our clock).
func (t *Transport) limitWait(h http.Header, attempt int) time.Duration {
	if d, ok := t.indicatedWait(h); ok {
		return d
	}
	return backoff(TransientBackoff, MaxTransientBackoff, attempt)
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
	return t.sleepWithin(ctx, wait)
}

// sleepWithin sleeps for d unless that would end past the deadline, which
// is an error wrapping ErrTimeBudget.
func (t *Transport) sleepWithin(ctx context.Context, d time.Duration) error {
	if d > 0 && !t.deadline.IsZero() {
		if end := t.clk.Now().Add(d); end.After(t.deadline) {
			return fmt.Errorf("waiting %s for GitHub would end after the time budget: %w", d.Round(time.Second), ErrTimeBudget)
		}
	}
	return t.sleep(ctx, d)
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
