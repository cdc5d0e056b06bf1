package ghsimtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/dfiu/dfiu/internal/testshared"
)

// recordingTB is a testing.TB that keeps what the validator reports instead
// of failing the real test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	skips  []string
	fatals []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skips = append(r.skips, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func (r *recordingTB) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

func newRequest(t *testing.T, method, target, body string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1:1234"+target, strings.NewReader(body))
	req.Header.Set("Authorization", "token sim-token")
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}}
}

// codeSearchExample returns the description's documented search/code page.
func codeSearchExample(t *testing.T, spec *Spec) map[string]any {
	t.Helper()
	b, err := spec.Example("code-search-result-item-paginated")
	if err != nil {
		t.Fatal(err)
	}
	var page map[string]any
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("decoding example: %v", err)
	}
	if items, _ := page["items"].([]any); len(items) == 0 {
		t.Fatalf("example has no items: %s", b)
	}
	return page
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return b
}

func TestValidateSearchCode(t *testing.T) {
	spec := Require(t)
	good := codeSearchExample(t, spec)
	bad := codeSearchExample(t, spec)
	delete(bad["items"].([]any)[0].(map[string]any), "score")
	wrongType := codeSearchExample(t, spec)
	wrongType["total_count"] = "7"

	tests := []struct {
		name    string
		target  string
		body    map[string]any
		wantErr string // "" = valid
	}{
		{"documented example", "/search/code?q=FROM+filename:Dockerfile&per_page=100&page=2", good, ""},
		{"documented example under /api/v3", "/api/v3/search/code?q=FROM", good, ""},
		{"item without score", "/search/code?q=FROM", bad, "score"},
		{"total_count as string", "/search/code?q=FROM", wrongType, "total_count"},
		{"missing required q", "/search/code?per_page=10", good, "q"},
		{"per_page not an integer", "/search/code?q=x&per_page=lots", good, "per_page"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := spec.Validate(Exchange{
				Request: newRequest(t, http.MethodGet, tc.target, ""),
				Status:  http.StatusOK,
				Header:  jsonHeader(),
				Body:    mustJSON(t, tc.body),
			})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error about %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("Validate() = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestValidateRoutes(t *testing.T) {
	spec := Require(t)
	tests := []struct {
		method, path string
		wantOp       string // "" = not an operation
	}{
		{"GET", "/repos/acme/app/contents/Dockerfile", "repos/get-content"},
		{"GET", "/repos/acme/app/contents/svc/api/Dockerfile?ref=main", "repos/get-content"},
		{"PUT", "/api/v3/repos/acme/app/contents/a/b/c.txt", "repos/create-or-update-file-contents"},
		{"GET", "/repos/acme/app/git/ref/heads/feature/x", "git/get-ref"},
		{"PATCH", "/repos/acme/app/git/refs/heads/dfiu/bump", "git/update-ref"},
		{"GET", "/repos/acme/app/git/matching-refs/heads/dfiu", "git/list-matching-refs"},
		{"POST", "/repos/acme/app/git/refs", "git/create-ref"},
		{"GET", "/repos/acme/app/git/trees/main?recursive=1", "git/get-tree"},
		{"GET", "/repos/acme/app/commits/main", "repos/get-commit"},
		{"GET", "/repos/acme/app/pulls/7", "pulls/get"},
		{"GET", "/orgs/acme/repos", "repos/list-for-org"},
		{"GET", "/api/v3/rate_limit", "rate-limit/get"},
		{"GET", "/repos/acme/app/nonsense", ""},
		{"GET", "/search/dockerfiles", ""},
		{"DELETE", "/search/code", ""},
		{"GET", "/api/v4/user", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			op, _, err := spec.Operation(tc.method, tc.path)
			if tc.wantOp == "" {
				if err == nil {
					t.Fatalf("Operation() = %q, want an error for an undocumented path", op)
				}
				return
			}
			if err != nil {
				t.Fatalf("Operation() error: %v", err)
			}
			if op != tc.wantOp {
				t.Fatalf("Operation() = %q, want %q", op, tc.wantOp)
			}
		})
	}
}

func TestValidateStatusesAndBodies(t *testing.T) {
	spec := Require(t)
	repoPath := "/repos/acme/app/git/refs"
	tests := []struct {
		name     string
		method   string
		target   string
		reqBody  string
		status   int
		header   http.Header
		respBody string
		wantErr  bool
	}{
		{"create-ref request without sha", "POST", repoPath, `{"ref":"refs/heads/x"}`, 201, jsonHeader(), `{}`, true},
		{"create-ref request with sha as number", "POST", repoPath, `{"ref":"refs/heads/x","sha":5}`, 201, jsonHeader(), `{}`, true},
		{"create-ref 422 documented", "POST", repoPath, `{"ref":"refs/heads/x","sha":"aa"}`, 422, jsonHeader(),
			`{"message":"Reference already exists","documentation_url":"https://docs.github.com/rest/git/refs#create-a-reference"}`, false},
		{"undocumented 418", "POST", repoPath, `{"ref":"refs/heads/x","sha":"aa"}`, 418, jsonHeader(), `{"message":"teapot"}`, true},
		{"undocumented 200 instead of 201", "POST", repoPath, `{"ref":"refs/heads/x","sha":"aa"}`, 200, jsonHeader(), `{}`, true},
		{"secondary limit 403 undocumented but universal", "POST", repoPath, `{"ref":"refs/heads/x","sha":"aa"}`, 403, jsonHeader(),
			`{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`, false},
		{"429 without JSON body", "GET", "/repos/acme/app", "", 429, http.Header{"Content-Type": {"text/plain"}}, `slow down`, true},
		{"401 bad credentials", "GET", "/repos/acme/app/pulls", "", 401, jsonHeader(),
			`{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`, false},
		{"401 without message", "GET", "/repos/acme/app/pulls", "", 401, jsonHeader(), `{"error":"nope"}`, true},
		{"raw content", "GET", "/repos/acme/app/contents/README.md", "", 200,
			http.Header{"Content-Type": {"application/vnd.github.v3.raw; charset=utf-8"}}, "# hello", false},
		{"raw asked, JSON answered", "GET", "/repos/acme/app/contents/README.md", "", 200, jsonHeader(), `{}`, true},
		{"add-labels with a bare array (go-github's form)", "POST", "/repos/acme/app/issues/1/labels", `["dependencies"]`, 200, jsonHeader(),
			`[{"id":1,"node_id":"LA_1","url":"u","name":"dependencies","description":null,"color":"ededed","default":false}]`, false},
		{"add-labels with a number", "POST", "/repos/acme/app/issues/1/labels", `[5]`, 200, jsonHeader(), `[]`, true},
		{"contents 409 basic error (overlapping oneOf)", "PUT", "/repos/acme/app/contents/a.txt", `{"message":"m","content":"eA=="}`, 409, jsonHeader(),
			`{"message":"a.txt does not match 1111111111111111111111111111111111111111","documentation_url":"https://docs.github.com/rest/repos/contents#create-or-update-file-contents","status":"409"}`, false},
		{"create-label 201 without Location", "POST", "/repos/acme/app/labels", `{"name":"x"}`, 201, jsonHeader(),
			`{"id":1,"node_id":"LA_1","url":"u","name":"x","description":null,"color":"ededed","default":false}`, true},
		{"create-label 201 with Location", "POST", "/repos/acme/app/labels", `{"name":"x"}`, 201,
			http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Location": {"https://api.github.com/repos/acme/app/labels/x"}},
			`{"id":1,"node_id":"LA_1","url":"u","name":"x","description":null,"color":"ededed","default":false}`, false},
		{"graphql is not REST", "POST", "/api/graphql", `{"query":"{viewer{login}}"}`, 200, jsonHeader(), `not even json`, false},
		{"admin API is not REST", "GET", "/_sim/stats", "", 200, jsonHeader(), `[]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, tc.method, tc.target, tc.reqBody)
			if strings.HasPrefix(tc.name, "raw") {
				req.Header.Set("Accept", "application/vnd.github.v3.raw")
			}
			err := spec.Validate(Exchange{Request: req, RequestBody: []byte(tc.reqBody), Status: tc.status, Header: tc.header, Body: []byte(tc.respBody)})
			if tc.wantErr && err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			if !tc.wantErr && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
		})
	}
}

// recordingDivergence is a known difference between the 2022 recordings and
// the newer description; each one says why it is not a validator bug.
type recordingDivergence struct {
	reason string
	match  func(rec Recorded, body map[string]any) bool
	// patch updates body so that the rest of it is still validated; nil
	// skips the exchange.
	patch func(body map[string]any)
}

var recordingDivergences = []recordingDivergence{
	{
		reason: "full-repository gained the required has_discussions after the recording (2022-07)",
		match: func(rec Recorded, body map[string]any) bool {
			_, full := body["full_name"]
			_, has := body["has_discussions"]
			return full && !has
		},
		patch: func(body map[string]any) { body["has_discussions"] = false },
	},
	{
		reason: "search/issues gained the required search_type after the recording",
		match: func(rec Recorded, body map[string]any) bool {
			_, has := body["search_type"]
			return strings.HasPrefix(rec.Path, "/search/issues") && !has
		},
		patch: func(body map[string]any) { body["search_type"] = "lexical" },
	},
	{
		reason: "GET /repositories/{id}/issues is GitHub's legacy URL in Link headers; the description does not document it",
		match: func(rec Recorded, _ map[string]any) bool {
			return strings.HasPrefix(rec.Path, "/repositories/")
		},
	},
	{
		reason: "GET /repos/{owner}/{repo}/git/refs/ (list all refs) was dropped from the description for git/matching-refs",
		match: func(rec Recorded, _ map[string]any) bool {
			return rec.Method == http.MethodGet && strings.HasSuffix(rec.Path, "/git/refs/")
		},
	},
}

// TestRecordedSessionsValidate checks the validator against real GitHub: every
// exchange of the recorded sessions must pass, so that a failure against the
// simulator means the simulator, not the validator, is wrong. Known
// differences between the 2022 recordings and the current description are
// listed above with their reasons, and each must still occur.
func TestRecordedSessionsValidate(t *testing.T) {
	spec := Require(t)
	scenarios, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	if len(scenarios) == 0 {
		t.Fatal("no recorded scenarios found")
	}
	checked := 0
	used := make([]int, len(recordingDivergences))
	for _, name := range scenarios {
		recs, err := LoadFixture(name)
		if err != nil {
			t.Fatal(err)
		}
	exchanges:
		for i, rec := range recs {
			respBody := rec.ResponseBody()
			var obj map[string]any
			_ = json.Unmarshal(respBody, &obj) // arrays and raw bodies stay nil
			for d, div := range recordingDivergences {
				if !div.match(rec, obj) {
					continue
				}
				used[d]++
				if div.patch == nil {
					t.Logf("%s[%d] %s %s skipped: %s", name, i, rec.Method, rec.Path, div.reason)
					continue exchanges
				}
				div.patch(obj)
				respBody = mustJSON(t, obj)
			}
			req := newRequest(t, rec.Method, rec.Path, string(rec.RequestBody()))
			if a := rec.RequestHeader("accept"); a != "" {
				req.Header.Set("Accept", a)
			}
			err := spec.Validate(Exchange{Request: req, RequestBody: rec.RequestBody(), Status: rec.Status, Header: rec.Header(), Body: respBody})
			if err != nil {
				t.Errorf("%s[%d] %s %s: %v", name, i, rec.Method, rec.Path, err)
			}
			checked++
		}
	}
	for d, n := range used {
		if n == 0 {
			t.Errorf("known divergence %q never occurred; remove it", recordingDivergences[d].reason)
		}
	}
	if checked < 30 {
		t.Fatalf("validated %d recorded exchanges, want at least 30", checked)
	}
}

func TestTransportReportsMismatches(t *testing.T) {
	Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch r.URL.Path {
		case "/api/v3/rate_limit":
			w.Write([]byte(`{"resources":{}}`)) // lacks "rate"
		case "/api/v3/repos/acme/app/git/ref/heads/main":
			w.Write([]byte(`{"ref":"refs/heads/main","node_id":"REF_1","url":"u","object":{"type":"commit","sha":"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391","url":"u"}}`))
		default:
			w.Write([]byte(`{"data":{}}`))
		}
	}))
	defer srv.Close()

	rec := &recordingTB{}
	tr := NewTransport(rec, nil)
	client := &http.Client{Transport: tr}
	for _, p := range []string{"/api/v3/rate_limit", "/api/v3/repos/acme/app/git/ref/heads/main", "/api/v3/repos/acme/app/bogus"} {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		resp.Body.Close()
	}
	resp, err := client.Post(srv.URL+"/api/graphql", "application/json", strings.NewReader(`{"query":"{viewer{login}}"}`))
	if err != nil {
		t.Fatalf("POST graphql: %v", err)
	}
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("the transport must hand the body on intact: %v", err)
	}
	resp.Body.Close()

	if n := tr.Validated(); n != 3 {
		t.Errorf("Validated() = %d, want 3", n)
	}
	if n := tr.ValidatedGraphQL(); n != 1 {
		t.Errorf("ValidatedGraphQL() = %d, want 1", n)
	}
	reported := rec.reported()
	if len(reported) != 3 || len(tr.Failures()) != 3 {
		t.Fatalf("reported %d failures (%d kept), want 3 (rate_limit shape, bogus path, GraphQL data without viewer):\n%s",
			len(reported), len(tr.Failures()), strings.Join(reported, "\n"))
	}
	if !strings.Contains(reported[0], "GET /api/v3/rate_limit → 200") || !strings.Contains(reported[0], "core") {
		t.Errorf("first report %q should name method, path, status and the missing field", reported[0])
	}
	if !strings.Contains(reported[1], "/api/v3/repos/acme/app/bogus") {
		t.Errorf("second report %q should name the undocumented path", reported[1])
	}
	if !strings.Contains(reported[2], "POST /api/graphql → 200") || !strings.Contains(reported[2], "viewer") {
		t.Errorf("third report %q should name the GraphQL endpoint and the missing viewer", reported[2])
	}
}

func TestMiddlewareReportsMismatches(t *testing.T) {
	Require(t)
	rec := &recordingTB{}
	mw := NewMiddleware(rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"ref":"refs/heads/x"}`)) // git-ref lacks node_id, url, object
	}))
	srv := httptest.NewServer(mw)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/repos/acme/app/git/refs", "application/json",
		strings.NewReader(`{"ref":"refs/heads/x","sha":"aa"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want the handler's 201 passed through", resp.StatusCode)
	}
	if got := rec.reported(); len(got) != 1 || !strings.Contains(got[0], "POST /repos/acme/app/git/refs → 201") {
		t.Fatalf("reports = %q, want one naming POST /repos/acme/app/git/refs → 201", got)
	}
}

func TestValidatorMiddlewareFunc(t *testing.T) {
	Require(t)
	rec := &recordingTB{}
	v := NewValidator(rec)
	var wrap func(http.Handler) http.Handler = v.Middleware
	srv := httptest.NewServer(wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`))
	})))
	defer srv.Close()
	for _, p := range []string{"/api/v3/repos/acme/app", "/repos/acme/app/zzz/yyy"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if v.Validated() != 2 {
		t.Errorf("Validated() = %d, want 2", v.Validated())
	}
	if got := rec.reported(); len(got) != 1 || !strings.Contains(got[0], "/repos/acme/app/zzz/yyy") {
		t.Errorf("reports = %q, want one for the undocumented path only", got)
	}
}

