package limiter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/clock"
)

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// inner is a trivial GitHub: it counts calls, remembers the last body it
// read and answers {"ok":true}.
type inner struct {
	calls atomic.Int64
	mu    sync.Mutex
	body  string
}

func (h *inner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.body = string(b)
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

func (h *inner) lastBody() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.body
}

type harness struct {
	t     *testing.T
	m     *Middleware
	clk   *clock.Fake
	srv   *httptest.Server
	inner *inner
}

func setup(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewFake(epoch), inner: &inner{}}
	h.m = New(cfg, h.clk, Hooks{UserID: func(token string) (int64, bool) {
		if token == "alice" {
			return 1001, true
		}
		return 0, false
	}})
	h.srv = httptest.NewServer(h.m.Wrap(h.inner))
	t.Cleanup(h.srv.Close)
	return h
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (h *harness) do(method, path, token, body string) answer {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func gql(query string) string {
	b, _ := json.Marshal(map[string]any{"query": query})
	return string(b)
}

// rate is the rate-limit headers of an answer.
type rate struct {
	Limit, Remaining, Used int
	Reset                  int64
	Resource               string
}

func rateOf(t *testing.T, a answer) rate {
	t.Helper()
	atoi := func(k string) int64 {
		v := a.header.Get(k)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("header %s is %q: %v", k, v, err)
		}
		return n
	}
	return rate{
		Limit:     int(atoi("X-RateLimit-Limit")),
		Remaining: int(atoi("X-RateLimit-Remaining")),
		Used:      int(atoi("X-RateLimit-Used")),
		Reset:     atoi("X-RateLimit-Reset"),
		Resource:  a.header.Get("X-RateLimit-Resource"),
	}
}

func TestHeadersWithLimitsOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path, body string
		limit              int
		window             time.Duration
		resource           string
	}{
		{"GET", "/repos/o/r", "", 5000, time.Hour, "core"},
		{"POST", "/api/v3/repos/o/r/pulls", "{}", 5000, time.Hour, "core"},
		{"GET", "/search/issues?q=x", "", 30, time.Minute, "search"},
		{"GET", "/api/v3/search/code?q=x", "", 10, time.Minute, "code_search"},
		{"POST", "/graphql", gql("{viewer{login}}"), 5000, time.Hour, "graphql"},
		{"POST", "/api/graphql", gql("mutation{a:addStar(input:{}){clientMutationId}}"), 5000, time.Hour, "graphql"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{})
			for i := 1; i <= 3; i++ {
				a := h.do(tt.method, tt.path, "alice", tt.body)
				if a.status != 200 {
					t.Fatalf("request %d: status %d, body %s", i, a.status, a.body)
				}
				want := rate{tt.limit, tt.limit - i, i, epoch.Add(tt.window).Unix(), tt.resource}
				if diff := cmp.Diff(want, rateOf(t, a)); diff != "" {
					t.Errorf("request %d: rate headers (-want +got):\n%s", i, diff)
				}
				if id := a.header.Get("X-GitHub-Request-Id"); strings.Count(id, ":") != 4 {
					t.Errorf("request %d: x-github-request-id %q does not look like GitHub's", i, id)
				}
				h.clk.Advance(time.Second)
			}
		})
	}
}

func TestHeadersOnHandlerErrors(t *testing.T) {
	t.Parallel()
	m := New(Config{Limits: Limits{Core: 3}}, clock.NewFake(epoch), Hooks{})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/repos/o/missing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if diff := cmp.Diff(rate{3, 2, 1, epoch.Add(time.Hour).Unix(), "core"}, rateOf(t, a)); a.status != 404 || diff != "" {
		t.Errorf("status %d, rate headers (-want +got):\n%s", a.status, diff)
	}
}

func TestLimitOffNeverReportsZeroRemaining(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{Core: 100}})
	for i := 1; i <= 12; i++ {
		a := h.do("GET", "/search/code?q=a", "alice", "")
		want := rate{10, max(10-i, 1), i, epoch.Add(time.Minute).Unix(), "code_search"}
		if diff := cmp.Diff(want, rateOf(t, a)); a.status != 200 || diff != "" {
			t.Errorf("search %d: status %d, rate headers (-want +got):\n%s", i, a.status, diff)
		}
	}
}

