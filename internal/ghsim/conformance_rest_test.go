package ghsim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// restStep is one raw REST call of a sweep.
type restStep struct {
	name   string
	token  string // "" = the admin token
	method string
	path   string
	body   string
	status int
	// check, if set, inspects the decoded JSON answer.
	check func(t *testing.T, v any)
	// save, if set, keeps something from the answer for later steps.
	save func(v any)
}

// TestRESTSweepValidates calls every route the simulator serves, with the
// success and the error statuses the Action can meet, through the OpenAPI
// validator: each answer must match GitHub's REST description for its
// operation and status, and carry the rate-limit headers and a request id.
func TestRESTSweepValidates(t *testing.T) {
	t.Parallel()
	sim := newConfSim(t, ghsim.Seed{
		Orgs:  []string{"acme", "forks"},
		Users: []string{"alice"},
		Teams: []ghsim.SeedTeam{{Org: "acme", Slug: "platform"}},
		Tokens: []ghsim.SeedToken{
			{Token: "reader-token", Login: "reader", Default: "read"},
			{Token: "outsider-token", Login: "outsider", Default: "none"},
		},
		Repos: []ghsim.SeedRepo{
			{
				Name:  "acme/app",
				Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n", "svc/api/Dockerfile": "FROM golang:1.22 AS build\n", "README.md": "app\n"},
				Branches: []ghsim.SeedBranch{
					{Name: "feature", Files: map[string]string{"feature.txt": "f\n"}},
				},
				Labels: []string{"dependencies"},
			},
			{Name: "acme/secret", Private: true, Files: map[string]string{"Dockerfile": "FROM alpine\n"}},
		},
	})
	var mainSHA, blobSHA, featureSHA string
	str := func(v any, path ...string) string {
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
	wantLen := func(n int) func(t *testing.T, v any) {
		return func(t *testing.T, v any) {
			t.Helper()
			if a, ok := v.([]any); !ok || len(a) != n {
				t.Errorf("answer has %d items (array: %v), want %d", len(a), ok, n)
			}
		}
	}
	wantMessage := func(sub string) func(t *testing.T, v any) {
		return func(t *testing.T, v any) {
			t.Helper()
			if m := str(v, "message"); !strings.Contains(m, sub) {
				t.Errorf("message %q, want it to contain %q", m, sub)
			}
		}
	}
	pathVars := func(s string) string {
		return strings.NewReplacer("{main}", mainSHA, "{blob}", blobSHA, "{feature}", featureSHA).Replace(s)
	}

	steps := []restStep{
		{name: "user", method: "GET", path: "/user", status: 200, check: func(t *testing.T, v any) {
			if str(v, "login") != "admin" {
				t.Errorf("login %q, want admin", str(v, "login"))
			}
		}},
		{name: "user by login", method: "GET", path: "/users/alice", status: 200},
		{name: "missing user", method: "GET", path: "/users/nobody-here", status: 404, check: wantMessage("Not Found")},
		{name: "rate limit", method: "GET", path: "/rate_limit", status: 200},
		{name: "repos of a user", method: "GET", path: "/users/alice/repos", status: 200, check: wantLen(0)},
		{name: "my repos", method: "GET", path: "/user/repos?per_page=100", status: 200},
		{name: "org repos", method: "GET", path: "/orgs/acme/repos?per_page=1", status: 200, check: wantLen(1)},
		{name: "repo", method: "GET", path: "/repos/acme/app", status: 200},
		{name: "repo, any case", method: "GET", path: "/repos/ACME/App", status: 200},
		{name: "bad credentials", token: "no-such-token", method: "GET", path: "/repos/acme/app", status: 401, check: wantMessage("Bad credentials")},
		{name: "private repo to an outsider", token: "outsider-token", method: "GET", path: "/repos/acme/secret", status: 404},
		{name: "patch repo", method: "PATCH", path: "/repos/acme/app", body: `{"allow_auto_merge":true}`, status: 200, check: func(t *testing.T, v any) {
			if b, _ := v.(map[string]any)["allow_auto_merge"].(bool); !b {
				t.Errorf("allow_auto_merge not set: %v", v)
			}
		}},
		{name: "create user repo", method: "POST", path: "/user/repos", body: `{"name":"scratch","auto_init":true}`, status: 201},
		{name: "create org repo, name taken", method: "POST", path: "/orgs/acme/repos", body: `{"name":"app"}`, status: 422},
		{name: "fork", method: "POST", path: "/repos/acme/app/forks", body: `{"organization":"forks"}`, status: 202},

		{name: "root listing", method: "GET", path: "/repos/acme/app/contents/", status: 200, check: wantLen(3)},
		{name: "dir listing", method: "GET", path: "/repos/acme/app/contents/svc/api", status: 200, check: wantLen(1)},
		{name: "file", method: "GET", path: "/repos/acme/app/contents/svc/api/Dockerfile?ref=main", status: 200, save: func(v any) { blobSHA = str(v, "sha") }},
		{name: "missing file", method: "GET", path: "/repos/acme/app/contents/nope.txt", status: 404},
		{name: "put by a reader", token: "reader-token", method: "PUT", path: "/repos/acme/app/contents/x.txt", body: `{"message":"m","content":"eA=="}`, status: 403},
		{name: "put a new file", method: "PUT", path: "/repos/acme/app/contents/x.txt", body: `{"message":"add x","content":"eA=="}`, status: 201},
		{name: "put without sha", method: "PUT", path: "/repos/acme/app/contents/x.txt", body: `{"message":"m","content":"eQ=="}`, status: 422},
		{name: "put with a wrong sha", method: "PUT", path: "/repos/acme/app/contents/x.txt", body: `{"message":"m","content":"eQ==","sha":"1111111111111111111111111111111111111111"}`, status: 409},
		{name: "put on a missing branch", method: "PUT", path: "/repos/acme/app/contents/y.txt", body: `{"message":"m","content":"eQ==","branch":"nope"}`, status: 404},

		{name: "ref", method: "GET", path: "/repos/acme/app/git/ref/heads/main", status: 200, save: func(v any) { mainSHA = str(v, "object", "sha") }},
		{name: "feature ref", method: "GET", path: "/repos/acme/app/git/ref/heads/feature", status: 200, save: func(v any) { featureSHA = str(v, "object", "sha") }},
		{name: "missing ref", method: "GET", path: "/repos/acme/app/git/ref/heads/nope", status: 404},
		{name: "matching refs", method: "GET", path: "/repos/acme/app/git/matching-refs/heads/f", status: 200, check: wantLen(1)},
		{name: "matching no refs", method: "GET", path: "/repos/acme/app/git/matching-refs/heads/zzz", status: 200, check: wantLen(0)},
		{name: "create ref", method: "POST", path: "/repos/acme/app/git/refs", body: `{"ref":"refs/heads/dfiu/x","sha":"{main}"}`, status: 201},
		{name: "create a branch at main", method: "POST", path: "/repos/acme/app/git/refs", body: `{"ref":"refs/heads/same","sha":"{main}"}`, status: 201},
		{name: "create ref again", method: "POST", path: "/repos/acme/app/git/refs", body: `{"ref":"refs/heads/dfiu/x","sha":"{main}"}`, status: 422, check: wantMessage("Reference already exists")},
		{name: "create ref, bad name", method: "POST", path: "/repos/acme/app/git/refs", body: `{"ref":"heads/x","sha":"{main}"}`, status: 422},
		{name: "update ref, not fast-forward", method: "PATCH", path: "/repos/acme/app/git/refs/heads/feature", body: `{"sha":"{main}"}`, status: 422, check: wantMessage("fast forward")},
		{name: "update ref, forced", method: "PATCH", path: "/repos/acme/app/git/refs/heads/dfiu/x", body: `{"sha":"{feature}","force":true}`, status: 200},
		{name: "delete ref", method: "DELETE", path: "/repos/acme/app/git/refs/heads/dfiu/x", status: 204},
		{name: "delete missing ref", method: "DELETE", path: "/repos/acme/app/git/refs/heads/dfiu/x", status: 422},
		{name: "tree", method: "GET", path: "/repos/acme/app/git/trees/main?recursive=1", status: 200},
		{name: "tree by sha", method: "GET", path: "/repos/acme/app/git/trees/{main}", status: 200},
		{name: "blob", method: "GET", path: "/repos/acme/app/git/blobs/{blob}", status: 200, check: func(t *testing.T, v any) {
			if str(v, "encoding") != "base64" {
				t.Errorf("blob encoding %q, want base64", str(v, "encoding"))
			}
		}},
		{name: "git commit", method: "GET", path: "/repos/acme/app/git/commits/{main}", status: 200},
		{name: "commit by branch", method: "GET", path: "/repos/acme/app/commits/main", status: 200},
		{name: "missing commit", method: "GET", path: "/repos/acme/app/commits/1111111111111111111111111111111111111111", status: 422},

		{name: "pull without commits", method: "POST", path: "/repos/acme/app/pulls", body: `{"title":"t","head":"same","base":"main"}`, status: 422},
		{name: "pull from a missing branch", method: "POST", path: "/repos/acme/app/pulls", body: `{"title":"t","head":"nope","base":"main"}`, status: 422},
		{name: "pull", method: "POST", path: "/repos/acme/app/pulls", body: `{"title":"Bump","head":"feature","base":"main","draft":true}`, status: 201},
		{name: "get pull", method: "GET", path: "/repos/acme/app/pulls/1", status: 200},
		{name: "missing pull", method: "GET", path: "/repos/acme/app/pulls/99", status: 404},
		{name: "update pull", method: "PATCH", path: "/repos/acme/app/pulls/1", body: `{"title":"Bump alpine","body":"b"}`, status: 200},
		{name: "list pulls", method: "GET", path: "/repos/acme/app/pulls?state=all&per_page=10", status: 200, check: wantLen(1)},
		{name: "list pulls by head", method: "GET", path: "/repos/acme/app/pulls?head=acme:feature", status: 200, check: wantLen(1)},
		{name: "request reviewers", method: "POST", path: "/repos/acme/app/pulls/1/requested_reviewers", body: `{"reviewers":["alice"],"team_reviewers":["platform"]}`, status: 201},
		{name: "remove reviewers", method: "DELETE", path: "/repos/acme/app/pulls/1/requested_reviewers", body: `{"reviewers":["alice"]}`, status: 200},
		{name: "labels", method: "GET", path: "/repos/acme/app/labels", status: 200, check: wantLen(1)},
		{name: "create label", method: "POST", path: "/repos/acme/app/labels", body: `{"name":"docker","color":"0db7ed"}`, status: 201},
		{name: "create label twice", method: "POST", path: "/repos/acme/app/labels", body: `{"name":"docker","color":"0db7ed"}`, status: 422},
		{name: "label", method: "GET", path: "/repos/acme/app/labels/docker", status: 200},
		{name: "add labels (object form)", method: "POST", path: "/repos/acme/app/issues/1/labels", body: `{"labels":["docker","new-one"]}`, status: 200, check: wantLen(2)},
		{name: "add assignees", method: "POST", path: "/repos/acme/app/issues/1/assignees", body: `{"assignees":["alice"]}`, status: 201},

		{name: "create issue", method: "POST", path: "/repos/acme/app/issues", body: `{"title":"Renovate dashboard"}`, status: 201},
		{name: "list issues", method: "GET", path: "/repos/acme/app/issues?state=all&per_page=1", status: 200, check: wantLen(1)},
		{name: "get issue", method: "GET", path: "/repos/acme/app/issues/1", status: 200},
		{name: "missing issue", method: "GET", path: "/repos/acme/app/issues/99", status: 404},
		{name: "delete repo", method: "DELETE", path: "/repos/admin/scratch", status: 204},
		{name: "deleted repo", method: "GET", path: "/repos/admin/scratch", status: 404},

		{name: "search code", method: "GET", path: "/search/code?q=alpine+org:acme", status: 200},
		{name: "search by filename only", method: "GET", path: "/search/code?q=filename:Dockerfile+repo:acme/app", status: 200},
		{name: "search without a term", method: "GET", path: "/search/code?q=language:Dockerfile", status: 422},
		{name: "search an invisible repo", token: "outsider-token", method: "GET", path: "/search/code?q=alpine+repo:acme/secret", status: 422},
	}
	// Code search allows 10 requests a minute per token; this sweep is
	// not about that.
	sim.srv.SetLimits(limiter.Config{})
	for _, st := range steps {
		token := st.token
		if token == "" {
			token = sim.token
		}
		var body io.Reader
		if st.body != "" {
			body = strings.NewReader(pathVars(st.body))
		}
		req, err := http.NewRequest(st.method, sim.ts.URL+pathVars(st.path), body)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
		if st.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := sim.httpClient(token).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != st.status {
			t.Errorf("%s: %s %s = %d, want %d; body %s", st.name, st.method, req.URL.Path, resp.StatusCode, st.status, clip(raw))
			continue
		}
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource", "X-GitHub-Request-Id"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: no %s header", st.name, h)
			}
		}
		wantResource := "core"
		if strings.HasPrefix(st.path, "/search/code") {
			wantResource = "code_search"
		}
		if got := resp.Header.Get("X-RateLimit-Resource"); got != wantResource {
			t.Errorf("%s: X-RateLimit-Resource %q, want %q", st.name, got, wantResource)
		}
		if resp.StatusCode == http.StatusNoContent {
			if len(raw) != 0 {
				t.Errorf("%s: 204 with a body %q", st.name, clip(raw))
			}
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q, want application/json; charset=utf-8", st.name, ct)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Errorf("%s: answer is not JSON: %v", st.name, err)
			continue
		}
		if resp.StatusCode >= 400 {
			// GitHub's errors always link their documentation.
			if u := str(v, "documentation_url"); !strings.HasPrefix(u, "https://docs.github.com/") {
				t.Errorf("%s: %d error documentation_url %q, want a https://docs.github.com/ link", st.name, resp.StatusCode, u)
			}
		}
		if st.check != nil {
			st.check(t, v)
		}
		if st.save != nil {
			st.save(v)
		}
	}
	sim.requireValidated(t, len(steps))
	requireAllRoutesSwept(t, sim.srv.Stats().Endpoints)
	if mainSHA == "" || blobSHA == "" || featureSHA == "" {
		t.Errorf("ids not captured: main %q blob %q feature %q", mainSHA, blobSHA, featureSHA)
	}
}

