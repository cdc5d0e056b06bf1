package gh

import (
	"context"
	"encoding/json"
	"errors"
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

const testToken = "ghp_secret_test_token"

var epoch = time.Unix(1_800_000_000, 0)

// setup serves handler under GitHub Enterprise paths (/api/v3/ and
// /api/graphql) so that a client building absolute or api.github.com URLs
// fails, as in go-github's own tests. Anything else is a test failure.
func setup(t *testing.T, opts Options, handler http.HandlerFunc) (*Client, *clock.Fake) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v3/", func(w http.ResponseWriter, r *http.Request) {
		checkAuth(t, r)
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
		handler(w, r)
	})
	mux.HandleFunc("/api/graphql", func(w http.ResponseWriter, r *http.Request) {
		checkAuth(t, r)
		r.URL.Path = "/graphql"
		handler(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the GHE prefixes: %s %s", r.Method, r.URL.Path)
		http.Error(w, "wrong path", http.StatusTeapot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	clk := clock.NewFake(epoch)
	opts.Token = testToken
	opts.APIURL = srv.URL + "/api/v3/"
	opts.Clock = clk
	if opts.Jitter == nil {
		opts.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func checkAuth(t *testing.T, r *http.Request) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("%s %s: Authorization = %q", r.Method, r.URL.Path, got)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func contentsOK(w http.ResponseWriter) {
	writeJSON(w, 200, map[string]any{"type": "file", "encoding": "base64", "content": "aGk=", "sha": "abc", "path": "f"})
}

func TestNewDerivesGraphQLURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                              "https://api.github.com/graphql",
		"https://api.github.com/":       "https://api.github.com/graphql",
		"https://ghe.example/api/v3/":   "https://ghe.example/api/graphql",
		"https://ghe.example/api/v3":    "https://ghe.example/api/graphql",
		"http://127.0.0.1:8080/":        "http://127.0.0.1:8080/graphql",
		"http://127.0.0.1:8080/prefix/": "http://127.0.0.1:8080/prefix/graphql",
	}
	for api, want := range tests {
		c, err := New(Options{Token: "x", APIURL: api})
		if err != nil {
			t.Fatalf("New(%q): %v", api, err)
		}
		if c.opts.GraphQLURL != want {
			t.Errorf("New(%q): GraphQLURL = %q, want %q", api, c.opts.GraphQLURL, want)
		}
	}
	for _, bad := range []Options{{}, {Token: "x", APIURL: "ftp://x/"}, {Token: "x", APIURL: "https://"}, {Token: "x", GraphQLURL: "::"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) = nil error", bad)
		}
	}
}

func TestTransportRetriesRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		limited   func(w http.ResponseWriter, now time.Time)
		wantSleep time.Duration
	}{
		{"429 retry-after", func(w http.ResponseWriter, _ time.Time) {
			w.Header().Set("Retry-After", "7")
			writeJSON(w, 429, map[string]string{"message": "Too many requests"})
		}, 7 * time.Second},
		{"403 secondary retry-after", func(w http.ResponseWriter, _ time.Time) {
			w.Header().Set("Retry-After", "33")
			writeJSON(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit."})
		}, 33 * time.Second},
		{"403 primary reset", func(w http.ResponseWriter, now time.Time) {
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(now.Add(42*time.Second).Unix(), 10))
			writeJSON(w, 403, map[string]string{"message": "API rate limit exceeded for user ID 1."})
		}, 42 * time.Second},
		{"429 primary reset", func(w http.ResponseWriter, now time.Time) {
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(now.Add(90*time.Second).Unix(), 10))
			writeJSON(w, 429, map[string]string{"message": "API rate limit exceeded for user ID 1."})
		}, 90 * time.Second},
		{"403 secondary without headers waits a minute", func(w http.ResponseWriter, _ time.Time) {
			writeJSON(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
		}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			var clk *clock.Fake
			c, clk := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					tt.limited(w, clk.Now())
					return
				}
				contentsOK(w)
			})
			got, _, err := c.GetContents(context.Background(), "acme", "app", "f", "")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "hi" {
				t.Errorf("content = %q", got)
			}
			if diff := cmp.Diff([]time.Duration{tt.wantSleep}, clk.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if calls.Load() != 2 {
				t.Errorf("requests = %d, want 2", calls.Load())
			}
		})
	}
}

