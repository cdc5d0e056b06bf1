package graphql_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
)

// TestBehindTheSimulator runs the handler as the simulator mounts it, behind
// authentication and the limiter, at both GraphQL paths: rateLimit must
// agree with the x-ratelimit-* headers of the same answer.
func TestBehindTheSimulator(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := ghsim.New(ghsim.Options{Clock: clk})
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, path := range []string{"/graphql", "/api/graphql"} {
		for range 2 {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(
				`{"query":"{ rateLimit { limit remaining used resetAt } repository(owner:\"acme\", name:\"app\") { object(expression:\"HEAD:Dockerfile\") { ... on Blob { text } } } }"}`))
			req.Header.Set("Authorization", "bearer "+srv.AdminToken())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Data struct {
					RateLimit struct {
						Limit, Remaining, Used int
						ResetAt                time.Time
					}
					Repository struct{ Object struct{ Text string } }
				}
				Errors []any
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || len(body.Errors) > 0 {
				t.Fatalf("%s: status %d, err %v, errors %v", path, resp.StatusCode, err, body.Errors)
			}
			rl := body.Data.RateLimit
			h := resp.Header
			if strconv.Itoa(rl.Used) != h.Get("X-Ratelimit-Used") || strconv.Itoa(rl.Limit) != h.Get("X-Ratelimit-Limit") ||
				strconv.FormatInt(rl.ResetAt.Unix(), 10) != h.Get("X-Ratelimit-Reset") {
				t.Errorf("%s: rateLimit %+v, headers used=%s limit=%s reset=%s", path, rl,
					h.Get("X-Ratelimit-Used"), h.Get("X-Ratelimit-Limit"), h.Get("X-Ratelimit-Reset"))
			}
			if body.Data.Repository.Object.Text != "FROM alpine:3.19\n" {
				t.Errorf("%s: text = %q", path, body.Data.Repository.Object.Text)
			}
		}
	}
}

// TestContentRefusalFieldBehindTheSimulator: with limits.contentRefusal
// "field" from a seed file, a document of three mutations over the
// content budget is answered HTTP 200: createRef runs, the commit and the
// pull request fail with UNPROCESSABLE "was submitted too quickly", as
// GitHub answers (cli/cli#4801), and change nothing.
func TestContentRefusalFieldBehindTheSimulator(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := ghsim.New(ghsim.Options{Clock: clk})
	seed, err := ghsim.ParseSeed([]byte(`
repos:
  - name: acme/app
    files: {Dockerfile: "FROM alpine:3.19\n"}
limits:
  contentPerMinute: 1
  contentRefusal: field
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	post := func(q string) (int, string) {
		b, _ := json.Marshal(map[string]string{"query": q})
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", strings.NewReader(string(b)))
		req.Header.Set("Authorization", "bearer "+srv.AdminToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(out)
	}
	_, repo := post(`{ repository(owner:"acme", name:"app") { id defaultBranchRef { target { oid } } } }`)
	var r struct {
		Data struct {
			Repository struct {
				ID               string
				DefaultBranchRef struct{ Target struct{ OID string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(repo), &r); err != nil {
		t.Fatal(err)
	}
	id, oid := r.Data.Repository.ID, r.Data.Repository.DefaultBranchRef.Target.OID
	doc := `mutation {
  ref: createRef(input: {repositoryId: "` + id + `", name: "refs/heads/dfiu/x", oid: "` + oid + `"}) { ref { name } }
  commit: createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "acme/app", branchName: "dfiu/x"}, expectedHeadOid: "` + oid + `", message: {headline: "x"}, fileChanges: {additions: [{path: "Dockerfile", contents: "RlJPTSBhbHBpbmU6My4yMAo="}]}}) { commit { oid } }
  pr: createPullRequest(input: {repositoryId: "` + id + `", baseRefName: "main", headRefName: "dfiu/x", title: "x"}) { pullRequest { number } }
}`
	status, body := post(doc)
	var ans struct {
		Data   map[string]json.RawMessage
		Errors []struct {
			Type, Message string
			Path          []string
		}
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	if status != 200 || string(ans.Data["ref"]) != `{"ref":{"name":"dfiu/x"}}` ||
		string(ans.Data["commit"]) != "null" || string(ans.Data["pr"]) != "null" || len(ans.Errors) != 2 {
		t.Fatalf("answer %d %s, want 200 with ref made and commit and pr refused", status, body)
	}
	for i, alias := range []string{"commit", "pr"} {
		if e := ans.Errors[i]; e.Type != "UNPROCESSABLE" || e.Message != "was submitted too quickly" || len(e.Path) != 1 || e.Path[0] != alias {
			t.Errorf("error %d = %+v, want UNPROCESSABLE \"was submitted too quickly\" at %s", i, e, alias)
		}
	}
	files, err := srv.RepoFiles("acme", "app", "dfiu/x")
	if err != nil || files["Dockerfile"] != "FROM alpine:3.19\n" {
		t.Errorf("branch dfiu/x: %v %v, want it at the base commit", files, err)
	}
	if prs, _ := srv.PullRequests("acme", "app"); len(prs) != 0 {
		t.Errorf("pull requests %v, want none", prs)
	}
	if st := srv.Stats(); st.RefusedFields != 2 || st.SecondaryRateLimited != 1 {
		t.Errorf("stats: %d refused fields, %d secondary; want 2 and 1", st.RefusedFields, st.SecondaryRateLimited)
	}
}
