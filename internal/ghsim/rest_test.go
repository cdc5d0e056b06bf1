package ghsim_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// harness is a simulator under httptest with a fake clock.
type harness struct {
	t   *testing.T
	srv *ghsim.Server
	clk *clock.Fake
	url string
}

func newHarness(t *testing.T, seed ghsim.Seed) *harness {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv := ghsim.New(ghsim.Options{Clock: clk})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if err := srv.Seed(seed); err != nil {
		t.Fatalf("seeding: %v", err)
	}
	return &harness{t: t, srv: srv, clk: clk, url: ts.URL}
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return m
}

func (r resp) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return m
}

func (h *harness) doAs(token, method, path string, body any) resp {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (h *harness) do(method, path string, body any) resp {
	h.t.Helper()
	return h.doAs(h.srv.AdminToken(), method, path, body)
}

func (h *harness) want(r resp, status int, msgPart string) {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if msgPart != "" && !strings.Contains(string(r.body), msgPart) {
		h.t.Fatalf("body %s does not contain %q", r.body, msgPart)
	}
}

var appSeed = ghsim.Seed{
	Orgs:   []string{"acme"},
	Users:  []string{"alice"},
	Teams:  []ghsim.SeedTeam{{Org: "acme", Slug: "platform"}},
	Tokens: []ghsim.SeedToken{{Token: "reader", Login: "rita", Default: "none", Repos: map[string]string{"acme/app": "read"}}},
	Repos: []ghsim.SeedRepo{
		{Name: "acme/app", AutoMergeAllowed: true, Files: map[string]string{
			"Dockerfile": "FROM alpine:3.19\n", "ci/Dockerfile.test": "FROM golang:1.22 AS build\n"},
			Branches: []ghsim.SeedBranch{{Name: "bump", Files: map[string]string{"Dockerfile": "FROM alpine:3.20\n"}}}},
		{Name: "acme/secret", Private: true, Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}},
	},
}

func TestAuthAndErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, appSeed)
	h.want(h.doAs("", "GET", "/repos/acme/app", nil), 401, `"message":"Requires authentication"`)
	h.want(h.doAs("nope", "GET", "/user", nil), 401, "Bad credentials")
	h.want(h.doAs("reader", "GET", "/repos/acme/secret", nil), 404, `"message":"Not Found"`)
	h.want(h.doAs("reader", "POST", "/repos/acme/app/git/refs", map[string]string{"ref": "refs/heads/x", "sha": strings.Repeat("a", 40)}), 403, "")
	h.want(h.doAs("reader", "POST", "/repos/acme/secret/git/refs", map[string]string{"ref": "refs/heads/x", "sha": strings.Repeat("a", 40)}), 404, "")
	h.want(h.do("GET", "/nothing/here", nil), 404, "Not Found")

	r := h.do("GET", "/api/v3/repos/ACME/App", nil)
	h.want(r, 200, `"full_name":"acme/app"`)
	for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Used", "X-Ratelimit-Reset", "X-Ratelimit-Resource", "X-Github-Request-Id"} {
		if r.header.Get(k) == "" {
			t.Errorf("header %s missing", k)
		}
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("content-type = %q", ct)
	}
	if u := r.json(t)["url"].(string); u != h.url+"/api/v3/repos/acme/app" {
		t.Errorf("url = %q, want the /api/v3 prefix kept", u)
	}
	h.want(h.do("GET", "/user", nil), 200, `"login":"admin"`)
}

