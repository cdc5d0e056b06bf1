package limiter

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
)

// Hooks lets the server tell the middleware what only it knows.
type Hooks struct {
	// EndpointKey names the endpoint a request is for, e.g.
	// "GET /repos/{owner}/{repo}/git/ref/{ref}". It keys the per-endpoint
	// stats and can be matched by faults. Nil, or "", means the method and
	// the path (without /api/v3).
	EndpointKey func(r *http.Request) string
	// UserID returns the user ID of a token, for GitHub's "API rate limit
	// exceeded for user ID N." Nil, or !ok, means an ID derived from the
	// token.
	UserID func(token string) (id int64, ok bool)
}

// Middleware imposes GitHub's rate limits and injected faults on an
// http.Handler and counts the requests. It is safe for concurrent use.
type Middleware struct {
	clk   clock.Clock
	hooks Hooks

	mu      sync.Mutex
	cfg     Config
	lim     Limits // cfg.Limits.effective()
	faults  []faultState
	rng     *rand.Rand
	callers map[string]*caller
	seq     uint64
	stats   stats
}

// window is a fixed rate-limit window that starts with its first request.
type window struct {
	start time.Time
	used  int
}

// roll starts a new window when the current one has ended at now.
func (w *window) roll(now time.Time, length time.Duration) {
	if w.start.IsZero() || !now.Before(w.start.Add(length)) {
		w.start = now
		w.used = 0
	}
}

// caller is the rate-limit state of one token.
type caller struct {
	primary     [numResources]window
	restPoints  window
	gqlPoints   window
	contentMin  window
	contentHour window
	inflight    int
}

var (
	windowLength = [numResources]time.Duration{time.Hour, time.Minute, time.Minute, time.Hour}
	// defaultLimit is what the headers report for a primary limit that is off.
	defaultLimit = [numResources]int{5000, 30, 10, 5000}
)

// New returns a Middleware with cfg, waiting and telling time on clk. New
// does not validate cfg: call Config.Validate on configuration read from a
// user; an out-of-range status or style falls back to the default.
func New(cfg Config, clk clock.Clock, hooks Hooks) *Middleware {
	m := &Middleware{clk: clk, hooks: hooks, callers: map[string]*caller{}}
	m.stats.reset()
	m.SetConfig(cfg)
	return m
}

// SetConfig replaces the limits and faults. Usage already counted in the
// rate-limit windows is kept; fault counters and the random source restart.
func (m *Middleware) SetConfig(cfg Config) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = cfg
	m.cfg.Faults = append([]Fault(nil), cfg.Faults...)
	m.lim = cfg.Limits.effective()
	m.faults = make([]faultState, len(cfg.Faults))
	for i, f := range m.cfg.Faults {
		mt, err := parseMatch(f.Match)
		if err != nil {
			mt = matcher{method: "-"} // matches nothing; Validate reports it
		}
		m.faults[i] = faultState{Fault: f, matcher: mt}
	}
	m.rng = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
}

// Config returns the configuration last set.
func (m *Middleware) Config() Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cfg
	c.Faults = append([]Fault(nil), m.cfg.Faults...)
	return c
}

// ResetLimits forgets all rate-limit usage, as if every window had just
// reset. In-flight requests are still counted.
func (m *Middleware) ResetLimits() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.callers {
		m.callers[k] = &caller{inflight: c.inflight}
	}
}

// Wrap returns next behind the middleware.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, next)
	})
}

// verdict is what the middleware decided for one request.
type verdict int

