package ghsim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/shurcooL/githubv4"

	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// goGitHub returns an unchanged go-github v60 client for the simulator
// under prefix ("/" as on api.github.com, "/api/v3/" as on Enterprise).
func (s *confSim) goGitHub(t *testing.T, prefix, token string) *github.Client {
	t.Helper()
	c := github.NewClient(s.httpClient(token))
	u, err := url.Parse(s.ts.URL + prefix)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// errorResponse asserts that err is a *github.ErrorResponse with status and
// returns it.
func errorResponse(t *testing.T, what string, err error, status int) *github.ErrorResponse {
	t.Helper()
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("%s: error = %v (%T), want *github.ErrorResponse", what, err, err)
	}
	if er.Response == nil || er.Response.StatusCode != status {
		t.Fatalf("%s: status = %v, want %d (%v)", what, er.Response, status, err)
	}
	return er
}

var gitSHA = func(s string) bool {
	if len(s) != 40 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

func TestGoGitHubAgainstSimulator(t *testing.T) {
	for _, prefix := range []string{"/", "/api/v3/"} {
		t.Run(strings.Trim(prefix, "/")+"root", func(t *testing.T) {
			t.Parallel()
			testGoGitHubWorkflow(t, prefix)
		})
	}
}

func testGoGitHubWorkflow(t *testing.T, prefix string) {
	ctx := context.Background()
	sim := newConfSim(t, ghsim.Seed{Orgs: []string{"acme"}, Users: []string{"alice"}})
	gh := sim.goGitHub(t, prefix, sim.token)

	// Create an organisation repository with an initial commit.
	repo, resp, err := gh.Repositories.Create(ctx, "acme", &github.Repository{Name: github.String("app"), AutoInit: github.Bool(true)})
	if err != nil {
		t.Fatalf("Repositories.Create: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || repo.GetFullName() != "acme/app" || repo.GetDefaultBranch() != "main" {
		t.Fatalf("Repositories.Create = %d %q default %q, want 201 acme/app default main", resp.StatusCode, repo.GetFullName(), repo.GetDefaultBranch())
	}
	if resp.Header.Get("Location") == "" {
		t.Errorf("Repositories.Create: no Location header; GitHub sends the new repository's URL")
	}
	got, resp2, err := gh.Repositories.Get(ctx, "acme", "app")
	if err != nil {
		t.Fatalf("Repositories.Get: %v", err)
	}
	// go-github reads the rate-limit headers into Response.Rate.
	if r1, r2 := resp.Rate, resp2.Rate; r2.Limit != 5000 || r2.Remaining != r1.Remaining-1 || !r2.Reset.After(time.Now().Add(-time.Minute)) {
		t.Errorf("Rate after two core requests = %+v (before: %+v), want limit 5000, remaining down by one, a reset ahead", r2, r1)
	}
	if got.GetID() != repo.GetID() || got.GetNodeID() == "" || got.GetOwner().GetLogin() != "acme" {
		t.Errorf("Repositories.Get = id %d node %q owner %q, want id %d, a node id, owner acme", got.GetID(), got.GetNodeID(), got.GetOwner().GetLogin(), repo.GetID())
	}

	// Put and get contents.
	put, resp, err := gh.Repositories.CreateFile(ctx, "acme", "app", "svc/Dockerfile", &github.RepositoryContentFileOptions{
		Message: github.String("add Dockerfile"), Content: []byte("FROM alpine:3.19\n"),
	})
	if err != nil {
		t.Fatalf("Repositories.CreateFile: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || !gitSHA(put.Content.GetSHA()) || !gitSHA(put.Commit.GetSHA()) {
		t.Fatalf("CreateFile = %d blob %q commit %q, want 201 and git ids", resp.StatusCode, put.Content.GetSHA(), put.Commit.GetSHA())
	}
	fc, _, _, err := gh.Repositories.GetContents(ctx, "acme", "app", "svc/Dockerfile", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatalf("Repositories.GetContents: %v", err)
	}
	text, err := fc.GetContent()
	if err != nil || text != "FROM alpine:3.19\n" || fc.GetSHA() != put.Content.GetSHA() {
		t.Errorf("GetContents = %q sha %q (%v), want the file just put with sha %q", text, fc.GetSHA(), err, put.Content.GetSHA())
	}
	_, dir, _, err := gh.Repositories.GetContents(ctx, "acme", "app", "", nil)
	if err != nil {
		t.Fatalf("GetContents of the root: %v", err)
	}
	var names []string
	for _, e := range dir {
		names = append(names, e.GetName()+":"+e.GetType())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "README.md:file,svc:dir" {
		t.Errorf("root listing = %v, want README.md:file, svc:dir", names)
	}

	// The sha precondition of contents PUT.
	_, _, err = gh.Repositories.UpdateFile(ctx, "acme", "app", "svc/Dockerfile", &github.RepositoryContentFileOptions{
		Message: github.String("no sha"), Content: []byte("FROM alpine:3.20\n"),
	})
	er := errorResponse(t, "UpdateFile without sha", err, http.StatusUnprocessableEntity)
	if !strings.Contains(er.Message, `"sha" wasn't supplied`) {
		t.Errorf("UpdateFile without sha: message %q, want GitHub's \"sha\" wasn't supplied.", er.Message)
	}
	_, _, err = gh.Repositories.UpdateFile(ctx, "acme", "app", "svc/Dockerfile", &github.RepositoryContentFileOptions{
		Message: github.String("stale sha"), Content: []byte("FROM alpine:3.20\n"), SHA: github.String(strings.Repeat("1", 40)),
	})
	er = errorResponse(t, "UpdateFile with a stale sha", err, http.StatusConflict)
	if !strings.Contains(er.Message, "does not match") {
		t.Errorf("UpdateFile with a stale sha: message %q, want \"… does not match …\"", er.Message)
	}

	// Refs.
	ref, _, err := gh.Git.GetRef(ctx, "acme", "app", "heads/main")
	if err != nil {
		t.Fatalf("Git.GetRef: %v", err)
	}
	if ref.GetRef() != "refs/heads/main" || ref.GetObject().GetSHA() != put.Commit.GetSHA() || ref.GetObject().GetType() != "commit" {
		t.Errorf("GetRef = %q → %s %q, want refs/heads/main → commit %q", ref.GetRef(), ref.GetObject().GetType(), ref.GetObject().GetSHA(), put.Commit.GetSHA())
	}
	newRef, resp, err := gh.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/dfiu/alpine"), Object: &github.GitObject{SHA: ref.Object.SHA}})
	if err != nil {
		t.Fatalf("Git.CreateRef: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || newRef.GetRef() != "refs/heads/dfiu/alpine" {
		t.Errorf("CreateRef = %d %q, want 201 refs/heads/dfiu/alpine", resp.StatusCode, newRef.GetRef())
	}
	_, _, err = gh.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/dfiu/alpine"), Object: &github.GitObject{SHA: ref.Object.SHA}})
	er = errorResponse(t, "CreateRef of an existing ref", err, http.StatusUnprocessableEntity)
	if er.Message != "Reference already exists" {
		t.Errorf("CreateRef of an existing ref: message %q, want \"Reference already exists\"", er.Message)
	}
	if _, _, err := gh.Git.GetRef(ctx, "acme", "app", "heads/dfiu/alpine"); err != nil {
		t.Errorf("GetRef of a ref with a slash in its name: %v", err)
	}

	// A commit on the branch, then the tree and the commit itself.
	upd, resp, err := gh.Repositories.UpdateFile(ctx, "acme", "app", "svc/Dockerfile", &github.RepositoryContentFileOptions{
		Message: github.String("bump alpine"), Content: []byte("FROM alpine:3.20\n"), SHA: put.Content.SHA, Branch: github.String("dfiu/alpine"),
	})
	if err != nil {
		t.Fatalf("UpdateFile on a branch: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("UpdateFile status = %d, want 200 for an update", resp.StatusCode)
	}
	tree, _, err := gh.Git.GetTree(ctx, "acme", "app", "dfiu/alpine", true)
	if err != nil {
		t.Fatalf("Git.GetTree recursive: %v", err)
	}
	var paths []string
	for _, e := range tree.Entries {
		paths = append(paths, e.GetPath()+":"+e.GetType())
	}
	sort.Strings(paths)
	if strings.Join(paths, ",") != "README.md:blob,svc/Dockerfile:blob,svc:tree" || tree.GetTruncated() {
		t.Errorf("GetTree = %v truncated %v, want README.md, svc, svc/Dockerfile, not truncated", paths, tree.GetTruncated())
	}
	commit, _, err := gh.Repositories.GetCommit(ctx, "acme", "app", upd.Commit.GetSHA(), nil)
	if err != nil {
		t.Fatalf("Repositories.GetCommit: %v", err)
	}
	if !commit.GetCommit().GetVerification().GetVerified() || len(commit.Parents) != 1 || commit.Parents[0].GetSHA() != put.Commit.GetSHA() {
		t.Errorf("GetCommit: verified %v parents %d, want a verified commit whose parent is %s", commit.GetCommit().GetVerification().GetVerified(), len(commit.Parents), put.Commit.GetSHA())
	}
	gc, _, err := gh.Git.GetCommit(ctx, "acme", "app", upd.Commit.GetSHA())
	if err != nil {
		t.Fatalf("Git.GetCommit: %v", err)
	}
	if !gc.GetVerification().GetVerified() || gc.GetMessage() != "bump alpine" || gc.GetTree().GetSHA() != tree.GetSHA() {
		t.Errorf("Git.GetCommit = verified %v message %q tree %q, want verified, \"bump alpine\", tree %q", gc.GetVerification().GetVerified(), gc.GetMessage(), gc.GetTree().GetSHA(), tree.GetSHA())
	}
	if _, _, err := gh.Repositories.GetCommit(ctx, "acme", "app", "dfiu/alpine", nil); err != nil {
		t.Errorf("Repositories.GetCommit by branch name: %v", err)
	}

	// Pull requests.
	pr, resp, err := gh.PullRequests.Create(ctx, "acme", "app", &github.NewPullRequest{
		Title: github.String("Bump alpine to 3.20"), Head: github.String("dfiu/alpine"), Base: github.String("main"), Body: github.String("by dfiu"),
	})
	if err != nil {
		t.Fatalf("PullRequests.Create: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || pr.GetNumber() < 1 || pr.GetHead().GetRef() != "dfiu/alpine" || pr.GetState() != "open" {
		t.Fatalf("PullRequests.Create = %d #%d head %q state %q", resp.StatusCode, pr.GetNumber(), pr.GetHead().GetRef(), pr.GetState())
	}
	if want := sim.ts.URL + "/acme/app/pull/" + fmt.Sprint(pr.GetNumber()); pr.GetHTMLURL() != want {
		t.Errorf("html_url = %q, want %q", pr.GetHTMLURL(), want)
	}
	_, _, err = gh.PullRequests.Create(ctx, "acme", "app", &github.NewPullRequest{Title: github.String("again"), Head: github.String("dfiu/alpine"), Base: github.String("main")})
	er = errorResponse(t, "PullRequests.Create twice", err, http.StatusUnprocessableEntity)
	if len(er.Errors) == 0 || !strings.Contains(er.Errors[0].Message, "A pull request already exists for acme:dfiu/alpine") {
		t.Errorf("PullRequests.Create twice: errors %+v, want one saying a pull request already exists", er.Errors)
	}
	prs, _, err := gh.PullRequests.List(ctx, "acme", "app", &github.PullRequestListOptions{Head: "acme:dfiu/alpine", State: "open"})
	if err != nil {
		t.Fatalf("PullRequests.List by head: %v", err)
	}
	if len(prs) != 1 || prs[0].GetNumber() != pr.GetNumber() {
		t.Errorf("PullRequests.List by head = %d pulls, want #%d alone", len(prs), pr.GetNumber())
	}
	if prs, _, err := gh.PullRequests.List(ctx, "acme", "app", &github.PullRequestListOptions{Head: "acme:other", State: "open"}); err != nil || len(prs) != 0 {
		t.Errorf("PullRequests.List by another head = %d pulls (%v), want none", len(prs), err)
	}
	labels, _, err := gh.Issues.AddLabelsToIssue(ctx, "acme", "app", pr.GetNumber(), []string{"dependencies", "docker"})
	if err != nil {
		t.Fatalf("Issues.AddLabelsToIssue: %v", err)
	}
	if len(labels) != 2 || labels[0].GetName() != "dependencies" || labels[0].GetColor() == "" {
		t.Errorf("AddLabelsToIssue = %v, want dependencies and docker with colours", labels)
	}
	rpr, resp, err := gh.PullRequests.RequestReviewers(ctx, "acme", "app", pr.GetNumber(), github.ReviewersRequest{Reviewers: []string{"alice"}})
	if err != nil {
		t.Fatalf("PullRequests.RequestReviewers: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || len(rpr.RequestedReviewers) != 1 || rpr.RequestedReviewers[0].GetLogin() != "alice" {
		t.Errorf("RequestReviewers = %d %v, want 201 with alice requested", resp.StatusCode, rpr.RequestedReviewers)
	}

	// Typed errors.
	_, _, err = gh.Repositories.Get(ctx, "acme", "missing")
	if er := errorResponse(t, "Repositories.Get of a missing repository", err, http.StatusNotFound); er.Message != "Not Found" {
		t.Errorf("404 message = %q, want \"Not Found\"", er.Message)
	}
	_, _, err = gh.Issues.CreateLabel(ctx, "acme", "app", &github.Label{Name: github.String("foo"), Color: github.String("invalid")})
	er = errorResponse(t, "CreateLabel with an invalid colour", err, http.StatusUnprocessableEntity)
	if er.Message != "Validation Failed" || len(er.Errors) != 1 || er.Errors[0].Resource != "Label" || er.Errors[0].Field != "color" || er.Errors[0].Code != "invalid" {
		t.Errorf("CreateLabel with an invalid colour = %q %+v, want Validation Failed with {Label color invalid} as recorded from GitHub", er.Message, er.Errors)
	}

	sim.requireValidated(t, 24)
}

func TestGoGitHubPaginatesOrgRepos(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := ghsim.Seed{Orgs: []string{"acme"}}
	for i := 0; i < 8; i++ {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("acme/svc-%02d", i), Files: map[string]string{"Dockerfile": "FROM alpine\n"}})
	}
	sim := newConfSim(t, seed)
	for _, prefix := range []string{"/", "/api/v3/"} {
		gh := sim.goGitHub(t, prefix, sim.token)
		opts := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 3}}
		var names []string
		var lasts []int
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatalf("%s: pagination did not end", prefix)
			}
			repos, resp, err := gh.Repositories.ListByOrg(ctx, "acme", opts)
			if err != nil {
				t.Fatalf("%s: ListByOrg page %d: %v", prefix, opts.Page, err)
			}
			for _, r := range repos {
				names = append(names, r.GetName())
			}
			lasts = append(lasts, resp.LastPage)
			if resp.NextPage == 0 {
				break
			}
			opts.Page = resp.NextPage
		}
		sort.Strings(names)
		if len(names) != 8 || names[0] != "svc-00" || names[7] != "svc-07" {
			t.Errorf("%s: ListByOrg over pages = %v, want svc-00…svc-07 once each", prefix, names)
		}
		// Link carries rel="last" on every page but the last (as GitHub does).
		if fmt.Sprint(lasts) != "[3 3 0]" {
			t.Errorf("%s: LastPage per page = %v, want [3 3 0]", prefix, lasts)
		}
	}
	sim.requireValidated(t, 6)
}

func TestGoGitHubSearchCodePaginationAndCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files := map[string]string{}
	for i := 0; i < 1050; i++ {
		files[fmt.Sprintf("svc%04d/Dockerfile", i)] = "FROM alpine:3.19\n"
	}
	files["README.md"] = "alpine is small\n"
	sim := newConfSim(t, ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/mono", Files: files}}})
	gh := sim.goGitHub(t, "/api/v3/", sim.token)

	// Code search allows 10 requests a minute: the client waits a minute
	// between pages, as the Action's throttle would.
	wait := func() { sim.clk.Advance(61 * time.Second) }
	q := "alpine filename:Dockerfile org:acme"
	res, resp, err := gh.Search.Code(ctx, q, &github.SearchOptions{ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatalf("Search.Code: %v", err)
	}
	if res.GetTotal() != 1050 || res.GetIncompleteResults() || len(res.CodeResults) != 100 {
		t.Fatalf("Search.Code = total %d incomplete %v items %d, want 1050, false, 100", res.GetTotal(), res.GetIncompleteResults(), len(res.CodeResults))
	}
	if resp.NextPage != 2 || resp.LastPage != 10 {
		t.Errorf("first page: NextPage %d LastPage %d, want 2 and 10 (GitHub serves only the first 1000 results)", resp.NextPage, resp.LastPage)
	}
	item := res.CodeResults[0]
	if item.GetName() != "Dockerfile" || !strings.HasSuffix(item.GetPath(), "/Dockerfile") || !gitSHA(item.GetSHA()) || item.GetRepository().GetFullName() != "acme/mono" {
		t.Errorf("first item = %q %q %q in %q", item.GetName(), item.GetPath(), item.GetSHA(), item.GetRepository().GetFullName())
	}
	seen := map[string]bool{}
	opts := &github.SearchOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for page := 1; ; page++ {
		if page > 11 {
			t.Fatal("search pagination did not end at the 1000-result cap")
		}
		wait()
		res, resp, err := gh.Search.Code(ctx, q, opts)
		if err != nil {
			t.Fatalf("Search.Code page %d: %v", opts.Page, err)
		}
		for _, it := range res.CodeResults {
			seen[it.GetPath()] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(seen) != 1000 {
		t.Errorf("following NextPage gave %d distinct results, want exactly the first 1000", len(seen))
	}
	wait()
	_, _, err = gh.Search.Code(ctx, q, &github.SearchOptions{ListOptions: github.ListOptions{PerPage: 100, Page: 11}})
	er := errorResponse(t, "Search.Code past the cap", err, http.StatusUnprocessableEntity)
	if er.Message != "Only the first 1000 search results are available" {
		t.Errorf("past the cap: message %q, want \"Only the first 1000 search results are available\"", er.Message)
	}
	sim.requireValidated(t, 12)
}

// TestGoGitHubRateLimitErrors checks that go-github v60 classifies the
// simulator's refusals as it would GitHub's. go-github remembers a reset and
// then refuses calls itself, so each case uses a fresh client.
func TestGoGitHubRateLimitErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine\n"}}}}

	t.Run("primary", func(t *testing.T) {
		sim := newConfSim(t, seed)
		sim.srv.SetLimits(limiter.Config{Limits: limiter.Limits{Core: 2}})
		gh := sim.goGitHub(t, "/", sim.token)
		for i := 0; i < 2; i++ {
			if _, _, err := gh.Repositories.Get(ctx, "acme", "app"); err != nil {
				t.Fatalf("request %d within the limit: %v", i+1, err)
			}
		}
		// go-github now refuses on its own (remaining 0); a fresh client
		// sends the request, as a new process would.
		gh = sim.goGitHub(t, "/", sim.token)
		_, resp, err := gh.Repositories.Get(ctx, "acme", "app")
		var rle *github.RateLimitError
		if !errors.As(err, &rle) {
			t.Fatalf("third request: error %v (%T), want *github.RateLimitError", err, err)
		}
		if resp.StatusCode != http.StatusForbidden || rle.Rate.Remaining != 0 || rle.Rate.Limit != 2 {
			t.Errorf("RateLimitError: status %d rate %+v, want 403 with limit 2, remaining 0", resp.StatusCode, rle.Rate)
		}
		if reset := rle.Rate.Reset.Time; !reset.After(time.Now().Add(-time.Second)) || reset.After(time.Now().Add(time.Hour+time.Minute)) {
			t.Errorf("RateLimitError reset %v, want within the coming hour", reset)
		}
		if !strings.Contains(rle.Message, "API rate limit exceeded for user ID") {
			t.Errorf("RateLimitError message %q, want GitHub's", rle.Message)
		}
		sim.requireValidated(t, 3)
	})

	t.Run("primary 429", func(t *testing.T) {
		// GitHub may answer 429 too; go-github v60 knows only 403, so the
		// Action must classify a 429 itself (FACTS.md §4).
		sim := newConfSim(t, seed)
		sim.srv.SetLimits(limiter.Config{Limits: limiter.Limits{Core: 1, PrimaryStatus: 429}})
		if _, _, err := sim.goGitHub(t, "/", sim.token).Repositories.Get(ctx, "acme", "app"); err != nil {
			t.Fatalf("request within the limit: %v", err)
		}
		_, resp, err := sim.goGitHub(t, "/", sim.token).Repositories.Get(ctx, "acme", "app")
		var rle *github.RateLimitError
		if errors.As(err, &rle) {
			t.Fatalf("429: go-github v60 returned *github.RateLimitError; it only does for 403")
		}
		errorResponse(t, "429 primary refusal", err, http.StatusTooManyRequests)
		if resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("429: x-ratelimit-remaining %q reset %q, want 0 and a reset", resp.Header.Get("X-RateLimit-Remaining"), resp.Header.Get("X-RateLimit-Reset"))
		}
	})

	t.Run("secondary", func(t *testing.T) {
		sim := newConfSim(t, seed)
		sim.srv.SetLimits(limiter.Config{Limits: limiter.Limits{ContentPerMinute: 1}})
		gh := sim.goGitHub(t, "/", sim.token)
		ref, _, err := gh.Git.GetRef(ctx, "acme", "app", "heads/main")
		if err != nil {
			t.Fatalf("GetRef: %v", err)
		}
		mk := func(name string) error {
			_, _, err := gh.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/" + name), Object: &github.GitObject{SHA: ref.Object.SHA}})
			return err
		}
		if err := mk("a"); err != nil {
			t.Fatalf("first write: %v", err)
		}
		err = mk("b")
		var arle *github.AbuseRateLimitError
		if !errors.As(err, &arle) {
			t.Fatalf("second write: error %v (%T), want *github.AbuseRateLimitError", err, err)
		}
		if arle.Response.StatusCode != http.StatusForbidden || arle.RetryAfter == nil || *arle.RetryAfter <= 0 || *arle.RetryAfter > time.Minute {
			t.Errorf("AbuseRateLimitError: status %d RetryAfter %v, want 403 and a retry within a minute", arle.Response.StatusCode, arle.RetryAfter)
		}
		if branches, _ := sim.srv.Branches("acme", "app"); strings.Join(branches, ",") != "a,main" {
			t.Errorf("branches = %v, want a refused write to change nothing", branches)
		}
		sim.requireValidated(t, 3)
	})
}

func TestGitHubV4AgainstSimulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := newConfSim(t, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}},
		{Name: "acme/web", DefaultBranch: "trunk", Files: map[string]string{"Dockerfile": "FROM nginx:1.25\n"}},
	}})
	for _, endpoint := range []string{"/graphql", "/api/graphql"} {
		gql := githubv4.NewEnterpriseClient(sim.ts.URL+endpoint, sim.httpClient(sim.token))

		var viewer struct {
			Viewer struct{ Login string }
		}
		if err := gql.Query(ctx, &viewer, nil); err != nil {
			t.Fatalf("%s: viewer query: %v", endpoint, err)
		}
		if viewer.Viewer.Login != "admin" {
			t.Errorf("%s: viewer.login = %q, want admin", endpoint, viewer.Viewer.Login)
		}

		type repoFields struct {
			ID               githubv4.ID
			NameWithOwner    string
			IsArchived       bool
			DefaultBranchRef struct {
				Name   string
				Target struct{ Oid githubv4.GitObjectID }
			}
			Dockerfile struct {
				Blob struct{ Text string } `graphql:"... on Blob"`
			} `graphql:"dockerfile: object(expression: \"HEAD:Dockerfile\")"`
		}
		var q struct {
			App repoFields `graphql:"app: repository(owner: \"acme\", name: \"app\")"`
			Web repoFields `graphql:"web: repository(owner: $owner, name: $name)"`
		}
		if err := gql.Query(ctx, &q, map[string]any{"owner": githubv4.String("acme"), "name": githubv4.String("web")}); err != nil {
			t.Fatalf("%s: aliased repository query: %v", endpoint, err)
		}
		if q.App.NameWithOwner != "acme/app" || q.App.DefaultBranchRef.Name != "main" || q.App.Dockerfile.Blob.Text != "FROM alpine:3.19\n" {
			t.Errorf("%s: app = %+v", endpoint, q.App)
		}
		if q.Web.NameWithOwner != "acme/web" || q.Web.DefaultBranchRef.Name != "trunk" || q.Web.Dockerfile.Blob.Text != "FROM nginx:1.25\n" {
			t.Errorf("%s: web = %+v", endpoint, q.Web)
		}
		if !gitSHA(string(q.App.DefaultBranchRef.Target.Oid)) || q.App.ID == nil || q.App.ID == q.Web.ID {
			t.Errorf("%s: ids %v/%v oid %q, want distinct node ids and a git oid", endpoint, q.App.ID, q.Web.ID, q.App.DefaultBranchRef.Target.Oid)
		}

		var m struct {
			CreateRef struct {
				Ref struct {
					Name   string
					Target struct{ Oid githubv4.GitObjectID }
				}
			} `graphql:"createRef(input: $input)"`
		}
		branch := "dfiu/bump" + strings.ReplaceAll(endpoint, "/", "-")
		input := githubv4.CreateRefInput{RepositoryID: q.App.ID, Name: githubv4.String("refs/heads/" + branch), Oid: q.App.DefaultBranchRef.Target.Oid}
		if err := gql.Mutate(ctx, &m, input, nil); err != nil {
			t.Fatalf("%s: createRef: %v", endpoint, err)
		}
		if m.CreateRef.Ref.Name != branch || m.CreateRef.Ref.Target.Oid != q.App.DefaultBranchRef.Target.Oid {
			t.Errorf("%s: createRef = %+v, want %s at %s", endpoint, m.CreateRef.Ref, branch, q.App.DefaultBranchRef.Target.Oid)
		}
		branches, err := sim.srv.Branches("acme", "app")
		if err != nil || !strings.Contains(strings.Join(branches, ","), branch) {
			t.Errorf("%s: branches after createRef = %v (%v), want %s among them", endpoint, branches, err, branch)
		}
		// A second createRef of the same name fails; githubv4 reports it.
		if err := gql.Mutate(ctx, &m, input, nil); err == nil {
			t.Errorf("%s: createRef of an existing ref succeeded, want an error", endpoint)
		}
	}
	if n := sim.tr.ValidatedGraphQL(); n < 8 {
		t.Errorf("GraphQL exchanges validated against the schema = %d, want at least 8", n)
	}
}