func TestCreateRepoAndContents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, appSeed)
	r := h.do("POST", "/orgs/acme/repos", map[string]any{"name": "empty"})
	h.want(r, 201, "")
	if loc := r.header.Get("Location"); loc != h.url+"/repos/acme/empty" {
		t.Errorf("Location = %q", loc)
	}
	h.want(h.do("GET", "/repos/acme/empty/git/ref/heads/main", nil), 409, "Git Repository is empty.")
	// The first PUT creates the default branch.
	put := func(repo, path, content, sha string) resp {
		body := map[string]any{"message": "write " + path, "content": base64.StdEncoding.EncodeToString([]byte(content))}
		if sha != "" {
			body["sha"] = sha
		}
		return h.do("PUT", "/repos/acme/"+repo+"/contents/"+path, body)
	}
	r = put("empty", "store.json", "{}", "")
	h.want(r, 201, "")
	created := r.json(t)
	sha := created["content"].(map[string]any)["sha"].(string)
	if want := state.HashObject("blob", []byte("{}")); sha != want {
		t.Errorf("content sha = %s, want %s", sha, want)
	}
	if a := created["commit"].(map[string]any)["author"].(map[string]any)["name"]; a != "admin" {
		t.Errorf("commit author = %v, want the token's user", a)
	}
	h.want(put("empty", "store.json", `{"a":1}`, ""), 422, `\"sha\" wasn't supplied.`)
	h.want(put("empty", "store.json", `{"a":1}`, strings.Repeat("0", 40)), 409, "does not match "+strings.Repeat("0", 40))
	h.want(put("empty", "store.json", `{"a":1}`, sha), 200, "")

	got := h.do("GET", "/repos/acme/empty/contents/store.json", nil)
	h.want(got, 200, `"encoding":"base64"`)
	dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(got.json(t)["content"].(string), "\n", ""))
	if err != nil || string(dec) != `{"a":1}` {
		t.Errorf("content = %q, %v", dec, err)
	}

	r = h.do("POST", "/user/repos", map[string]any{"name": "inited", "auto_init": true})
	h.want(r, 201, `"default_branch":"main"`)
	h.want(h.do("GET", "/repos/admin/inited/contents/README.md", nil), 200, "")

	long := strings.Repeat("x", 100)
	h.want(put("app", "long.txt", long, ""), 201, "")
	c := h.do("GET", "/repos/acme/app/contents/long.txt?ref=main", nil).json(t)["content"].(string)
	if lines := strings.Split(strings.TrimSuffix(c, "\n"), "\n"); len(lines) != 3 || len(lines[0]) != 60 {
		t.Errorf("content not wrapped at 60 characters: %q", c)
	}
}

func TestGitRefsTreesCommits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, appSeed)
	main := h.do("GET", "/repos/acme/app/git/ref/heads/main", nil)
	h.want(main, 200, `"ref":"refs/heads/main"`)
	mainSHA := main.json(t)["object"].(map[string]any)["sha"].(string)
	bumpSHA := h.do("GET", "/repos/acme/app/git/ref/heads/bump", nil).json(t)["object"].(map[string]any)["sha"].(string)

	h.want(h.do("POST", "/repos/acme/app/git/refs", map[string]string{"ref": "heads/x", "sha": mainSHA}), 422, "refs/")
	h.want(h.do("POST", "/repos/acme/app/git/refs", map[string]string{"ref": "refs/heads/bump", "sha": mainSHA}), 422, "Reference already exists")
	r := h.do("POST", "/repos/acme/app/git/refs", map[string]string{"ref": "refs/heads/feature/x", "sha": bumpSHA})
	h.want(r, 201, "")
	if loc := r.header.Get("Location"); loc != h.url+"/repos/acme/app/git/refs/heads/feature/x" {
		t.Errorf("Location = %q", loc)
	}
	h.want(h.do("PATCH", "/repos/acme/app/git/refs/heads/feature/x", map[string]any{"sha": mainSHA}), 422, "Update is not a fast forward")
	h.want(h.do("PATCH", "/repos/acme/app/git/refs/heads/feature/x", map[string]any{"sha": mainSHA, "force": true}), 200, mainSHA)
	refs := h.do("GET", "/repos/acme/app/git/matching-refs/heads/", nil).list(t)
	if len(refs) != 3 {
		t.Errorf("matching-refs heads/ = %d refs, want 3", len(refs))
	}
	h.want(h.do("DELETE", "/repos/acme/app/git/refs/heads/feature/x", nil), 204, "")
	h.want(h.do("GET", "/repos/acme/app/git/ref/heads/feature/x", nil), 404, "")

	tree := h.do("GET", "/repos/acme/app/git/trees/main?recursive=1", nil).json(t)
	var paths []string
	for _, e := range tree["tree"].([]any) {
		paths = append(paths, e.(map[string]any)["path"].(string)+":"+e.(map[string]any)["type"].(string))
	}
	if got := strings.Join(paths, " "); got != "Dockerfile:blob ci:tree ci/Dockerfile.test:blob" || tree["truncated"] != false {
		t.Errorf("tree = %s truncated=%v", got, tree["truncated"])
	}
	blobSHA := state.HashObject("blob", []byte("FROM alpine:3.19\n"))
	h.want(h.do("GET", "/repos/acme/app/git/blobs/"+blobSHA, nil), 200, base64.StdEncoding.EncodeToString([]byte("FROM alpine:3.19\n")))

	gc := h.do("GET", "/repos/acme/app/git/commits/"+bumpSHA, nil).json(t)
	if gc["parents"].([]any)[0].(map[string]any)["sha"] != mainSHA || gc["verification"].(map[string]any)["verified"] != true {
		t.Errorf("git commit = %v", gc)
	}
	c := h.do("GET", "/repos/acme/app/commits/bump", nil).json(t)
	if c["sha"] != bumpSHA {
		t.Errorf("commits/bump sha = %v, want %s", c["sha"], bumpSHA)
	}
}

