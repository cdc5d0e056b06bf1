package ghsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// DefaultAdminToken is the admin token of a server whose Options leave
// AdminToken empty. Its user is "admin" and it may write everywhere.
const DefaultAdminToken = "ghsim-admin-token"

// Options configures a Server.
type Options struct {
	// Clock drives rate windows, reset times, fork delay and index lag.
	// It defaults to clock.Real.
	Clock clock.Clock
	// Limits holds rate limits and faults (package limiter); the zero
	// value turns them all off.
	Limits limiter.Config
	// ForkDelay is how long a new fork stays invisible.
	ForkDelay time.Duration
	// IndexLag is how long a commit to a default branch takes to become
	// searchable.
	IndexLag time.Duration
	// AdminToken is the token of the "admin" user, which may write
	// everywhere and use /_sim/; DefaultAdminToken when empty.
	AdminToken string
	// AdminLogin is the admin token's user; "admin" when empty.
	AdminLogin string
	// Middleware, when set, wraps the GitHub namespace (REST and GraphQL,
	// outside the rate limiter), e.g. an OpenAPI validator in tests.
	Middleware func(http.Handler) http.Handler
	// GraphQL serves /graphql and /api/graphql; nil means the simulator's
	// own GraphQL handler (package ghsim/graphql). The request context
	// carries the actor (state.ActorFrom).
	GraphQL func(w *state.World) http.Handler
}

// Server is the simulated GitHub: an http.Handler serving REST under / and
// /api/v3/, GraphQL at /graphql and /api/graphql, and the admin API under
// /_sim/.
type Server struct {
	world      *state.World
	clk        clock.Clock
	lim        *limiter.Middleware
	mux        *http.ServeMux
	github     http.Handler
	graphql    http.Handler
	adminToken string

	incomplete atomic.Bool
	treeLimit  atomic.Int64 // 0: maxTreeEntries
	cacheMu    sync.Mutex
	repoCache  map[repoKey]*rawJSON
	baseOnce   sync.Once
	httpSrv    *http.Server
	url        string
}

// New returns a Server with an empty world holding only the admin user
// and its token.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.AdminToken == "" {
		opts.AdminToken = DefaultAdminToken
	}
	if opts.AdminLogin == "" {
		opts.AdminLogin = "admin"
	}
	s := &Server{
		world:      state.New(state.Options{Clock: opts.Clock, ForkDelay: opts.ForkDelay, IndexLag: opts.IndexLag}),
		clk:        opts.Clock,
		mux:        http.NewServeMux(),
		adminToken: opts.AdminToken,
		repoCache:  map[repoKey]*rawJSON{},
	}
	s.world.AddToken(opts.AdminToken, opts.AdminLogin, state.PermAdmin, nil)
	s.routes()
	if opts.GraphQL != nil {
		s.graphql = opts.GraphQL(s.world)
	} else {
		s.graphql = defaultGraphQL(s.world, opts.Clock)
	}
	s.lim = limiter.New(opts.Limits, opts.Clock, limiter.Hooks{
		EndpointKey: s.endpointKey,
		UserID: func(token string) (int64, bool) {
			t, ok := s.world.TokenFor(token)
			if !ok {
				return 0, false
			}
			return t.UserID, true
		},
	})
	var h http.Handler = s.lim.Wrap(http.HandlerFunc(s.serveGitHub))
	if opts.Middleware != nil {
		h = opts.Middleware(h)
	}
	s.github = h
	return s
}

// World returns the state model, for seeding and assertions in Go tests.
func (s *Server) World() *state.World { return s.world }

// AdminToken returns the admin token.
func (s *Server) AdminToken() string { return s.adminToken }

// SetLimits replaces the rate limits and faults.
func (s *Server) SetLimits(cfg limiter.Config) { s.lim.SetConfig(cfg) }

// Limiter returns the rate-limit, fault and stats middleware.
func (s *Server) Limiter() *limiter.Middleware { return s.lim }

// Stats returns the request counters, as GET /_sim/stats does.
func (s *Server) Stats() limiter.Stats { return s.lim.Stats() }

// SetBaseURL sets the base URL used in html_url values (e.g. the pull
// request links the demo prints). Without it the first request's host is
// used.
func (s *Server) SetBaseURL(u string) {
	s.baseOnce.Do(func() {})
	s.world.SetBaseURL(u)
}

// ServeHTTP routes /_sim/ to the admin API and everything else to GitHub.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.baseOnce.Do(func() {
		if s.world.BaseURL() == "" {
			s.world.SetBaseURL(scheme(r) + "://" + r.Host)
		}
	})
	if r.URL.Path == "/_sim" || strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	s.github.ServeHTTP(w, r)
}