func TestRequestIDsDifferAndInnerWins(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	m := New(Config{}, clk, Hooks{})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own" {
			w.Header().Set("X-GitHub-Request-Id", "INNER:1")
		}
	})))
	defer srv.Close()
	seen := map[string]bool{}
	for range 5 {
		resp, err := http.Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-GitHub-Request-Id")
		if seen[id] {
			t.Errorf("request id %q repeated", id)
		}
		seen[id] = true
	}
	resp, err := http.Get(srv.URL + "/own")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-GitHub-Request-Id"); got != "INNER:1" {
		t.Errorf("x-github-request-id = %q, want the inner handler's INNER:1", got)
	}
}

func TestPrimaryExhaustion(t *testing.T) {
	t.Parallel()
	const restMsg = `{"message":"API rate limit exceeded for user ID 1001.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"}`
	tests := []struct {
		name       string
		limits     Limits
		method     string
		path, body string
		wantStatus int
		wantBody   string
		resource   string
	}{
		{"core 403", Limits{Core: 2}, "GET", "/repos/o/r", "", 403, restMsg, "core"},
		{"core 429", Limits{Core: 2, PrimaryStatus: 429}, "PUT", "/api/v3/repos/o/r/contents/a", "{}", 429, restMsg, "core"},
		{"search", Limits{Search: 2}, "GET", "/search/issues?q=a", "", 403, restMsg, "search"},
		{"code search", Limits{CodeSearch: 2}, "GET", "/search/code?q=a", "", 403, restMsg, "code_search"},
		{"graphql RATE_LIMITED", Limits{GraphQL: 2}, "POST", "/graphql", gql("{viewer{login}}"), 200,
			`{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1001."}]}`, "graphql"},
		{"graphql RATE_LIMIT", Limits{GraphQL: 2, GraphQLPrimary: GraphQLRateLimit}, "POST", "/api/graphql", gql("{viewer{login}}"), 200,
			`{"errors":[{"type":"RATE_LIMIT","code":"graphql_rate_limit","message":"API rate limit already exceeded for user ID 1001."}]}`, "graphql"},
		{"graphql 403", Limits{GraphQL: 2, GraphQLPrimary: GraphQLPrimary403}, "POST", "/graphql", gql("{viewer{login}}"), 403, restMsg, "graphql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{Limits: tt.limits})
			for i := range 2 {
				if a := h.do(tt.method, tt.path, "alice", tt.body); a.status != 200 || a.body != `{"ok":true}` {
					t.Fatalf("request %d: got %d %s, want 200 from the handler", i+1, a.status, a.body)
				}
			}
			a := h.do(tt.method, tt.path, "alice", tt.body)
			if a.status != tt.wantStatus || a.body != tt.wantBody {
				t.Errorf("3rd request: got %d %s\nwant %d %s", a.status, a.body, tt.wantStatus, tt.wantBody)
			}
			want := rate{2, 0, 2, epoch.Add(windowLength[resourceIndex(tt.resource)]).Unix(), tt.resource}
			if diff := cmp.Diff(want, rateOf(t, a)); diff != "" {
				t.Errorf("rate headers of the refusal (-want +got):\n%s", diff)
			}
			if n := h.inner.calls.Load(); n != 2 {
				t.Errorf("inner handler called %d times, want 2", n)
			}
			// Another user still has its own budget.
			if a := h.do(tt.method, tt.path, "bob", tt.body); a.status != 200 {
				t.Errorf("bob: status %d, want 200", a.status)
			}
			s := h.m.Stats()
			if s.PrimaryRateLimited != 1 || s.Requests != 4 || s.Served != 3 {
				t.Errorf("stats: primary %d requests %d served %d, want 1, 4, 3", s.PrimaryRateLimited, s.Requests, s.Served)
			}
		})
	}
}

func resourceIndex(name string) int {
	for i, r := range resourceNames {
		if string(r) == name {
			return i
		}
	}
	panic("unknown resource " + name)
}