func TestPullsLabelsReviewers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, appSeed)
	h.want(h.do("POST", "/repos/acme/app/git/refs", map[string]string{"ref": "refs/heads/same",
		"sha": h.do("GET", "/repos/acme/app/git/ref/heads/main", nil).json(t)["object"].(map[string]any)["sha"].(string)}), 201, "")
	h.want(h.do("POST", "/repos/acme/app/pulls", map[string]any{"head": "same", "base": "main", "title": "t"}), 422, "No commits between main and same")
	r := h.do("POST", "/repos/acme/app/pulls", map[string]any{"head": "acme:bump", "base": "main", "title": "Bump alpine", "body": "b"})
	h.want(r, 201, "")
	pr := r.json(t)
	if pr["number"].(float64) != 1 || pr["html_url"] != h.url+"/acme/app/pull/1" {
		t.Errorf("pr = %v %v", pr["number"], pr["html_url"])
	}
	h.want(h.do("POST", "/repos/acme/app/pulls", map[string]any{"head": "bump", "base": "main", "title": "again"}), 422, "A pull request already exists for acme:bump.")

	h.want(h.do("POST", "/repos/acme/app/issues/1/labels", map[string]any{"labels": []string{"deps", "docker"}}), 200, `"name":"docker"`)
	h.want(h.do("POST", "/repos/acme/app/pulls/1/requested_reviewers", map[string]any{"reviewers": []string{"alice"}, "team_reviewers": []string{"platform"}}), 201, `"login":"alice"`)
	h.want(h.do("POST", "/repos/acme/app/issues/1/assignees", map[string]any{"assignees": []string{"alice"}}), 201, `"assignees":[{`)
	h.want(h.do("GET", "/repos/acme/app/labels", nil), 200, `"name":"deps"`)
	h.want(h.do("POST", "/repos/acme/app/labels", map[string]any{"name": "foo", "color": "invalid"}), 422, `"code":"invalid"`)

	list := h.do("GET", "/repos/acme/app/pulls?head=acme:bump&state=open", nil).list(t)
	if len(list) != 1 {
		t.Fatalf("pulls by head = %d, want 1", len(list))
	}
	if n := len(h.do("GET", "/repos/acme/app/pulls?head=acme:other", nil).list(t)); n != 0 {
		t.Errorf("pulls by other head = %d", n)
	}
	h.want(h.do("PATCH", "/repos/acme/app/pulls/1", map[string]any{"state": "closed"}), 200, `"state":"closed"`)
	if n := len(h.do("GET", "/repos/acme/app/pulls", nil).list(t)); n != 0 {
		t.Errorf("open pulls after close = %d", n)
	}
	prs, err := h.srv.PullRequests("acme", "app")
	if err != nil || len(prs) != 1 || len(prs[0].Labels) != 2 || len(prs[0].RequestedReviewers) != 1 || len(prs[0].RequestedTeams) != 1 || len(prs[0].Assignees) != 1 {
		t.Errorf("PullRequests = %+v, %v", prs, err)
	}
}