// TestRefusalsValidate checks rate-limit refusals and injected faults, which
// GitHub can answer on any endpoint, against the description's error shape,
// in the statuses the limiter can be configured to use.
func TestRefusalsValidate(t *testing.T) {
	t.Parallel()
	seed := ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine\n"}}}}
	tests := []struct {
		name   string
		cfg    limiter.Config
		method string
		path   string
		body   string
		status int
	}{
		{"primary 403", limiter.Config{Limits: limiter.Limits{Core: 1}}, "GET", "/repos/acme/app", "", 403},
		{"primary 429", limiter.Config{Limits: limiter.Limits{Core: 1, PrimaryStatus: 429}}, "GET", "/repos/acme/app/pulls", "", 429},
		{"secondary 403", limiter.Config{Limits: limiter.Limits{ContentPerMinute: 1}}, "POST", "/repos/acme/app/labels", `{"name":"l%d"}`, 403},
		{"secondary 429", limiter.Config{Limits: limiter.Limits{ContentPerMinute: 1, SecondaryStatus: 429}}, "POST", "/repos/acme/app/git/refs", `{"ref":"refs/heads/b%d","sha":"0000000000000000000000000000000000000000"}`, 429},
		{"code search primary", limiter.Config{Limits: limiter.Limits{CodeSearch: 1}}, "GET", "/search/code?q=alpine", "", 403},
		{"fault 502", limiter.Config{Faults: []limiter.Fault{{Kind: limiter.FaultStatus, Status: 502, From: 2}}}, "GET", "/repos/acme/app/git/ref/heads/main", "", 502},
		{"fault 503", limiter.Config{Faults: []limiter.Fault{{Kind: limiter.FaultStatus, Status: 503, From: 2}}}, "GET", "/search/code?q=alpine", "", 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newConfSim(t, seed)
			sim.srv.SetLimits(tc.cfg)
			var last *http.Response
			var raw []byte
			for i := 1; i <= 2; i++ {
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(fmt.Sprintf(tc.body, i))
				}
				req, _ := http.NewRequest(tc.method, sim.ts.URL+tc.path, body)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := sim.httpClient(sim.token).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				last = resp
			}
			if last.StatusCode != tc.status {
				t.Fatalf("second request: status %d, want %d; body %s", last.StatusCode, tc.status, clip(raw))
			}
			if last.Header.Get("X-RateLimit-Resource") == "" || last.Header.Get("X-GitHub-Request-Id") == "" {
				t.Errorf("refusal lacks x-ratelimit-resource or x-github-request-id: %v", last.Header)
			}
			sim.requireValidated(t, 2)
		})
	}
}