const (
	pass verdict = iota
	primaryRefused
	secondaryRefused
)

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	q := m.classify(r)
	now := m.clk.Now()

	m.mu.Lock()
	m.seq++
	seq := m.seq
	m.stats.count(q)
	c := m.callers[q.caller]
	if c == nil {
		c = &caller{}
		m.callers[q.caller] = c
	}
	res := q.resource
	if q.rateCall {
		res = resCore
	}
	p := &c.primary[res]
	p.roll(now, m.scale(windowLength[res]))
	limit, on := m.primaryLimit(res)

	v := pass
	var retryAfter time.Duration
	switch {
	case on && !q.rateCall && p.used >= limit:
		v = primaryRefused
		m.stats.primaryLimited++
	default:
		if retryAfter = m.secondary(c, q, now); retryAfter > 0 {
			v = secondaryRefused
			m.stats.secondaryLimited++
		}
	}
	if v == pass && q.refused > 0 {
		m.stats.secondaryLimited++
		m.stats.refusedFields += int64(q.refused)
	}
	var latency time.Duration
	var fault *Fault
	var sso bool
	var lim *Limits
	if v == pass {
		if !q.rateCall {
			p.used++
		}
		c.inflight++
		latency, fault, sso = m.pickFaults(r, q)
	} else {
		l := m.lim
		lim = &l
	}
	used := p.used
	reset := m.resetUnix(p.start.Add(m.scale(windowLength[res])))
	var overview []byte
	if q.rateCall && v == pass && fault == nil {
		overview = m.overview(c, now)
	}
	m.mu.Unlock()

	id := requestID(seq, now)
	h := w.Header()
	if h.Get("X-Github-Request-Id") == "" {
		h.Set("X-Github-Request-Id", id)
	} else {
		id = h.Get("X-Github-Request-Id")
	}
	if sso {
		h.Set("X-GitHub-SSO", ssoPartialResults)
	}
	remaining := max(limit-used, 0)
	if !on {
		// An unenforced limit must not throttle clients that honour the
		// headers either: go-github refuses calls itself at remaining 0.
		remaining = max(remaining, 1)
	}
	if v == primaryRefused {
		remaining = 0
	}
	// Canonical keys set directly: one allocation for the five values.
	vals := [...]string{strconv.Itoa(limit), strconv.Itoa(remaining), strconv.Itoa(used),
		strconv.FormatInt(reset, 10), string(resourceNames[res])}
	hv := vals[:]
	h["X-Ratelimit-Limit"] = hv[0:1:1]
	h["X-Ratelimit-Remaining"] = hv[1:2:2]
	h["X-Ratelimit-Used"] = hv[2:3:3]
	h["X-Ratelimit-Reset"] = hv[3:4:4]
	h["X-Ratelimit-Resource"] = hv[4:5:5]

	switch v {
	case primaryRefused:
		m.refusePrimary(w, q, lim)
		return
	case secondaryRefused:
		m.refuseSecondary(w, q, lim, id, retryAfter)
		return
	}
	defer m.done(c)

	if latency > 0 {
		if err := m.clk.Sleep(r.Context(), latency); err != nil {
			return // the client went away
		}
	}
	if fault != nil {
		inject(w, fault, id)
		return
	}
	m.mu.Lock()
	m.stats.served++
	m.mu.Unlock()
	if overview != nil {
		writeJSON(w, http.StatusOK, overview)
		return
	}
	if q.refused > 0 {
		r = r.WithContext(withAllowance(r.Context(), q.content-q.refused))
	}
	next.ServeHTTP(w, r)
}

// scale shortens a window, reset or retry-after by Limits.TimeScale.
func (m *Middleware) scale(d time.Duration) time.Duration {
	if n := m.lim.TimeScale; n > 1 {
		return d / time.Duration(n)
	}
	return d
}

// resetUnix is the end of a window t in epoch seconds, as
// x-ratelimit-reset gives it. With a TimeScale it is rounded up, so that a
// window shorter than a second is not reported as already over.
func (m *Middleware) resetUnix(t time.Time) int64 {
	s := t.Unix()
	if m.lim.TimeScale > 1 && t.After(time.Unix(s, 0)) {
		s++
	}
	return s
}

// done ends a request that passed the limits.
func (m *Middleware) done(c *caller) {
	m.mu.Lock()
	c.inflight--
	m.mu.Unlock()
}

// primaryLimit returns the limit for resource res and whether it is enforced.
func (m *Middleware) primaryLimit(res int) (int, bool) {
	var l int
	switch res {
	case resCore:
		l = m.lim.Core
	case resSearch:
		l = m.lim.Search
	case resCodeSearch:
		l = m.lim.CodeSearch
	case resGraphQL:
		l = m.lim.GraphQL
	}
	if l > 0 {
		return l, true
	}
	return defaultLimit[res], false
}