func TestPaginationLinks(t *testing.T) {
	t.Parallel()
	seed := ghsim.Seed{}
	for i := range 7 {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("acme/r%d", i), AutoInit: true})
	}
	h := newHarness(t, seed)
	r := h.do("GET", "/orgs/acme/repos?per_page=3", nil)
	want := fmt.Sprintf(`<%[1]s/orgs/acme/repos?per_page=3&page=2>; rel="next", <%[1]s/orgs/acme/repos?per_page=3&page=3>; rel="last"`, h.url)
	if got := r.header.Get("Link"); got != want {
		t.Errorf("Link page 1 =\n%s\nwant\n%s", got, want)
	}
	r = h.do("GET", "/api/v3/orgs/acme/repos?per_page=3&page=2", nil)
	want = fmt.Sprintf(`<%[1]s/api/v3/orgs/acme/repos?per_page=3&page=1>; rel="prev", <%[1]s/api/v3/orgs/acme/repos?per_page=3&page=3>; rel="next", <%[1]s/api/v3/orgs/acme/repos?per_page=3&page=3>; rel="last", <%[1]s/api/v3/orgs/acme/repos?per_page=3&page=1>; rel="first"`, h.url)
	if got := r.header.Get("Link"); got != want {
		t.Errorf("Link page 2 =\n%s\nwant\n%s", got, want)
	}
	if n := len(h.do("GET", "/orgs/acme/repos?per_page=3&page=3", nil).list(t)); n != 1 {
		t.Errorf("page 3 has %d repos, want 1", n)
	}
}

func TestSearchCode(t *testing.T) {
	t.Parallel()
	seed := ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/fork", ForkOf: "acme/app"}}}
	seed.Repos = append(append([]ghsim.SeedRepo(nil), appSeed.Repos...), seed.Repos...)
	seed.Tokens = appSeed.Tokens
	for i := range 25 {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("many/r%02d", i), Files: map[string]string{
			"a/Dockerfile": "FROM debian:12\n", "b/Dockerfile": "FROM debian:12\n"}})
	}
	seed.IndexLag = ptr(30 * time.Second)
	h := newHarness(t, seed)
	r := h.do("GET", "/search/code?q=alpine+filename:Dockerfile", nil)
	body := r.json(t)
	if body["total_count"].(float64) != 2 || body["incomplete_results"] != false {
		t.Errorf("alpine: %s", r.body)
	}
	item := body["items"].([]any)[0].(map[string]any)
	if item["path"] != "Dockerfile" || item["sha"] != state.HashObject("blob", []byte("FROM alpine:3.19\n")) || item["score"] == nil {
		t.Errorf("item = %v", item)
	}
	if n := h.do("GET", "/search/code?q=alpine+filename:Dockerfile+fork:true", nil).json(t)["total_count"].(float64); n != 3 {
		t.Errorf("with forks: %v, want 3", n)
	}
	if r := h.doAs("reader", "GET", "/search/code?q=alpine", nil); r.json(t)["total_count"] != 1.0 {
		t.Errorf("reader sees %s, want 1 hit (acme/secret is private)", r.body)
	}
	h.want(h.doAs("reader", "GET", "/search/code?q=alpine+repo:acme/secret", nil), 422, "Validation Failed")
	h.want(h.do("GET", "/search/code?q=language:Dockerfile", nil), 422, "Validation Failed")

	r = h.do("GET", "/search/code?q=debian&per_page=20&page=2", nil)
	if n := len(r.json(t)["items"].([]any)); n != 20 || !strings.Contains(r.header.Get("Link"), `page=3>; rel="last"`) {
		t.Errorf("page 2: %d items, Link %s", n, r.header.Get("Link"))
	}
	if r.header.Get("X-Ratelimit-Resource") != "code_search" {
		t.Errorf("resource = %q", r.header.Get("X-Ratelimit-Resource"))
	}
	h.want(h.do("GET", "/search/code?q=debian&per_page=100&page=11", nil), 422, "Only the first 1000 search results are available")

	// Index lag: a new commit is not searchable until the lag has passed.
	put := map[string]any{"message": "add", "content": base64.StdEncoding.EncodeToString([]byte("FROM ubuntu:24.04\n"))}
	h.want(h.do("PUT", "/repos/acme/app/contents/new/Dockerfile", put), 201, "")
	if n := h.do("GET", "/search/code?q=ubuntu", nil).json(t)["total_count"].(float64); n != 0 {
		t.Errorf("found before the lag: %v", n)
	}
	h.clk.Advance(30 * time.Second)
	if n := h.do("GET", "/search/code?q=ubuntu", nil).json(t)["total_count"].(float64); n != 1 {
		t.Errorf("after the lag: %v, want 1", n)
	}
}

func ptr(d time.Duration) *limiterDuration { v := limiterDuration(d); return &v }

func TestForkAppearsAfterDelay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ghsim.Seed{ForkDelay: ptr(10 * time.Second), Repos: appSeed.Repos})
	r := h.do("POST", "/repos/acme/app/forks", map[string]any{})
	h.want(r, 202, `"fork":true`)
	h.want(h.do("GET", "/repos/admin/app", nil), 404, "")
	h.clk.Advance(10 * time.Second)
	h.want(h.do("GET", "/repos/admin/app", nil), 200, `"fork":true`)
}