func TestPrimaryUnauthenticatedMessage(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{Core: 1}})
	h.do("GET", "/x", "", "")
	a := h.do("GET", "/x", "", "")
	if a.status != 403 || !strings.Contains(a.body, "API rate limit exceeded for 127.0.0.1. (But here's the good news") {
		t.Errorf("got %d %s, want 403 naming the IP address", a.status, a.body)
	}
}

func TestPrimaryWindowResets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path   string
		limits Limits
		window time.Duration
	}{
		{"/repos/o/r", Limits{Core: 1}, time.Hour},
		{"/search/code?q=x", Limits{CodeSearch: 1}, time.Minute},
		{"/search/commits?q=x", Limits{Search: 1}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{Limits: tt.limits})
			h.do("GET", tt.path, "alice", "")
			h.clk.Advance(tt.window - time.Second)
			if a := h.do("GET", tt.path, "alice", ""); a.status != 403 {
				t.Fatalf("just before the reset: status %d, want 403", a.status)
			}
			h.clk.Advance(time.Second)
			a := h.do("GET", tt.path, "alice", "")
			if a.status != 200 {
				t.Fatalf("at the reset: status %d, want 200", a.status)
			}
			want := rate{1, 0, 1, epoch.Add(2 * tt.window).Unix(), rateOf(t, a).Resource}
			if diff := cmp.Diff(want, rateOf(t, a)); diff != "" {
				t.Errorf("rate headers of the new window (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateLimitEndpointIsFree(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{Core: 1}})
	for range 3 {
		if a := h.do("GET", "/rate_limit", "alice", ""); a.status != 200 {
			t.Fatalf("GET /rate_limit: status %d, want 200", a.status)
		}
	}
	h.do("GET", "/repos/o/r", "alice", "")
	h.do("GET", "/search/code?q=a", "alice", "")
	a := h.do("GET", "/api/v3/rate_limit", "alice", "")
	if a.status != 200 {
		t.Fatalf("GET /rate_limit when core is used up: status %d, want 200", a.status)
	}
	var got struct {
		Resources map[string]struct{ Limit, Used, Remaining int } `json:"resources"`
		Rate      struct{ Limit, Used, Remaining int }            `json:"rate"`
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("decoding %s: %v", a.body, err)
	}
	if r := got.Resources["core"]; r.Limit != 1 || r.Used != 1 || r.Remaining != 0 {
		t.Errorf("core = %+v, want limit 1, used 1, remaining 0", r)
	}
	if r := got.Resources["code_search"]; r.Limit != 10 || r.Used != 1 || r.Remaining != 9 {
		t.Errorf("code_search = %+v, want limit 10, used 1, remaining 9", r)
	}
	if got.Rate != got.Resources["core"] {
		t.Errorf("rate = %+v, want core %+v", got.Rate, got.Resources["core"])
	}
	if n := h.inner.calls.Load(); n != 2 {
		t.Errorf("inner handler called %d times, want 2 (rate_limit is answered by the middleware)", n)
	}
}

const secondaryPrefix = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID `

func checkSecondary(t *testing.T, a answer, status int, retryAfter string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status %d, want %d; body %s", a.status, status, a.body)
	}
	if got := a.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("retry-after %q, want %q", got, retryAfter)
	}
	want := secondaryPrefix + a.header.Get("X-GitHub-Request-Id") +
		`.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	if a.body != want {
		t.Errorf("body\n%s\nwant\n%s", a.body, want)
	}
}

func TestSecondaryConcurrency(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	m := New(Config{Limits: Limits{Concurrent: 2}}, clk, Hooks{})
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			entered <- struct{}{}
			<-release
		}
	})))
	defer srv.Close()
	get := func(path, token string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return srv.Client().Do(req)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			resp, err := get("/block", "alice")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
		<-entered
	}
	resp, err := get("/other", "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkSecondary(t, answer{resp.StatusCode, resp.Header, string(b)}, 403, "1")
	// Another token is not affected.
	resp, err = get("/other", "bob")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("bob while alice is at the limit: status %d, want 200", resp.StatusCode)
	}
	close(release)
	wg.Wait()
	resp, err = get("/other", "alice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the blocked requests finished: status %d, want 200", resp.StatusCode)
	}
	if s := m.Stats(); s.SecondaryRateLimited != 1 {
		t.Errorf("secondary rate limited = %d, want 1", s.SecondaryRateLimited)
	}
}

