package limiter

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// faulted sends n requests and returns the 1-based indices of those that
// did not reach the handler.
func faulted(t *testing.T, h *harness, n int, method, path string) []int {
	t.Helper()
	var got []int
	for i := 1; i <= n; i++ {
		before := h.inner.calls.Load()
		h.do(method, path, "alice", "")
		if h.inner.calls.Load() == before {
			got = append(got, i)
		}
	}
	return got
}

func TestFaultRateIsReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []int {
		h := setup(t, Config{Seed: seed, Faults: []Fault{{Kind: FaultStatus, Status: 502, Rate: 0.25}}})
		return faulted(t, h, 200, "GET", "/repos/o/r")
	}
	a, b, c := run(7), run(7), run(8)
	if !cmp.Equal(a, b) {
		t.Errorf("seed 7 faulted different requests in two runs:\n%v\n%v", a, b)
	}
	if cmp.Equal(a, c) {
		t.Errorf("seeds 7 and 8 faulted the same requests %v", a)
	}
	// 50 expected; the bounds are wide enough never to flake with a fixed
	// seed, and narrow enough to catch a rate that is ignored.
	if len(a) < 25 || len(a) > 75 {
		t.Errorf("rate 0.25 faulted %d of 200 requests, want about 50", len(a))
	}
}

func TestFaultOnChosenCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault Fault
		want  []int
	}{
		{"every matching", Fault{Kind: FaultStatus, Status: 500, Match: "GET /repos/*/*"}, []int{1, 2, 3, 4, 5, 6}},
		{"from..to", Fault{Kind: FaultStatus, Status: 500, Match: "GET /repos/*/*", From: 2, To: 4}, []int{2, 3, 4}},
		{"from alone", Fault{Kind: FaultStatus, Status: 500, Match: "* /repos/o/r", From: 5}, []int{5}},
		{"once", Fault{Kind: FaultStatus, Status: 503, Once: true}, []int{1}},
		{"once from", Fault{Kind: FaultStatus, Status: 503, From: 3, To: 6, Once: true}, []int{3}},
		{"prefix glob", Fault{Kind: FaultStatus, Status: 503, Match: "GET /repos/**", From: 6}, []int{6}},
		{"other method", Fault{Kind: FaultStatus, Status: 500, Match: "POST /repos/*/*"}, nil},
		{"other path", Fault{Kind: FaultStatus, Status: 500, Match: "GET /repos/*"}, nil},
		{"endpoint key", Fault{Kind: FaultStatus, Status: 500, Match: "GET /repos/{owner}/{repo}", From: 1, To: 2}, []int{1, 2}},
		{"api/v3 pattern", Fault{Kind: FaultStatus, Status: 500, Match: "GET /api/v3/repos/o/r", From: 2}, []int{2}},
		{"predicate", Fault{Kind: FaultReset, When: func(r *http.Request, n int) bool { return n%3 == 0 }}, []int{3, 6}},
		{"graphqlError only hits GraphQL", Fault{Kind: FaultGraphQLError}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{Faults: []Fault{tt.fault}})
			h.m.hooks.EndpointKey = func(r *http.Request) string { return r.Method + " /repos/{owner}/{repo}" }
			var got []int
			for i := 1; i <= 6; i++ {
				before := h.inner.calls.Load()
				req, _ := http.NewRequest("GET", h.srv.URL+"/api/v3/repos/o/r", nil)
				req.Close = true // else the transport retries a reset GET on a reused connection
				resp, err := h.srv.Client().Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if h.inner.calls.Load() == before {
					got = append(got, i)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("faulted requests (-want +got):\n%s", diff)
			}
			if s := h.m.Stats(); s.Faults != int64(len(tt.want)) || s.Served != int64(6-len(tt.want)) {
				t.Errorf("stats: faults %d served %d, want %d and %d", s.Faults, s.Served, len(tt.want), 6-len(tt.want))
			}
		})
	}
}