// unsweptRoutes are routes the simulator serves that GitHub serves too but
// its REST description does not document, so the validating sweep cannot
// call them; the recorded-session replay covers them.
var unsweptRoutes = map[string]string{
	"GET /repos/{owner}/{repo}/git/refs/{ref}": "list all refs: recorded in git-refs, dropped from the description",
	"GET /repositories/{repository_id}/issues": "legacy URL of Link headers: recorded in paginate-issues, undocumented",
}

var handleRE = regexp.MustCompile(`s\.handle\("([A-Z]+ [^"]+)"`)

// requireAllRoutesSwept fails t unless every route registered in the
// simulator's sources (s.handle("METHOD PATTERN", …)) was called, so that a
// new route cannot escape the OpenAPI check.
func requireAllRoutesSwept(t *testing.T, hit map[string]int64) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range handleRE.FindAllSubmatch(src, -1) {
			key := strings.ReplaceAll(string(m[1]), "...}", "}")
			routes++
			if _, ok := unsweptRoutes[key]; ok {
				continue
			}
			if hit[key] == 0 {
				t.Errorf("route %s (%s) is not called by the sweep; add it", key, f)
			}
		}
	}
	if routes < 30 {
		t.Errorf("found %d routes in the simulator's sources, want at least 30: has s.handle changed?", routes)
	}
}