func TestSecondaryPointsAndContent(t *testing.T) {
	t.Parallel()
	type step struct {
		advance    time.Duration // before the request
		method     string
		path, body string
		status     int    // 200 or the refusal
		retryAfter string // of a refusal
	}
	mutation2 := gql(`mutation { a: createRef(input:{}) { clientMutationId } b: createCommitOnBranch(input:{}) { clientMutationId } }`)
	query := gql(`query { viewer { login } }`)
	tests := []struct {
		name   string
		limits Limits
		steps  []step
	}{
		{"rest points: write 5, read 1", Limits{RESTPointsPerMinute: 11}, []step{
			{0, "POST", "/repos/o/r/git/refs", "{}", 200, ""},
			{10 * time.Second, "PATCH", "/repos/o/r/git/refs/heads/x", "{}", 200, ""},
			{0, "GET", "/repos/o/r", "", 200, ""},
			{5 * time.Second, "GET", "/repos/o/r", "", 403, "45"},
			{45 * time.Second, "GET", "/repos/o/r", "", 200, ""},
		}},
		{"graphql points: mutation 5, query 1, separate from REST", Limits{GraphQLPointsPerMinute: 6}, []step{
			{0, "POST", "/graphql", mutation2, 200, ""},
			{0, "POST", "/graphql", query, 200, ""},
			{0, "GET", "/repos/o/r", "", 200, ""},
			{30 * time.Second, "POST", "/graphql", query, 403, "30"},
			{30 * time.Second, "POST", "/graphql", query, 200, ""},
		}},
		{"content per minute counts mutation fields", Limits{ContentPerMinute: 3}, []step{
			{0, "POST", "/repos/o/r/pulls", "{}", 200, ""},
			{0, "GET", "/repos/o/r", "", 200, ""},
			{0, "POST", "/graphql", query, 200, ""},
			{0, "POST", "/graphql", mutation2, 200, ""},
			{1 * time.Second, "DELETE", "/repos/o/r/git/refs/heads/x", "", 403, "59"},
			{59 * time.Second, "DELETE", "/repos/o/r/git/refs/heads/x", "", 200, ""},
		}},
		{"content per hour", Limits{ContentPerHour: 2}, []step{
			{0, "POST", "/repos/o/r/pulls", "{}", 200, ""},
			{0, "PUT", "/repos/o/r/contents/a", "{}", 200, ""},
			{20 * time.Minute, "POST", "/repos/o/r/pulls", "{}", 403, "2400"},
			{40 * time.Minute, "POST", "/repos/o/r/pulls", "{}", 200, ""},
		}},
		{"429 and fixed retry-after", Limits{ContentPerMinute: 1, SecondaryStatus: 429, RetryAfter: Duration(90 * time.Second)}, []step{
			{0, "POST", "/repos/o/r/pulls", "{}", 200, ""},
			{0, "POST", "/repos/o/r/pulls", "{}", 429, "90"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{Limits: tt.limits})
			served := int64(0)
			for i, s := range tt.steps {
				h.clk.Advance(s.advance)
				a := h.do(s.method, s.path, "alice", s.body)
				if s.status == 200 {
					served++
					if a.status != 200 {
						t.Fatalf("step %d %s %s: status %d, want 200; body %s", i, s.method, s.path, a.status, a.body)
					}
					continue
				}
				checkSecondary(t, a, s.status, s.retryAfter)
			}
			if n := h.inner.calls.Load(); n != served {
				t.Errorf("inner handler called %d times, want %d", n, served)
			}
		})
	}
}

