// Package ghsim is an in-memory GitHub that the project's real clients
// (go-github v60, githubv4, the raw GraphQL poster) talk to over HTTP exactly
// as they would talk to api.github.com or GitHub Enterprise Server. Every
// end-to-end test, benchmark and `dfiu demo` runs against it.
//
// # Use in Go tests
//
//	clk := clock.NewFake(time.Now())
//	srv := ghsim.New(ghsim.Options{Clock: clk})
//	ts := httptest.NewServer(srv)             // or url, err := srv.Start("127.0.0.1:0")
//	err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{
//		Name:  "acme/app",
//		Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"},
//	}}})
//	// REST: ts.URL+"/" or ts.URL+"/api/v3/"; GraphQL: ts.URL+"/graphql" or "/api/graphql".
//	// Token: srv.AdminToken() (user "admin", writes everywhere), or seed more.
//	files, _ := srv.RepoFiles("acme", "app", "my-branch")
//	prs, _ := srv.PullRequests("acme", "app")
//	st := srv.Stats()                          // same as GET /_sim/stats
//	srv.SetLimits(limiter.Config{...})        // rate limits and faults, per test
//
// srv.World() gives the state model (package state) for anything else.
// Options.Middleware puts e.g. an OpenAPI validator (package ghsimtest) in
// front of the GitHub namespace.
//
// # What it serves
//
// REST under / and /api/v3/ (see routes in rest.go for the list, each
// pattern doubling as the endpoint key in Stats), GraphQL at /graphql and
// /api/graphql (package ghsim/graphql), and the admin API under /_sim/ (see
// serveAdmin). Authentication is "Authorization: token X" or "Bearer X";
// anything else is 401 Bad credentials. Rate limits, faults and counters
// come from package limiter, which wraps the GitHub namespace; the limiter
// also answers GET /rate_limit and rate-limited GraphQL requests itself.
//
// Code search (GET /search/code) follows the legacy syntax GitHub's REST
// endpoint uses: see state.SearchCode. Pagination follows GitHub: per_page
// (max 100), page, and Link headers with absolute URLs built from the
// request's host and prefix.
package ghsim