// TestGoGitHubMoreEndpoints covers the rest of what the Action may call with
// go-github: forks (202, which go-github reports as *github.AcceptedError),
// ref updates and deletion, matching refs, pull request edits, assignees,
// and the read-only refusal of an archived repository.
func TestGoGitHubMoreEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := newConfSimWith(t, ghsim.Options{ForkDelay: 10 * time.Second}, ghsim.Seed{
		Orgs:  []string{"forks"},
		Users: []string{"alice"},
		Repos: []ghsim.SeedRepo{{
			Name:     "acme/app",
			Files:    map[string]string{"Dockerfile": "FROM alpine:3.19\n"},
			Branches: []ghsim.SeedBranch{{Name: "feature", Files: map[string]string{"f.txt": "f\n"}}},
		}},
	})
	gh := sim.goGitHub(t, "/api/v3/", sim.token)

	_, _, err := gh.Repositories.CreateFork(ctx, "acme", "app", &github.RepositoryCreateForkOptions{Organization: "forks"})
	var accepted *github.AcceptedError
	if !errors.As(err, &accepted) || !strings.Contains(string(accepted.Raw), `"full_name":"forks/app"`) {
		t.Fatalf("CreateFork: error %v (%T), want *github.AcceptedError carrying forks/app", err, err)
	}
	if _, _, err := gh.Repositories.Get(ctx, "forks", "app"); err == nil {
		t.Errorf("the fork is visible at once; GitHub creates forks asynchronously")
	}
	sim.clk.Advance(11 * time.Second)
	fork, _, err := gh.Repositories.Get(ctx, "forks", "app")
	if err != nil || !fork.GetFork() || fork.GetParent().GetFullName() != "acme/app" {
		t.Fatalf("fork after the delay = fork %v parent %q (%v), want a fork of acme/app", fork.GetFork(), fork.GetParent().GetFullName(), err)
	}

	mainRef, _, err := gh.Git.GetRef(ctx, "acme", "app", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	featRef, _, err := gh.Git.GetRef(ctx, "acme", "app", "heads/feature")
	if err != nil {
		t.Fatal(err)
	}
	// feature is ahead of main: moving it back is not a fast-forward.
	_, _, err = gh.Git.UpdateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/feature"), Object: &github.GitObject{SHA: mainRef.Object.SHA}}, false)
	if er := errorResponse(t, "UpdateRef not fast-forward", err, http.StatusUnprocessableEntity); er.Message != "Update is not a fast forward" {
		t.Errorf("UpdateRef not fast-forward: message %q, want \"Update is not a fast forward\"", er.Message)
	}
	upd, _, err := gh.Git.UpdateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: featRef.Object.SHA}}, false)
	if err != nil || upd.GetObject().GetSHA() != featRef.GetObject().GetSHA() {
		t.Errorf("UpdateRef fast-forward = %v (%v), want main at %s", upd.GetObject().GetSHA(), err, featRef.GetObject().GetSHA())
	}
	if _, err := gh.Git.DeleteRef(ctx, "acme", "app", "heads/feature"); err != nil {
		t.Errorf("DeleteRef: %v", err)
	}
	refs, _, err := gh.Git.ListMatchingRefs(ctx, "acme", "app", &github.ReferenceListOptions{Ref: "heads/"})
	if err != nil || len(refs) != 1 || refs[0].GetRef() != "refs/heads/main" {
		t.Errorf("ListMatchingRefs(heads/) = %d refs (%v), want refs/heads/main alone", len(refs), err)
	}

	if _, _, err := gh.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/topic"), Object: &github.GitObject{SHA: featRef.Object.SHA}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Repositories.CreateFile(ctx, "acme", "app", "topic.txt", &github.RepositoryContentFileOptions{
		Message: github.String("topic"), Content: []byte("t\n"), Branch: github.String("topic"),
	}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, "acme", "app", &github.NewPullRequest{Title: github.String("t"), Head: github.String("topic"), Base: github.String("main")})
	if err != nil {
		t.Fatalf("PullRequests.Create: %v", err)
	}
	edited, _, err := gh.PullRequests.Edit(ctx, "acme", "app", pr.GetNumber(), &github.PullRequest{Title: github.String("Bump"), State: github.String("closed")})
	if err != nil || edited.GetTitle() != "Bump" || edited.GetState() != "closed" || edited.ClosedAt == nil {
		t.Errorf("PullRequests.Edit = %q %q closed_at %v (%v), want Bump, closed, a close time", edited.GetTitle(), edited.GetState(), edited.ClosedAt, err)
	}
	issue, resp, err := gh.Issues.AddAssignees(ctx, "acme", "app", pr.GetNumber(), []string{"alice"})
	if err != nil || resp.StatusCode != http.StatusCreated || len(issue.Assignees) != 1 || issue.Assignees[0].GetLogin() != "alice" {
		t.Errorf("AddAssignees = %v (%v), want 201 with alice", issue.Assignees, err)
	}

	if _, _, err := gh.Repositories.Edit(ctx, "acme", "app", &github.Repository{Archived: github.Bool(true)}); err != nil {
		t.Fatalf("archiving: %v", err)
	}
	_, _, err = gh.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/late"), Object: &github.GitObject{SHA: mainRef.Object.SHA}})
	if er := errorResponse(t, "CreateRef in an archived repository", err, http.StatusForbidden); !strings.Contains(er.Message, "archived") {
		t.Errorf("archived: message %q, want GitHub's \"Repository was archived so is read-only.\"", er.Message)
	}
	sim.requireValidated(t, 15)
}