func TestSeedFileAndAdminAPI(t *testing.T) {
	t.Parallel()
	seed, err := ghsim.ParseSeed([]byte(`
orgs: [acme]
tokens:
  - {token: w1, login: wendy, default: read, repos: {acme/app: write}}
repos:
  - name: acme/app
    autoMergeAllowed: true
    files: {Dockerfile: "FROM alpine:3.19\n"}
    branches: [{name: bump, files: {Dockerfile: "FROM alpine:3.20\n"}}]
    labels: [deps]
    pulls: [{head: bump, title: Bump, labels: [deps]}]
indexLag: 5s
`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, seed)
	h.want(h.doAs("w1", "GET", "/repos/acme/app/pulls/1", nil), 200, `"name":"deps"`)
	if _, err := ghsim.ParseSeed([]byte("repos: [{name: a/b, bogus: 1}]")); err == nil {
		t.Error("unknown seed key accepted")
	}
	h.want(h.doAs("w1", "GET", "/_sim/stats", nil), 401, "")
	h.want(h.do("POST", "/_sim/seed", map[string]any{"repos": []map[string]any{{"name": "acme/more", "autoInit": true}}}), 204, "")
	h.want(h.do("GET", "/repos/acme/more", nil), 200, "")
	st := h.do("GET", "/_sim/stats", nil).json(t)
	if eps := st["endpoints"].(map[string]any); eps["GET /repos/{owner}/{repo}"].(float64) != 1 {
		t.Errorf("endpoint stats = %v", eps)
	}
}

func TestEndpointKeysInStats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, appSeed)
	h.want(h.do("GET", "/api/v3/repos/acme/app/git/ref/heads/main", nil), 200, "")
	h.want(h.do("GET", "/repos/acme/app/contents/ci/Dockerfile.test", nil), 200, "")
	h.want(h.do("GET", "/rate_limit", nil), 200, `"resources"`)
	st := h.srv.Stats()
	for _, k := range []string{"GET /repos/{owner}/{repo}/git/ref/{ref}", "GET /repos/{owner}/{repo}/contents/{path}"} {
		if st.Endpoints[k] != 1 {
			t.Errorf("Endpoints[%q] = %d, want 1 (all: %v)", k, st.Endpoints[k], st.Endpoints)
		}
	}
}

func TestIssuesShareNumbersWithPulls(t *testing.T) {
	t.Parallel()
	h := newHarness(t, appSeed)
	r := h.do("POST", "/repos/acme/app/issues", map[string]any{"title": "Issue without a label"})
	h.want(r, 201, `"number":1`)
	if loc := r.header.Get("Location"); loc != h.url+"/repos/acme/app/issues/1" {
		t.Errorf("Location = %q", loc)
	}
	if _, ok := r.json(t)["pull_request"]; ok {
		t.Error("an issue carries pull_request")
	}
	h.want(h.do("POST", "/repos/acme/app/pulls", map[string]any{"head": "bump", "base": "main", "title": "Bump"}), 201, `"number":2`)
	h.want(h.do("POST", "/repos/acme/app/issues", map[string]any{"title": "Another"}), 201, `"number":3`)
	h.want(h.do("POST", "/repos/acme/app/issues/1/labels", map[string]any{"labels": []string{"Foo", "bAr"}}), 200, `"name":"bAr"`)
	h.want(h.do("GET", "/repos/acme/app/pulls/1", nil), 404, "")
	if n := len(h.do("GET", "/repos/acme/app/pulls", nil).list(t)); n != 1 {
		t.Errorf("pulls = %d, want 1 (issues are not pull requests)", n)
	}
	repo := h.do("GET", "/repos/acme/app", nil).json(t)
	r = h.do("GET", fmt.Sprintf("/repositories/%d/issues?per_page=2", int64(repo["id"].(float64))), nil)
	items := r.list(t)
	if len(items) != 2 || items[0]["number"].(float64) != 3 || !strings.Contains(r.header.Get("Link"), `rel="next"`) {
		t.Errorf("issues page 1 = %d items, first #%v, Link %q", len(items), items[0]["number"], r.header.Get("Link"))
	}
	h.want(h.do("GET", "/repos/acme/app/issues/1", nil), 200, `"name":"Foo"`)
}
