package ghsim_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
)

// confSim is a simulator under test with the OpenAPI validator between it
// and its clients.
type confSim struct {
	srv   *ghsim.Server
	ts    *httptest.Server
	clk   *clock.Fake
	tr    *ghsimtest.Transport
	token string
}

// newConfSim starts a simulator seeded with seed. Its clock starts at the
// wall-clock time, because go-github compares rate-limit resets with
// time.Now. Clients built with httpClient send every request through the
// validator, which fails t on any exchange that does not match GitHub's REST
// description.
func newConfSim(t *testing.T, seed ghsim.Seed) *confSim {
	t.Helper()
	return newConfSimWith(t, ghsim.Options{}, seed)
}

// newConfSimWith is newConfSim with options; their Clock is replaced by the
// fake clock.
func newConfSimWith(t *testing.T, opts ghsim.Options, seed ghsim.Seed) *confSim {
	t.Helper()
	tr := ghsimtest.NewTransport(t, nil)
	clk := clock.NewFake(time.Now())
	opts.Clock = clk
	srv := ghsim.New(opts)
	if err := srv.Seed(seed); err != nil {
		t.Fatalf("seeding simulator: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &confSim{srv: srv, ts: ts, clk: clk, tr: tr, token: srv.AdminToken()}
}

// httpClient returns a client that authenticates with token and validates
// every exchange.
func (s *confSim) httpClient(token string) *http.Client {
	return &http.Client{Transport: &authTransport{token: token, base: s.tr}}
}

// authTransport adds "Authorization: token X" as GitHub's classic tokens do.
type authTransport struct {
	token string
	base  http.RoundTripper
}

func (a *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "token "+a.token)
	return a.base.RoundTrip(r)
}

// requireValidated fails t unless the validator checked at least n REST
// exchanges, so that a test cannot pass by sending nothing through it.
func (s *confSim) requireValidated(t *testing.T, n int) {
	t.Helper()
	if got := s.tr.Validated(); got < n {
		t.Errorf("validator checked %d REST exchanges, want at least %d", got, n)
	}
}

// TestServerSideValidation puts the validator inside the simulator
// (Options.Middleware) instead of in the client, so that every exchange the
// server answers is checked whoever sends it.
func TestServerSideValidation(t *testing.T) {
	t.Parallel()
	v := ghsimtest.NewValidator(t)
	srv := ghsim.New(ghsim.Options{Clock: clock.NewFake(time.Now()), Middleware: v.Middleware})
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine\n"}}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := &http.Client{Transport: &authTransport{token: srv.AdminToken(), base: http.DefaultTransport}}
	for _, p := range []string{"/repos/acme/app", "/api/v3/repos/acme/app/git/ref/heads/main", "/repos/acme/app/contents/Dockerfile", "/_sim/stats"} {
		resp, err := client.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", p, resp.StatusCode)
		}
	}
	resp, err := client.Post(ts.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{viewer{login}}"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v.Validated() != 3 || v.ValidatedGraphQL() != 1 {
		t.Errorf("validated %d REST and %d GraphQL exchanges, want 3 and 1 (the admin API never reaches the middleware)", v.Validated(), v.ValidatedGraphQL())
	}
}