// secondary checks and, when they pass, charges the secondary limits of q.
// It returns the retry-after of a refusal, or 0. With ContentRefusal
// "field" a GraphQL mutation over the content limits passes with
// q.refused set to the number of its fields past the budget, which the
// GraphQL executor refuses one by one (see TakeContent).
func (m *Middleware) secondary(c *caller, q *request, now time.Time) time.Duration {
	l := &m.lim
	minute, hour := m.scale(time.Minute), m.scale(time.Hour)
	points, pointLimit, pw := 1, l.RESTPointsPerMinute, &c.restPoints
	if q.graphql {
		pointLimit, pw = l.GraphQLPointsPerMinute, &c.gqlPoints
	}
	if q.write {
		points = 5
	}
	pw.roll(now, minute)
	c.contentMin.roll(now, minute)
	c.contentHour.roll(now, hour)

	// room is how many content-creating requests the windows still allow.
	room := q.content
	if l.ContentPerMinute > 0 {
		room = min(room, max(l.ContentPerMinute-c.contentMin.used, 0))
	}
	if l.ContentPerHour > 0 {
		room = min(room, max(l.ContentPerHour-c.contentHour.used, 0))
	}
	// GitHub refuses content creation inside an HTTP 200 answer, per
	// field: {"type":"UNPROCESSABLE","path":["createIssue"],"message":"was
	// submitted too quickly"} (cli/cli#4801; "GraphQL: was submitted too
	// quickly (createPullRequest)" in whatwg/spec-factory#55, right after a
	// push in derberg/manage-files-in-multiple-repositories#4). Mutation
	// fields run serially and a field error does not stop its siblings
	// (GraphQL spec, "Mutation"), so the fields before the refused one have
	// run. That every field past the budget is refused, and that the
	// refused fields use up no budget, is a guess: GitHub documents
	// neither.
	fieldMode := l.ContentRefusal == ContentRefusalField && q.graphql && q.mutation

	var wait time.Duration
	switch {
	case l.Concurrent > 0 && c.inflight >= l.Concurrent:
		wait = m.scale(time.Second)
	case pointLimit > 0 && pw.used+points > pointLimit:
		wait = pw.start.Add(minute).Sub(now)
	case room < q.content && fieldMode:
		pw.used += points
		c.contentMin.used += room
		c.contentHour.used += room
		q.refused = q.content - room
		return 0
	case q.content > 0 && l.ContentPerMinute > 0 && c.contentMin.used+q.content > l.ContentPerMinute:
		wait = c.contentMin.start.Add(minute).Sub(now)
	case q.content > 0 && l.ContentPerHour > 0 && c.contentHour.used+q.content > l.ContentPerHour:
		wait = c.contentHour.start.Add(hour).Sub(now)
	default:
		pw.used += points
		c.contentMin.used += q.content
		c.contentHour.used += q.content
		return 0
	}
	if l.RetryAfter > 0 {
		return max(m.scale(time.Duration(l.RetryAfter)), time.Nanosecond)
	}
	return max(wait, m.scale(time.Second))
}

// allowanceKey keys the content allowance of a request in its context.
type allowanceKey struct{}

// allowance is how many more mutation fields of one request may create
// content.
type allowance struct {
	mu   sync.Mutex
	left int
}

func withAllowance(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, allowanceKey{}, &allowance{left: n})
}

// TakeContent is called by a GraphQL executor before it runs each
// top-level field of a mutation. It reports whether the field may run; when
// it may not, the executor answers the field with GitHub's refusal:
// {"type":"UNPROCESSABLE","message":"was submitted too quickly"} (see
// Limits.ContentRefusal). Outside a request the middleware over-budget in
// "field" mode, every field may run.
func TakeContent(ctx context.Context) bool {
	a, ok := ctx.Value(allowanceKey{}).(*allowance)
	if !ok {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.left <= 0 {
		return false
	}
	a.left--
	return true
}

// overview renders GET /rate_limit for c.
func (m *Middleware) overview(c *caller, now time.Time) []byte {
	type rate struct {
		Limit     int    `json:"limit"`
		Used      int    `json:"used"`
		Remaining int    `json:"remaining"`
		Reset     int64  `json:"reset"`
		Resource  string `json:"resource"`
	}
	res := map[string]rate{}
	for i := range numResources {
		w := c.primary[i]
		w.roll(now, m.scale(windowLength[i]))
		limit, _ := m.primaryLimit(i)
		res[string(resourceNames[i])] = rate{
			Limit: limit, Used: w.used, Remaining: max(limit-w.used, 0),
			Reset: m.resetUnix(w.start.Add(m.scale(windowLength[i]))), Resource: string(resourceNames[i]),
		}
	}
	b, _ := json.Marshal(struct {
		Resources map[string]rate `json:"resources"`
		Rate      rate            `json:"rate"`
	}{res, res[string(Core)]})
	return b
}

// requestID makes a GitHub-looking x-github-request-id, unique per seq.
func requestID(seq uint64, now time.Time) string {
	return fmt.Sprintf("%04X:%04X:%07X:%07X:%08X", 0x0680|(seq>>44&0xF), seq>>28&0xFFFF, seq&0xFFFFFFF, seq*2654435761&0xFFFFFFF, uint32(now.Unix()))
}

// userID returns the user ID reported for token.
func (m *Middleware) userID(token string) int64 {
	if m.hooks.UserID != nil {
		if id, ok := m.hooks.UserID(token); ok {
			return id
		}
	}
	h := fnv.New32a()
	h.Write([]byte(token))
	return int64(h.Sum32()&0x7FFFFFF) + 1
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