func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault      Fault
		method     string
		path, body string
		wantStatus int
		wantBody   string
	}{
		{Fault{Kind: FaultStatus, Status: 500}, "GET", "/repos/o/r", "", 500, `{"message":"Server Error"}`},
		{Fault{Kind: FaultStatus, Status: 502}, "POST", "/repos/o/r/pulls", "{}", 502, `{"message":"Server Error"}`},
		{Fault{Kind: FaultStatus, Status: 503}, "GET", "/search/code?q=a", "", 503, `{"message":"Service Unavailable"}`},
		{Fault{Kind: FaultStatus, Status: 504}, "POST", "/graphql", gql("{viewer{login}}"), 504,
			`{"message":"We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists."}`},
		{Fault{Kind: FaultGraphQLError}, "POST", "/api/graphql", gql("{viewer{login}}"), 200,
			`{"data":null,"errors":[{"message":"Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include ` + "`ID`" + ` when reporting this issue."}]}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault.Kind)+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{Limits: Limits{Core: 10}, Faults: []Fault{tt.fault}})
			a := h.do(tt.method, tt.path, "alice", tt.body)
			want := strings.ReplaceAll(tt.wantBody, "`ID`", "`"+a.header.Get("X-GitHub-Request-Id")+"`")
			if a.status != tt.wantStatus || a.body != want {
				t.Errorf("got %d %s\nwant %d %s", a.status, a.body, tt.wantStatus, want)
			}
			if a.header.Get("X-RateLimit-Remaining") == "" || a.header.Get("X-RateLimit-Resource") == "" {
				t.Errorf("a faulted answer lacks rate-limit headers: %v", a.header)
			}
			if n := h.inner.calls.Load(); n != 0 {
				t.Errorf("inner handler called %d times, want 0", n)
			}
			if s := h.m.Stats(); s.FaultsByKind[string(tt.fault.Kind)] != 1 {
				t.Errorf("faults by kind = %v, want 1 %s", s.FaultsByKind, tt.fault.Kind)
			}
		})
	}
}

func TestFaultResetIsAClientError(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Faults: []Fault{{Kind: FaultReset, Match: "POST /graphql", Once: true}}})
	req, _ := http.NewRequest("POST", h.srv.URL+"/graphql", strings.NewReader(gql("{viewer{login}}")))
	resp, err := h.srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a connection error", resp.StatusCode)
	}
	if a := h.do("POST", "/graphql", "alice", gql("{viewer{login}}")); a.status != 200 {
		t.Errorf("after a once reset: status %d, want 200", a.status)
	}
	if s := h.m.Stats(); s.FaultsByKind["reset"] != 1 || s.Served != 1 {
		t.Errorf("stats: faults %v served %d, want one reset and one served", s.FaultsByKind, s.Served)
	}
}

func TestFaultLatencySleepsOnTheClock(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Faults: []Fault{
		{Kind: FaultLatency, Latency: Duration(250 * time.Millisecond), Match: "GET /repos/**"},
		{Kind: FaultLatency, Latency: Duration(2 * time.Second), From: 2},
		{Kind: FaultStatus, Status: 502, From: 3},
	}})
	for range 3 {
		h.do("GET", "/repos/o/r/pulls", "alice", "")
	}
	h.do("POST", "/repos/o/r/pulls", "alice", "{}")
	want := []time.Duration{250 * time.Millisecond, 2250 * time.Millisecond, 250 * time.Millisecond}
	if diff := cmp.Diff(want, h.clk.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if n := h.inner.calls.Load(); n != 3 {
		t.Errorf("inner handler called %d times, want 3 (latency lets requests through; the 502 does not)", n)
	}
	if s := h.m.Stats(); s.FaultsByKind["latency"] != 4 || s.FaultsByKind["status"] != 1 {
		t.Errorf("faults by kind = %v, want latency 4 and status 1", s.FaultsByKind)
	}
}

func TestRefusedRequestsAreNotFaulted(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{Core: 1}, Faults: []Fault{{Kind: FaultStatus, Status: 500, From: 2}}})
	h.do("GET", "/a", "alice", "")
	if a := h.do("GET", "/a", "alice", ""); a.status != 403 {
		t.Fatalf("status %d, want the primary refusal", a.status)
	}
	h.clk.Advance(time.Hour)
	if a := h.do("GET", "/a", "alice", ""); a.status != 500 {
		t.Errorf("status %d, want the fault on the 2nd request that passed the limits", a.status)
	}
}

func TestSetConfigRestartsFaults(t *testing.T) {
	t.Parallel()
	cfg := Config{Faults: []Fault{{Kind: FaultStatus, Status: 500, Once: true}}}
	h := setup(t, cfg)
	if got := faulted(t, h, 2, "GET", "/x"); !cmp.Equal(got, []int{1}) {
		t.Fatalf("faulted %v, want [1]", got)
	}
	h.m.SetConfig(cfg)
	if got := faulted(t, h, 2, "GET", "/x"); !cmp.Equal(got, []int{1}) {
		t.Errorf("after SetConfig faulted %v, want [1]", got)
	}
	h.m.SetConfig(Config{})
	if got := faulted(t, h, 2, "GET", "/x"); got != nil {
		t.Errorf("after SetConfig(Config{}) faulted %v, want none", got)
	}
	if got := h.m.Config(); !cmp.Equal(got, Config{}) {
		t.Errorf("Config() = %+v, want the zero Config", got)
	}
}

func TestResetLimits(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{Limits: Limits{Core: 1}})
	h.do("GET", "/a", "alice", "")
	h.m.ResetLimits()
	if a := h.do("GET", "/a", "alice", ""); a.status != 200 {
		t.Errorf("after ResetLimits: status %d, want 200", a.status)
	}
}

func TestConfigReadsYAMLAndJSON(t *testing.T) {
	t.Parallel()
	const y = `
limits:
  githubDefaults: true
  codeSearch: 9
  primaryStatus: 429
  graphqlPrimary: RATE_LIMIT
  graphqlSecondary: "200"
  retryAfter: 60s
faults:
  - kind: status
    status: 502
    match: POST /repos/*/*/pulls
    from: 1
    to: 2
  - kind: latency
    latency: 0.25
    rate: 0.1
  - kind: graphqlError
    match: POST /graphql
    once: true
seed: 42
`
	want := Config{
		Limits: Limits{GitHubDefaults: true, CodeSearch: 9, PrimaryStatus: 429, GraphQLPrimary: GraphQLRateLimit,
			GraphQLSecondary: GraphQLSecondary200, RetryAfter: Duration(time.Minute)},
		Faults: []Fault{
			{Kind: FaultStatus, Status: 502, Match: "POST /repos/*/*/pulls", From: 1, To: 2},
			{Kind: FaultLatency, Latency: Duration(250 * time.Millisecond), Rate: 0.1},
			{Kind: FaultGraphQLError, Match: "POST /graphql", Once: true},
		},
		Seed: 42,
	}
	var got Config
	if err := yaml.Unmarshal([]byte(y), &got); err != nil {
		t.Fatal(err)
	}
	opt := cmp.Comparer(func(a, b func(*http.Request, int) bool) bool { return a == nil && b == nil })
	if diff := cmp.Diff(want, got, opt); diff != "" {
		t.Errorf("from YAML (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("reading back %s: %v", b, err)
	}
	if diff := cmp.Diff(want, back, opt); diff != "" {
		t.Errorf("JSON round trip of %s (-want +got):\n%s", b, diff)
	}
	var d struct{ D Duration }
	if err := json.Unmarshal([]byte(`{"D":90}`), &d); err != nil || d.D != Duration(90*time.Second) {
		t.Errorf("JSON number 90 → %v, %v; want 1m30s", d.D, err)
	}
	for _, bad := range []string{`{"D":"soon"}`, `{"D":-1}`, `{"D":true}`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil || !strings.Contains(err.Error(), "duration") {
			t.Errorf("%s: error %v, want one about the duration", bad, err)
		}
	}
	if err := yaml.Unmarshal([]byte("limits:\n  retryAfter: [1]\n"), &got); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("YAML sequence as duration: error %v, want one naming line 2", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  Config
		want string // "" = valid
	}{
		{Config{}, ""},
		{Config{Limits: GitHubLimits()}, ""},
		{Config{Limits: Limits{Core: -1}}, "limits.core is -1"},
		{Config{Limits: Limits{PrimaryStatus: 418}}, "limits.primaryStatus is 418: must be 403 or 429"},
		{Config{Limits: Limits{SecondaryStatus: 200}}, "limits.secondaryStatus is 200"},
		{Config{Limits: Limits{GraphQLPrimary: "rate_limited"}}, `limits.graphqlPrimary is "rate_limited"`},
		{Config{Limits: Limits{GraphQLSecondary: "429"}}, `limits.graphqlSecondary is "429"`},
		{Config{Faults: []Fault{{Kind: "boom"}}}, `faults[0]: kind is "boom"`},
		{Config{Faults: []Fault{{Kind: FaultStatus, Status: 404}}}, `faults[0]: kind "status" needs status 500, 502, 503 or 504, got 404`},
		{Config{Faults: []Fault{{Kind: FaultLatency}}}, `kind "latency" needs a positive latency`},
		{Config{Faults: []Fault{{Kind: FaultReset, Rate: 1.5}}}, "rate is 1.5"},
		{Config{Faults: []Fault{{Kind: FaultReset, From: 3, To: 2}}}, "to 2 is before from 3"},
		{Config{Faults: []Fault{{Kind: FaultReset, To: 2}}}, "to 2 needs from"},
		{Config{Faults: []Fault{{Kind: FaultReset}, {Kind: FaultReset, Match: "/repos"}}}, `faults[1]: match "/repos": want "METHOD /path/glob"`},
		{Config{Faults: []Fault{{Kind: FaultReset, Match: "GET /repos/[x"}}}, `bad path glob`},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tt.cfg, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Validate(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	var joined interface{ Unwrap() []error }
	if err := (Config{Limits: Limits{Core: -1, Search: -2}}).Validate(); !errors.As(err, &joined) || len(joined.Unwrap()) != 2 {
		t.Errorf("Validate = %v, want both problems joined", err)
	}
}