func TestGraphQLSecondaryShapes(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{GraphQLPointsPerMinute: 1, GraphQLSecondary: GraphQLSecondary200}})
	if a := h.do("POST", "/graphql", "alice", gql("{viewer{login}}")); a.status != 200 || a.body != `{"ok":true}` {
		t.Fatalf("first query: got %d %s, want the handler's answer", a.status, a.body)
	}
	a := h.do("POST", "/graphql", "alice", gql("{viewer{login}}"))
	var got struct {
		Errors []struct{ Type, Message string } `json:"errors"`
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("decoding %s: %v", a.body, err)
	}
	if a.status != 200 || len(got.Errors) != 1 || got.Errors[0].Type != "RATE_LIMITED" ||
		!strings.Contains(got.Errors[0].Message, "secondary rate limit") || a.header.Get("Retry-After") != "60" {
		t.Errorf("got %d retry-after %q %s, want 200 with a RATE_LIMITED secondary error and retry-after 60",
			a.status, a.header.Get("Retry-After"), a.body)
	}

	h = setup(t, Config{Limits: Limits{GraphQLPointsPerMinute: 1, SecondaryStatus: 429}})
	h.do("POST", "/graphql", "alice", gql("{viewer{login}}"))
	checkSecondary(t, h.do("POST", "/graphql", "alice", gql("{viewer{login}}")), 403, "60")
}

func TestGitHubDefaults(t *testing.T) {
	t.Parallel()
	got := Limits{GitHubDefaults: true, CodeSearch: 9}.effective()
	want := GitHubLimits()
	want.GitHubDefaults = true
	want.CodeSearch = 9
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective limits (-want +got):\n%s", diff)
	}
	h := setup(t, Config{Limits: Limits{GitHubDefaults: true}})
	for i := range 80 {
		if a := h.do("POST", "/repos/o/r/issues/1/labels", "alice", "{}"); a.status != 200 {
			t.Fatalf("content request %d: status %d", i+1, a.status)
		}
		h.clk.Advance(500 * time.Millisecond)
	}
	checkSecondary(t, h.do("POST", "/repos/o/r/issues/1/labels", "alice", "{}"), 403, "20")
}

func TestMiddlewareKeepsBody(t *testing.T) {
	t.Parallel()
	big := gql("query { " + strings.Repeat("viewer { login } ", 2000) + "}")
	for _, body := range []string{
		gql(`mutation { createRef(input: {name: "refs/heads/x"}) { ref { id } } }`),
		`not json at all`,
		big,
		`{"query":"mutation","variables":{"input":{"x":1}}}`,
		strings.Repeat("x", maxGraphQLBody+10),
	} {
		h := setup(t, Config{})
		if a := h.do("POST", "/graphql", "alice", body); a.status != 200 {
			t.Fatalf("status %d", a.status)
		}
		if got := h.inner.lastBody(); got != body {
			t.Errorf("inner handler read %d bytes %.60q…, want %d bytes %.60q…", len(got), got, len(body), body)
		}
		h.do("PUT", "/repos/o/r/contents/a", "alice", `{"content":"eA=="}`)
		if got := h.inner.lastBody(); got != `{"content":"eA=="}` {
			t.Errorf("REST body reached the handler as %q", got)
		}
	}
}

