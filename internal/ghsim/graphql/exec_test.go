package graphql

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shurcooL/githubv4"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func TestFragmentsVariablesDirectives(t *testing.T) {
	e := newEnv(t)
	r := e.do(`query Q($owner: String!, $name: String! = "app", $withURL: Boolean!) {
  repository(owner: $owner, name: $name) {
    ...Basics
    ... on Repository { nameWithOwner }
    url @include(if: $withURL)
    id @skip(if: true)
    alias1: name
  }
}
fragment Basics on Repository { name owner { ... on Organization { login } __typename } name }`,
		map[string]any{"owner": "acme", "withURL": false}).ok(t)
	want := `{"data":{"repository":{"name":"app","owner":{"login":"acme","__typename":"Organization"},"nameWithOwner":"acme/app","alias1":"app"}}}`
	if got := string(r.raw); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestOperationName(t *testing.T) {
	e := newEnv(t)
	doc := `query A { viewer { login } } query B { organization(login: "acme") { login } }`
	body := func(name string) result {
		status, raw := e.postJSON(map[string]any{"query": doc, "operationName": name})
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		return raw
	}
	if got := body("B").str(t, "organization", "login"); got != "acme" {
		t.Errorf("operation B: %q", got)
	}
	if r := body(""); len(r.Errors) != 1 || r.Errors[0]["message"] != "An operation name is required" {
		t.Errorf("no name: %s", r.raw)
	}
}

