package ghsim_test

import (
	"net/http"
	"net/http/httptest"
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
	tr := ghsimtest.NewTransport(t, nil)
	clk := clock.NewFake(time.Now())
	srv := ghsim.New(ghsim.Options{Clock: clk})
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