func TestStatsExact(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	m := New(Config{Limits: Limits{ContentPerHour: 3}}, clk, Hooks{
		EndpointKey: func(r *http.Request) string {
			if strings.Contains(r.URL.Path, "/git/ref/") {
				return r.Method + " /repos/{owner}/{repo}/git/ref/{ref}"
			}
			return ""
		},
	})
	h := &harness{t: t, m: m, clk: clk, inner: &inner{}}
	h.srv = httptest.NewServer(m.Wrap(h.inner))
	defer h.srv.Close()

	h.do("GET", "/repos/a/b/git/ref/heads/main", "alice", "")
	h.do("GET", "/api/v3/repos/c/d/git/ref/heads/dev", "alice", "")
	h.do("POST", "/repos/a/b/pulls", "bob", "{}")
	h.do("GET", "/search/code?q=FROM", "bob", "")
	h.do("POST", "/graphql", "alice", gql(`query Q { a: repository(owner:"a", name:"b") { id } b: repository(owner:"c", name:"d") { id } ...F }
		fragment F on Query { viewer { login } ... on Query { rateLimit { remaining } } }`))
	h.do("POST", "/graphql", "alice", gql(`mutation { r: createRef(input:{}) { clientMutationId } c: createCommitOnBranch(input:{}) { clientMutationId } }`))
	// Refused by contentPerHour (2 used, 2 more asked): still counted.
	h.do("POST", "/api/graphql", "alice", gql(`mutation { createPullRequest(input:{}) { clientMutationId } addLabelsToLabelable(input:{}) { clientMutationId } }`))
	body, _ := json.Marshal(map[string]string{
		"query":         `query A { viewer { login } } mutation B { addStar(input:{}) { clientMutationId } }`,
		"operationName": "B",
	})
	h.do("POST", "/graphql", "alice", string(body))

	want := Stats{
		Requests:             8,
		Reads:                4,
		Writes:               4,
		ContentCreating:      6,
		Served:               7,
		RateLimited:          1,
		SecondaryRateLimited: 1,
		FaultsByKind:         map[string]int64{},
		Endpoints: map[string]int64{
			"GET /repos/{owner}/{repo}/git/ref/{ref}": 2,
			"POST /repos/a/b/pulls":                   1,
			"GET /search/code":                        1,
			"POST /graphql":                           4,
		},
		Resources: map[string]int64{"core": 3, "code_search": 1, "graphql": 4},
		GraphQLFields: map[string]int64{
			"query.repository":              2,
			"query.viewer":                  1,
			"query.rateLimit":               1,
			"mutation.createRef":            1,
			"mutation.createCommitOnBranch": 1,
			"mutation.createPullRequest":    1,
			"mutation.addLabelsToLabelable": 1,
			"mutation.addStar":              1,
		},
		Tokens: map[string]int64{TokenLabel("alice"): 6, TokenLabel("bob"): 2},
	}
	got := m.Stats()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, back); diff != "" {
		t.Errorf("stats after a JSON round trip (-want +got):\n%s", diff)
	}
	m.ResetStats()
	if diff := cmp.Diff(Stats{FaultsByKind: map[string]int64{}, Endpoints: map[string]int64{}, Resources: map[string]int64{},
		GraphQLFields: map[string]int64{}, Tokens: map[string]int64{}}, m.Stats()); diff != "" {
		t.Errorf("stats after ResetStats (-want +got):\n%s", diff)
	}
}

func TestTopLevelFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query, op  string
		wantOp     string
		wantFields []string
	}{
		{`{ viewer { login } }`, "", "query", []string{"viewer"}},
		{`query { a: repository { id } b: repository { id } }`, "", "query", []string{"repository", "repository"}},
		{`mutation M($input: CreateRefInput!) { createRef(input: $input) { ref { id } } }`, "", "mutation", []string{"createRef"}},
		{`query A { viewer { login } } mutation B { x: addStar { c } y: removeStar { c } }`, "B", "mutation", []string{"addStar", "removeStar"}},
		{`query A { viewer { login } } mutation B { addStar { c } }`, "", "query", nil}, // ambiguous
		{`{ viewer { login } viewer { id } v: viewer { id } ... on Query { viewer { url } } }`, "", "query", []string{"viewer", "viewer"}},
		{`{ ...F ...F } fragment F on Query { viewer { id } }`, "", "query", []string{"viewer"}},
		{`mutation { ...F } fragment F on Mutation { createRef { c } ...G } fragment G on Mutation { ...F }`, "", "mutation", []string{"createRef"}},
		{`mutation {`, "", "query", nil},
		{`subscription { x }`, "", "subscription", []string{"x"}},
	}
	for _, tt := range tests {
		op, fields := topLevelFields(tt.query, tt.op)
		if string(op) != tt.wantOp || !cmp.Equal(tt.wantFields, fields) {
			t.Errorf("topLevelFields(%q, %q) = %s %v, want %s %v", tt.query, tt.op, op, fields, tt.wantOp, tt.wantFields)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, target, auth string
		want                 request
	}{
		{"GET", "/api/v3/repos/o/r", "token abc", request{caller: "abc", token: "abc", resource: resCore, path: "/repos/o/r", key: "GET /repos/o/r"}},
		{"HEAD", "/repos/o/r", "Bearer abc", request{caller: "abc", token: "abc", resource: resCore, path: "/repos/o/r", key: "HEAD /repos/o/r"}},
		{"DELETE", "/repos/o/r/git/refs/heads/x", "token t", request{caller: "t", token: "t", resource: resCore, path: "/repos/o/r/git/refs/heads/x", key: "DELETE /repos/o/r/git/refs/heads/x", write: true, content: 1}},
		{"GET", "/search/code?q=a", "basic xyz", request{caller: "ip:192.0.2.1", resource: resCodeSearch, path: "/search/code", key: "GET /search/code"}},
		{"POST", "/search/code", "token t", request{caller: "t", token: "t", resource: resSearch, path: "/search/code", key: "POST /search/code", write: true, content: 1}},
		{"GET", "/api/v3/search/repositories", "token t", request{caller: "t", token: "t", resource: resSearch, path: "/search/repositories", key: "GET /search/repositories"}},
		{"GET", "/rate_limit", "token t", request{caller: "t", token: "t", resource: resCore, path: "/rate_limit", key: "GET /rate_limit", rateCall: true}},
		{"POST", "/rate_limit", "token t", request{caller: "t", token: "t", resource: resCore, path: "/rate_limit", key: "POST /rate_limit", write: true, content: 1}},
		{"GET", "/api/v3", "token t", request{caller: "t", token: "t", resource: resCore, path: "/", key: "GET /"}},
		{"GET", "/api/v30/x", "token t", request{caller: "t", token: "t", resource: resCore, path: "/api/v30/x", key: "GET /api/v30/x"}},
		{"GET", "/graphql", "token t", request{caller: "t", token: "t", resource: resGraphQL, path: "/graphql", key: "GET /graphql", graphql: true}},
	}
	m := New(Config{}, clock.NewFake(epoch), Hooks{})
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		r.Header.Set("Authorization", tt.auth)
		got := m.classify(r)
		if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(request{})); diff != "" {
			t.Errorf("classify(%s %s) (-want +got):\n%s", tt.method, tt.target, diff)
		}
	}
}

func TestConcurrentUseIsSafe(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{Core: 1000}, Faults: []Fault{{Kind: FaultStatus, Status: 503, Rate: 0.5}}, Seed: 1})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				req, _ := http.NewRequest("POST", h.srv.URL+"/repos/o/r/pulls", bytes.NewReader([]byte(fmt.Sprint(g, i))))
				req.Header.Set("Authorization", "token alice")
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	s := h.m.Stats()
	if s.Requests != 200 || s.Writes != 200 || s.Served+s.Faults != 200 || s.Served != h.inner.calls.Load() {
		t.Errorf("stats %+v: want 200 requests, all writes, served + faults = 200, served = %d handler calls", s, h.inner.calls.Load())
	}
	if a := h.do("GET", "/x", "alice", ""); rateOf(t, a).Used != 201 {
		t.Errorf("core used = %d, want 201", rateOf(t, a).Used)
	}
}

// TestStatsNeverShowTokens checks that the stats, which tests and checks log,
// name callers without their tokens.
func TestStatsNeverShowTokens(t *testing.T) {
	t.Parallel()
	const secret = "ghp_secretsecretsecret"
	m := New(Config{}, clock.NewFake(time.Unix(1_800_000_000, 0)), Hooks{})
	h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/user", nil)
	req.Header.Set("Authorization", "token "+secret)
	h.ServeHTTP(httptest.NewRecorder(), req)
	b, err := json.Marshal(m.Stats())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) {
		t.Errorf("stats show the token: %s", b)
	}
	if got := m.Stats().Tokens[TokenLabel(secret)]; got != 1 {
		t.Errorf("Tokens[%q] = %d, want 1", TokenLabel(secret), got)
	}
}

// allowanceHandler runs like a GraphQL executor: it asks TakeContent for
// each of n fields and answers which ran.
type allowanceHandler struct{ n int }