func TestManyAliases(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("query {\n")
	for i := range 50 {
		name := "app"
		if i%10 == 9 {
			name = fmt.Sprintf("missing%d", i)
		}
		fmt.Fprintf(&b, "  r%d: repository(owner: \"acme\", name: %q) { nameWithOwner\n", i, name)
		for j, p := range []string{"Dockerfile", "README.md", "nope"} {
			fmt.Fprintf(&b, "    f%d: object(expression: \"HEAD:%s\") { ... on Blob { text } }\n", j, p)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("  rateLimit { cost }\n}")
	r := e.do(b.String(), nil)
	if len(r.Errors) != 5 {
		t.Errorf("got %d errors, want 5 (one per missing repository): %s", len(r.Errors), r.raw)
	}
	for i := range 50 {
		key := fmt.Sprintf("r%d", i)
		if i%10 == 9 {
			if r.get(t, key) != nil {
				t.Errorf("%s should be null", key)
			}
			continue
		}
		if got := r.str(t, key, "f0", "text"); got != "FROM alpine:3.19\n" {
			t.Errorf("%s.f0.text = %q", key, got)
		}
		if r.get(t, key, "f2") != nil {
			t.Errorf("%s.f2 should be null", key)
		}
	}
	if r.get(t, "rateLimit", "cost") != 1.0 {
		t.Errorf("cost = %v, want 1", r.get(t, "rateLimit", "cost"))
	}
}

func TestOrganizationRepositoriesPagination(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"b", "c", "d"} {
		if _, err := e.w.CreateRepo(nil, state.NewRepo{Owner: "acme", Name: n, AutoInit: true}); err != nil {
			t.Fatal(err)
		}
	}
	doc := `query($after: String) { organization(login: "acme") { id login team(slug: "platform") { id slug }
  repositories(first: 2, after: $after, isFork: false, orderBy: {field: NAME, direction: ASC}) {
    totalCount pageInfo { hasNextPage endCursor } nodes { name } } } }`
	var names []string
	var after any
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		r := e.do(doc, map[string]any{"after": after}).ok(t)
		if got := r.get(t, "organization", "repositories", "totalCount"); got != 4.0 {
			t.Errorf("totalCount = %v, want 4", got)
		}
		if r.str(t, "organization", "team", "slug") != "platform" {
			t.Errorf("team = %v", r.get(t, "organization", "team"))
		}
		for _, n := range r.get(t, "organization", "repositories", "nodes").([]any) {
			names = append(names, n.(map[string]any)["name"].(string))
		}
		if r.get(t, "organization", "repositories", "pageInfo", "hasNextPage") != true {
			break
		}
		after = r.str(t, "organization", "repositories", "pageInfo", "endCursor")
	}
	if diff := cmp.Diff([]string{"app", "b", "c", "d"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	r := e.do(`{ organization(login: "nope") { id } user(login: "alice") { login } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0]["message"] != "Could not resolve to an Organization with the login of 'nope'." || r.str(t, "user", "login") != "alice" {
		t.Errorf("organization/user: %s", r.raw)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	q := `{ rateLimit { cost limit remaining used resetAt nodeCount } }`
	first := e.do(q, nil).ok(t)
	second := e.do(q, nil).ok(t)
	if first.get(t, "rateLimit", "used") != 1.0 || second.get(t, "rateLimit", "used") != 2.0 || second.get(t, "rateLimit", "remaining") != 4998.0 {
		t.Errorf("rateLimit: %s then %s", first.raw, second.raw)
	}
	wantReset := e.clk.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if got := first.str(t, "rateLimit", "resetAt"); got != wantReset {
		t.Errorf("resetAt = %q, want %q", got, wantReset)
	}
	e.clk.Advance(time.Hour)
	if got := e.do(q, nil).get(t, "rateLimit", "used"); got != 1.0 {
		t.Errorf("used after the window = %v, want 1", got)
	}
	n := e.do(`{ organization(login:"acme") { repositories(first: 50) { nodes { pullRequests(first: 10) { totalCount } } } } rateLimit { nodeCount cost } }`, nil).ok(t)
	if n.get(t, "rateLimit", "nodeCount") != 550.0 || n.get(t, "rateLimit", "cost") != 1.0 {
		t.Errorf("nodeCount/cost = %v", n.get(t, "rateLimit"))
	}
}

type fieldLog struct {
	mu     sync.Mutex
	fields []string
}

func (l *fieldLog) RecordField(op, field string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fields = append(l.fields, op+"."+field)
}

func TestRecordsTopLevelFields(t *testing.T) {
	e := newEnv(t)
	h := NewHandler(e.w, Options{Clock: e.clk})
	log := &fieldLog{}
	actor, _ := e.w.TokenFor("t-writer")
	q := `{ a: viewer { login } b: viewer { login } repository(owner:"acme", name:"app") { name } }`
	req, _ := http.NewRequest(http.MethodPost, "/graphql", strings.NewReader(fmt.Sprintf(`{"query":%q}`, q)))
	req = req.WithContext(state.WithRecorder(state.WithActor(req.Context(), actor), log))
	resp := h.execute(req, &request{Query: &q}, http.Header{})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %v", resp.Errors)
	}
	if diff := cmp.Diff([]string{"query.viewer", "query.viewer", "query.repository"}, log.fields); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
}

// TestGithubv4 runs the real githubv4 client, unchanged, against the handler.
func TestGithubv4(t *testing.T) {
	e := newEnv(t)
	hc := &http.Client{Transport: bearer{token: "t-writer"}}
	client := githubv4.NewEnterpriseClient(e.srv.URL+"/graphql", hc)
	var q struct {
		Viewer struct{ Login string }
		App    struct {
			NameWithOwner    string
			ID               githubv4.ID
			ViewerPermission githubv4.RepositoryPermission
			DefaultBranchRef struct {
				Name   string
				Target struct{ Oid githubv4.GitObjectID }
			}
			Dockerfile struct {
				Blob struct{ Text string } `graphql:"... on Blob"`
			} `graphql:"dockerfile: object(expression: \"HEAD:Dockerfile\")"`
		} `graphql:"app: repository(owner: $owner, name: $name)"`
	}
	if err := client.Query(context.Background(), &q, map[string]any{"owner": githubv4.String("acme"), "name": githubv4.String("app")}); err != nil {
		t.Fatal(err)
	}
	if q.Viewer.Login != "octo" || q.App.NameWithOwner != "acme/app" || q.App.ViewerPermission != githubv4.RepositoryPermissionWrite ||
		q.App.DefaultBranchRef.Name != "main" || string(q.App.DefaultBranchRef.Target.Oid) != e.headOID("main") ||
		q.App.Dockerfile.Blob.Text != "FROM alpine:3.19\n" {
		t.Errorf("query = %+v", q)
	}
	var m struct {
		CreateRef struct {
			Ref struct {
				Name   string
				Target struct{ Oid githubv4.GitObjectID }
			}
		} `graphql:"createRef(input: $input)"`
	}
	input := githubv4.CreateRefInput{RepositoryID: q.App.ID, Name: "refs/heads/v4", Oid: q.App.DefaultBranchRef.Target.Oid}
	if err := client.Mutate(context.Background(), &m, input, nil); err != nil {
		t.Fatal(err)
	}
	if m.CreateRef.Ref.Name != "v4" || e.headOID("v4") != e.headOID("main") {
		t.Errorf("createRef = %+v", m.CreateRef)
	}
	// A second createRef fails; githubv4 reports GitHub's message.
	err := client.Mutate(context.Background(), &m, input, nil)
	if err == nil || !strings.Contains(err.Error(), "Reference already exists") {
		t.Errorf("duplicate createRef error = %v", err)
	}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestNonNullErrorPropagatesToParent(t *testing.T) {
	e := newEnv(t)
	// Repository.forkCount is Int! and not simulated: the error nulls the
	// repository, the nearest nullable parent, and viewer is still answered.
	r := e.do(`{ viewer { login } repository(owner:"acme", name:"app") { name forkCount } }`, nil)
	if r.get(t, "repository") != nil || r.str(t, "viewer", "login") != "octo" {
		t.Errorf("data = %s", r.raw)
	}
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "SIMULATOR_UNSUPPORTED" {
		t.Fatalf("errors = %s", r.raw)
	}
	if diff := cmp.Diff([]any{"repository", "forkCount"}, r.Errors[0]["path"]); diff != "" {
		t.Errorf("path (-want +got):\n%s", diff)
	}
}

func TestNodeLimit(t *testing.T) {
	e := newEnv(t)
	r := e.do(`{ organization(login:"acme") { repositories(first: 100) { nodes {
  pullRequests(first: 100) { nodes { labels(first: 100) { totalCount } } } } } } }`, nil)
	if r.Data != nil || len(r.Errors) != 1 || r.Errors[0]["type"] != "MAX_NODE_LIMIT_EXCEEDED" {
		t.Errorf("response = %s", r.raw)
	}
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	base := e.headOID("main")
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, body := e.post("t-writer", `{ repository(owner:"acme", name:"app") { object(expression:"HEAD:Dockerfile") { ... on Blob { text } } } }`, nil)
			if !strings.Contains(string(body), "FROM alpine") {
				errs <- string(body)
			}
		}()
		go func() {
			defer wg.Done()
			_, body := e.post("t-writer", fmt.Sprintf(`mutation { createRef(input: {repositoryId: %q, name: "refs/heads/c%d", oid: %q}) { ref { name } } }`, e.app.NodeID, i, base), nil)
			if !strings.Contains(string(body), fmt.Sprintf(`"name":"c%d"`, i)) {
				errs <- string(body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// TestRateLimitFollowsLimiterHeaders checks that rateLimit reports the
// window the limiter middleware announced in its headers.
func TestRateLimitFollowsLimiterHeaders(t *testing.T) {
	e := newEnv(t)
	h := NewHandler(e.w, Options{Clock: e.clk})
	actor, _ := e.w.TokenFor("t-writer")
	q := `{ rateLimit { limit remaining used resetAt } }`
	req, _ := http.NewRequest(http.MethodPost, "/graphql", nil)
	req = req.WithContext(state.WithActor(req.Context(), actor))
	hdr := http.Header{}
	hdr.Set("X-Ratelimit-Resource", "graphql")
	hdr.Set("X-Ratelimit-Limit", "1000")
	hdr.Set("X-Ratelimit-Used", "7")
	hdr.Set("X-Ratelimit-Reset", "1767326645")
	resp := h.execute(req, &request{Query: &q}, hdr)
	body, err := resp.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"data":{"rateLimit":{"limit":1000,"remaining":993,"used":7,"resetAt":"2026-01-02T04:04:05Z"}}}`
	if string(body) != want {
		t.Errorf("body = %s, want %s", body, want)
	}
}

func TestResolverPanicBecomesFieldError(t *testing.T) {
	e := newEnv(t)
	resolvers["Query"]["codeOfConduct"] = func(*execCtx, any, map[string]any) (any, error) { panic("boom") }
	defer delete(resolvers["Query"], "codeOfConduct")
	r := e.do(`{ codeOfConduct(key: "x") { name } viewer { login } }`, nil)
	if r.str(t, "viewer", "login") != "octo" || r.get(t, "codeOfConduct") != nil {
		t.Errorf("data = %s", r.raw)
	}
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "INTERNAL" || !strings.Contains(r.Errors[0]["message"].(string), "boom") {
		t.Errorf("errors = %s", r.raw)
	}
}