// Start serves on addr (e.g. "127.0.0.1:0") in the background and returns
// the base URL, e.g. "http://127.0.0.1:38123". Close stops it.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listening on %q: %w", addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.SetBaseURL(s.url)
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed after Close
	return s.url, nil
}

// URL returns the base URL Start is serving on, or "".
func (s *Server) URL() string { return s.url }

// Close stops a server started with Start.
func (s *Server) Close(ctx context.Context) error {
	if s.httpSrv == nil {
		return nil
	}
	return s.httpSrv.Shutdown(ctx)
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// tokenFrom reads "token X" or "Bearer X".
func tokenFrom(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, p := range []string{"token ", "Token ", "bearer ", "Bearer "} {
		if v, ok := strings.CutPrefix(h, p); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// stripPrefix returns the path without the GitHub Enterprise "/api/v3"
// prefix, and the prefix.
func stripPrefix(p string) (string, string) {
	if rest, ok := strings.CutPrefix(p, "/api/v3"); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			rest = "/"
		}
		return rest, "/api/v3"
	}
	return p, ""
}

// serveGitHub authenticates and dispatches to GraphQL or REST.
func (s *Server) serveGitHub(w http.ResponseWriter, r *http.Request) {
	value := tokenFrom(r)
	if value == "" {
		// No credentials at all: GitHub's "requires_authentication"
		// answer (api.github.com.json, components/responses), 401
		// "Requires authentication"; GraphQL always needs a token ("This
		// endpoint requires you to be authenticated."). Real GitHub serves
		// public data anonymously; the simulator asks for a token
		// everywhere (a simplification).
		msg := "Requires authentication"
		if r.URL.Path == "/graphql" || r.URL.Path == "/api/graphql" {
			msg = "This endpoint requires you to be authenticated."
		}
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"})
		return
	}
	tok, ok := s.world.TokenFor(value)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return
	}
	ctx := state.WithActor(r.Context(), tok)
	_, prefix := stripPrefix(r.URL.Path)
	ctx = withPrefix(ctx, prefix)
	if r.URL.Path == "/graphql" || r.URL.Path == "/api/graphql" {
		if s.graphql == nil {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		s.graphql.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	r2 := r.WithContext(ctx)
	r2.URL = cloneURL(r)
	r2.URL.Path, _ = stripPrefix(r.URL.Path)
	r2.URL.RawPath = ""
	if rp := r.URL.RawPath; rp != "" {
		r2.URL.RawPath, _ = stripPrefix(rp)
	}
	if _, pattern := s.mux.Handler(r2); pattern == "" {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	s.mux.ServeHTTP(w, r2)
}

func cloneURL(r *http.Request) *url.URL {
	u := *r.URL
	return &u
}

// endpointKey names the route a request takes, e.g.
// "GET /repos/{owner}/{repo}/git/ref/{ref}" (the route pattern without
// ServeMux's "..." wildcards), for stats and fault matching.
func (s *Server) endpointKey(r *http.Request) string {
	if r.URL.Path == "/graphql" || r.URL.Path == "/api/graphql" {
		return r.Method + " /graphql"
	}
	r2 := *r
	u := *r.URL
	u.Path, _ = stripPrefix(u.Path)
	u.RawPath = ""
	r2.URL = &u
	if _, pattern := s.mux.Handler(&r2); pattern != "" {
		return strings.ReplaceAll(pattern, "...}", "}")
	}
	return r.Method + " " + u.Path
}

// writeJSON writes v as JSON with GitHub's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	writeRaw(w, status, b)
}

// writeRaw writes encoded JSON with GitHub's content type.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	w.Write(b)
}

const docsURL = "https://docs.github.com/rest"

// writeError writes GitHub's basic error body.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": docsURL})
}

// fail maps an apiError, a state error (or any error) to GitHub's status and
// body.
func fail(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.msg)
		return
	}
	var se *state.Error
	if !errors.As(err, &se) {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	switch se.Kind {
	case state.NotFound:
		writeError(w, http.StatusNotFound, se.Message)
	case state.Forbidden:
		writeError(w, http.StatusForbidden, se.Message)
	case state.Conflict, state.Stale:
		writeError(w, http.StatusConflict, se.Message)
	default:
		if se.Resource == "" {
			writeError(w, http.StatusUnprocessableEntity, se.Message)
			return
		}
		e := map[string]any{"resource": se.Resource, "code": se.Code}
		msg := se.Message
		if msg != "Validation Failed" {
			e["message"] = se.Message
			msg = "Validation Failed"
		}
		if se.Field != "" {
			e["field"] = se.Field
		}
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"message": msg, "errors": []any{e}, "documentation_url": docsURL})
	}
}