func (h allowanceHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ran := make([]bool, h.n)
	for i := range ran {
		ran[i] = TakeContent(r.Context())
	}
	b, _ := json.Marshal(ran)
	w.Write(b)
}

// TestContentRefusalField: over the content budget, a mutation is passed
// on (HTTP 200) with an allowance for the fields that fit; the others are
// refused one by one by the executor, and are counted.
func TestContentRefusalField(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	m := New(Config{Limits: Limits{ContentPerMinute: 4, ContentRefusal: ContentRefusalField}}, clk, Hooks{})
	srv := httptest.NewServer(m.Wrap(allowanceHandler{n: 3}))
	t.Cleanup(srv.Close)
	three := gql(`mutation { a: createRef(input:{}) { clientMutationId } b: createCommitOnBranch(input:{}) { clientMutationId } c: createPullRequest(input:{}) { clientMutationId } }`)
	post := func() (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/graphql", strings.NewReader(three))
		req.Header.Set("Authorization", "token alice")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i, want := range []string{"[true,true,true]", "[true,false,false]", "[false,false,false]"} {
		if status, ran := post(); status != 200 || ran != want {
			t.Errorf("document %d: %d %s, want 200 %s", i+1, status, ran, want)
		}
	}
	st := m.Stats()
	if st.SecondaryRateLimited != 2 || st.RefusedFields != 5 || st.ContentCreating != 9 {
		t.Errorf("stats: %d secondary, %d refused fields, %d content; want 2, 5, 9", st.SecondaryRateLimited, st.RefusedFields, st.ContentCreating)
	}
	// A new minute: the budget is back.
	clk.Advance(time.Minute)
	if _, ran := post(); ran != "[true,true,true]" {
		t.Errorf("after a minute: %s, want every field to run", ran)
	}
	// REST writes are still refused whole.
	m.SetConfig(Config{Limits: Limits{ContentPerMinute: 1, ContentRefusal: ContentRefusalField}})
	m.ResetLimits()
	h := &harness{t: t, m: m, clk: clk, srv: srv}
	h.do("POST", "/repos/o/r/pulls", "alice", "{}")
	checkSecondary(t, h.do("POST", "/repos/o/r/pulls", "alice", "{}"), 403, "60")
}

// TestTimeScale: at 60, a minute's window, its reset and the retry-after
// last a second; an hour's a minute.
func TestTimeScale(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{ContentPerMinute: 1, ContentPerHour: 2, Core: 3, TimeScale: 60}})
	if a := h.do("POST", "/repos/o/r/pulls", "alice", "{}"); a.status != 200 {
		t.Fatalf("first write: %d", a.status)
	}
	checkSecondary(t, h.do("POST", "/repos/o/r/pulls", "alice", "{}"), 403, "1")
	h.clk.Advance(time.Second)
	if a := h.do("POST", "/repos/o/r/pulls", "alice", "{}"); a.status != 200 {
		t.Fatalf("write a scaled minute later: %d %s", a.status, a.body)
	}
	// The hour (a minute at this scale) holds two: the next waits for it.
	h.clk.Advance(time.Second)
	a := h.do("POST", "/repos/o/r/pulls", "alice", "{}")
	checkSecondary(t, a, 403, "58")
	// The primary window of an hour resets within a minute.
	if r := rateOf(t, a); r.Reset != epoch.Add(time.Minute).Unix() {
		t.Errorf("reset %d, want %d (a minute after the first request)", r.Reset, epoch.Add(time.Minute).Unix())
	}
	h.clk.Advance(58 * time.Second)
	if a := h.do("POST", "/repos/o/r/pulls", "alice", "{}"); a.status != 200 {
		t.Errorf("write after the scaled hour: %d %s", a.status, a.body)
	}
	if err := (Config{Limits: Limits{TimeScale: -1, ContentRefusal: "maybe"}}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "timeScale") || !strings.Contains(err.Error(), "contentRefusal") {
		t.Errorf("Validate of a negative timeScale and an unknown contentRefusal: %v", err)
	}
}