func TestTransportGraphQLRateLimited(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"RATE_LIMITED", "RATE_LIMIT"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			var bodies []string
			var mu sync.Mutex
			var clk *clock.Fake
			c, clk := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				if calls.Add(1) == 1 {
					w.Header().Set("X-Ratelimit-Remaining", "0")
					w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(clk.Now().Add(15*time.Second).Unix(), 10))
					writeJSON(w, 200, map[string]any{"data": nil, "errors": []map[string]any{{"type": typ, "message": "API rate limit exceeded"}}})
					return
				}
				writeJSON(w, 200, map[string]any{"data": map[string]any{"viewer": map[string]string{"login": "bot"}}})
			})
			res, err := c.Hydrate(context.Background(), nil, []string{}, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 0 {
				t.Fatalf("Hydrate of nothing sent %d requests", res.Requests)
			}
			ans, err := c.postGraphQL(context.Background(), "query { viewer { login } }")
			if err != nil {
				t.Fatal(err)
			}
			if string(ans.Data["viewer"]) != `{"login":"bot"}` {
				t.Errorf("data = %s", ans.Data["viewer"])
			}
			if diff := cmp.Diff([]time.Duration{15 * time.Second}, clk.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[0], "viewer") {
				t.Errorf("request bodies not resent identically: %q", bodies)
			}
		})
	}
}

func TestTransportGivesUpAfterMaxRetries(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c, clk := setup(t, Options{MaxRetries: 3}, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit."})
	})
	_, _, err := c.GetContents(context.Background(), "acme", "app", "f", "")
	if err == nil || !strings.Contains(err.Error(), "secondary rate limit") {
		t.Fatalf("error = %v, want the rate-limit answer", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error leaks the token: %v", err)
	}
	if calls.Load() != 4 {
		t.Errorf("requests = %d, want 4 (1 + 3 retries)", calls.Load())
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}
	if diff := cmp.Diff(want, clk.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

func TestTransportDoesNotRetryPermissionErrors(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c, clk := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 403, map[string]string{"message": "Resource not accessible by integration"})
	})
	_, _, err := c.GetContents(context.Background(), "acme", "app", "f", "")
	if err == nil || !strings.Contains(err.Error(), "Resource not accessible") {
		t.Fatalf("error = %v", err)
	}
	if calls.Load() != 1 || len(clk.Sleeps()) != 0 {
		t.Errorf("requests = %d, sleeps = %v; want 1 and none", calls.Load(), clk.Sleeps())
	}
}

func TestTransportTransientFaults(t *testing.T) {
	t.Parallel()
	t.Run("GET is retried with backoff", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		c, clk := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
			switch calls.Add(1) {
			case 1:
				writeJSON(w, 502, map[string]string{"message": "Server Error"})
			case 2:
				writeJSON(w, 503, map[string]string{"message": "unavailable"})
			default:
				contentsOK(w)
			}
		})
		if _, _, err := c.GetContents(context.Background(), "acme", "app", "f", ""); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, clk.Sleeps()); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
	})
	t.Run("GraphQL query: Something went wrong is retried", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		c, clk := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				writeJSON(w, 200, map[string]any{"data": nil, "errors": []map[string]any{{"message": "Something went wrong while executing your query. This may be the result of a timeout."}}})
				return
			}
			writeJSON(w, 200, map[string]any{"data": map[string]any{"viewer": map[string]string{"login": "bot"}}})
		})
		if _, err := c.postGraphQL(context.Background(), "query { viewer { login } }"); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{time.Second}, clk.Sleeps()); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
	})
	t.Run("mutation is not resent after a 502", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		c, _ := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			writeJSON(w, 502, map[string]string{"message": "Server Error"})
		})
		_, err := c.Propose(context.Background(), testProposeInput())
		if !errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrBranchMoved) || !strings.Contains(err.Error(), "outcome unknown") {
			t.Fatalf("Propose error = %v, want ErrOutcomeUnknown (and not ErrBranchMoved)", err)
		}
		var he *HTTPError
		if !errors.As(err, &he) || he.StatusCode != 502 {
			t.Errorf("error does not carry the HTTP 502: %v", err)
		}
		if calls.Load() != 1 {
			t.Errorf("requests = %d, want 1", calls.Load())
		}
	})
}