func TestShapeDiff(t *testing.T) {
	want := `{"a":1,"b":{"c":"x","d":[{"e":true}]},"n":null,"gone":"x"}`
	tests := []struct {
		name string
		got  string
		opts ShapeOptions
		want []string
	}{
		{"same shape, other values", `{"a":2,"b":{"c":"y","d":[{"e":false},{}]},"n":{"k":1},"gone":""}`, ShapeOptions{}, nil},
		{"type and missing", `{"a":"2","b":{"d":[{"e":1}]},"n":null}`, ShapeOptions{},
			[]string{"$.a: want number, got string", "$.b.c: missing (want string)", "$.b.d[0].e: want boolean, got number", "$.gone: missing (want string)"}},
		{"extra key", `{"a":1,"b":{"c":"x","d":[]},"n":null,"gone":"","new":1}`, ShapeOptions{}, []string{"$.new: unexpected (got number)"}},
		{"extra key allowed", `{"a":1,"b":{"c":"x","d":[]},"n":null,"gone":"","new":1}`, ShapeOptions{AllowExtraKeys: true}, nil},
		{"ignored path", `{"a":1,"b":"flat","n":null}`, ShapeOptions{Ignore: []string{"$.b", "$.gone"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ShapeDiff([]byte(want), []byte(tc.got), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("ShapeDiff() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	if _, err := ShapeDiff([]byte(`{`), []byte(`{}`), ShapeOptions{}); err == nil {
		t.Error("ShapeDiff(invalid JSON) = nil error, want one")
	}
}

func BenchmarkValidate(b *testing.B) {
	spec, err := Load()
	if err != nil {
		testshared.Absent(b, err)
	}
	body, err := spec.Example("code-search-result-item-paginated")
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("http://127.0.0.1/api/v3/search/code?q=FROM&page=1")
	req := &http.Request{Method: "GET", URL: u, Header: http.Header{"Accept": {"application/vnd.github+json"}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := spec.Validate(Exchange{Request: req, Status: 200, Header: jsonHeader(), Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures loading the description (done once per binary).
func BenchmarkLoad(b *testing.B) {
	if _, err := Load(); err != nil {
		testshared.Absent(b, err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := load(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidateConcurrently shares one Spec between goroutines, as parallel
// tests do; run it with -race.
func TestValidateConcurrently(t *testing.T) {
	spec := Require(t)
	body := mustJSON(t, codeSearchExample(t, spec))
	bad := codeSearchExample(t, spec)
	delete(bad["items"].([]any)[0].(map[string]any), "score")
	badBody := mustJSON(t, bad)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				target := fmt.Sprintf("/search/code?q=FROM&page=%d", i+1)
				req := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
				b, wantErr := body, false
				if (g+i)%3 == 0 {
					b, wantErr = badBody, true
				}
				err := spec.Validate(Exchange{Request: req, Status: 200, Header: jsonHeader(), Body: b})
				if (err != nil) != wantErr {
					errs <- fmt.Errorf("goroutine %d request %d: Validate() = %v, want error %v", g, i, err, wantErr)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSkipsWithoutShared runs from a module with no shared/ beside it: the
// descriptions are not found, and a test needing them is skipped with a
// message saying where they were looked for, not failed.
func TestSkipsWithoutShared(t *testing.T) {
	t.Setenv(testshared.RequireEnv, "") // the skip, not CI's failure, is under test
	dir := t.TempDir()
	mod := dir + "/clone"
	if err := os.MkdirAll(mod+"/internal/x", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mod+"/go.mod", []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(mod + "/internal/x")
	_, err := testshared.Path(DescriptionFile)
	if !errors.Is(err, ErrNoDescription) || !strings.Contains(err.Error(), dir+"/shared/github-api/api.github.com.json") {
		t.Fatalf("testshared.Path(DescriptionFile) = %v, want ErrNoDescription naming %s/shared/github-api/api.github.com.json", err, dir)
	}
	if _, err := loadGraphQL(); !errors.Is(err, ErrNoDescription) {
		t.Errorf("loadGraphQL() = %v, want ErrNoDescription", err)
	}
	if _, err := FixturesPath(); !errors.Is(err, ErrNoDescription) {
		t.Errorf("FixturesPath() = %v, want ErrNoDescription", err)
	}
	rec := &recordingTB{}
	require(rec, nil, err)
	if len(rec.skips) != 1 || !strings.Contains(rec.skips[0], "shared") || len(rec.fatals) != 0 {
		t.Errorf("require without shared/: skips %q fatals %q, want one skip naming the path", rec.skips, rec.fatals)
	}
	rec = &recordingTB{}
	require(rec, nil, fmt.Errorf("decoding: %w", io.ErrUnexpectedEOF))
	if len(rec.fatals) != 1 || len(rec.skips) != 0 {
		t.Errorf("require with a broken file: skips %q fatals %q, want a failure", rec.skips, rec.fatals)
	}
}

// TestValidateChecksFormats edits a real recorded repository: a date that is
// not RFC 3339 and an id that is not an integer must be rejected.
func TestValidateChecksFormats(t *testing.T) {
	spec := Require(t)
	recs, err := LoadFixture("get-repository")
	if err != nil {
		t.Fatal(err)
	}
	base := func() map[string]any {
		var repo map[string]any
		if err := json.Unmarshal(recs[0].ResponseBody(), &repo); err != nil {
			t.Fatal(err)
		}
		repo["has_discussions"] = false // see recordingDivergences
		return repo
	}
	tests := []struct {
		name    string
		edit    func(map[string]any)
		wantErr string
	}{
		{"as recorded", func(map[string]any) {}, ""},
		{"created_at not RFC 3339", func(r map[string]any) { r["created_at"] = "2017-10-10 16:00:00" }, "created_at"},
		{"id not an integer", func(r map[string]any) { r["id"] = 1.5 }, "id"},
		{"owner missing login", func(r map[string]any) { delete(r["owner"].(map[string]any), "login") }, "login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := base()
			tc.edit(repo)
			err := spec.Validate(Exchange{
				Request: newRequest(t, "GET", "/repos/octokit-fixture-org/hello-world", ""),
				Status:  200, Header: jsonHeader(), Body: mustJSON(t, repo),
			})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate() = %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
}