func TestTransportWaitsForExhaustedResource(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var clk *clock.Fake
	var sentAt []time.Time
	c, clk := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		sentAt = append(sentAt, clk.Now())
		w.Header().Set("X-Ratelimit-Resource", "code_search")
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(clk.Now().Add(30*time.Second).Unix(), 10))
		writeJSON(w, 200, map[string]any{"total_count": 0, "incomplete_results": false, "items": []any{}})
	})
	q := CodeQuery{Terms: []string{"alpine"}, Qualifiers: []string{"filename:Dockerfile"}, Orgs: []string{"acme", "umbrella"}}
	res, err := c.SearchCode(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2 || calls.Load() != 2 {
		t.Fatalf("requests = %d (server saw %d), want 2", res.Requests, calls.Load())
	}
	// The second search waited for the reset before it was sent, on the
	// fake clock (go-github's own wall-clock check did not refuse it).
	if diff := cmp.Diff([]time.Duration{30 * time.Second}, clk.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if d := sentAt[1].Sub(sentAt[0]); d != 30*time.Second {
		t.Errorf("second request sent %s after the first, want 30s", d)
	}
}

func TestTransportCapsConcurrency(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	c, _ := setup(t, Options{Concurrency: 2}, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		contentsOK(w)
	})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.GetContents(context.Background(), "acme", "app", "f", ""); err != nil {
				t.Error(err)
			}
		}()
	}
	// Let requests pile up behind the cap, then release them one by one.
	for range 6 {
		for inFlight.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		release <- struct{}{}
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak requests in flight = %d, want at most 2", p)
	}
}

func TestIsMutation(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		`{"query":"mutation { a }"}`:           true,
		`{"query":"  # c\n mutation M { a }"}`: true,
		`{"query":"query { a }"}`:              false,
		`{"query":"{ mutation }"}`:             false,
		`not json`:                             false,
	}
	for body, want := range tests {
		if got := isMutation([]byte(body)); got != want {
			t.Errorf("isMutation(%s) = %v, want %v", body, got, want)
		}
	}
}

func TestGraphQLErrorIsTyped(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": nil, "errors": []map[string]any{
			{"type": "FORBIDDEN", "path": []any{"r0", "items", 3}, "message": "Resource not accessible"}}})
	})
	_, err := c.postGraphQL(context.Background(), "query { x }")
	var ge *GraphQLError
	if !errors.As(err, &ge) {
		t.Fatalf("error %v is not a *GraphQLError", err)
	}
	want := &GraphQLError{Type: "FORBIDDEN", Path: []string{"r0", "items", "3"}, Message: "Resource not accessible"}
	if diff := cmp.Diff(want, ge); diff != "" {
		t.Errorf("GraphQLError (-want +got):\n%s", diff)
	}
}

func testProposeInput() ProposeInput {
	return ProposeInput{
		RepoID: "R_1", Owner: "acme", Name: "app", BaseBranch: "main",
		BaseOID: strings.Repeat("a", 40), Branch: "dfiu/alpine",
		Files:   map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")},
		Message: CommitMessage{Headline: "Bump alpine to 3.20"},
		Title:   "Bump alpine to 3.20", Body: "body",
	}
}
