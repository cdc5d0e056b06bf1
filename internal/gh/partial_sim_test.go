package gh_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func alpineInput(r *gh.Repo) gh.ProposeInput {
	return gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: r.DefaultBranch, BaseOID: r.HeadOID,
		Branch: alpineBranch, Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")},
		Message: gh.CommitMessage{Headline: "Bump alpine to 3.20"}, Title: "Bump alpine to 3.20", Body: "3.20",
	}
}

// TestSimProposeRetriesALaggingPullRequest: GitHub refuses the pull
// request right after the commit ("No commits between"); the
// pull-request step alone is sent again with back-off, and the commit is
// not made twice.
func TestSimProposeRetriesALaggingPullRequest(t *testing.T) {
	t.Parallel()
	seed := appSeed()
	lag := limiter.Duration(5 * time.Second)
	seed.PullRequestLag = &lag
	s := newSim(t, limiter.Config{}, seed)
	c, clk := s.client(t, gh.Options{})
	r := simRepo(t, c, "acme", "app", alpineBranch)
	before := s.graphQLRequests()
	start := clk.Now()
	res, err := c.Propose(context.Background(), alpineInput(r))
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	if !res.Created || res.PR.Number == 0 {
		t.Fatalf("Propose = %+v, want a pull request opened", res)
	}
	checkCommit(t, s, "acme", "app", alpineBranch, res.CommitOID, r.HeadOID, "FROM alpine:3.20\n")
	if got := s.graphQLRequests() - before; got != 3 {
		t.Errorf("Propose sent %d requests, want 3 (the document, then the pull request twice)", got)
	}
	if waited := clk.Now().Sub(start); waited < 5*time.Second {
		t.Errorf("waited %v on the clock, want at least the 5s lag", waited)
	}
}

// TestSimProposeGivesUpOnAPullRequestThatNeverComes: the retries are
// bounded and the error says what GitHub answered.
func TestSimProposeGivesUpOnAPullRequestThatNeverComes(t *testing.T) {
	t.Parallel()
	seed := appSeed()
	lag := limiter.Duration(time.Hour)
	seed.PullRequestLag = &lag
	s := newSim(t, limiter.Config{}, seed)
	c, _ := s.client(t, gh.Options{})
	r := simRepo(t, c, "acme", "app", alpineBranch)
	before := s.graphQLRequests()
	res, err := c.Propose(context.Background(), alpineInput(r))
	if err == nil || !strings.Contains(err.Error(), "No commits between") {
		t.Fatalf("Propose error = %v, want GitHub's refusal", err)
	}
	if res == nil || res.CommitOID == "" {
		t.Errorf("Propose result = %+v, want the commit reported", res)
	}
	if got := s.graphQLRequests() - before; got != 5 {
		t.Errorf("Propose sent %d requests, want 5 (the document and 4 retries)", got)
	}
}

// TestSimProposeFallsBackFromDraft: in a repository without draft pull
// requests, a draft is opened as a normal pull request, and the result
// says so.
func TestSimProposeFallsBackFromDraft(t *testing.T) {
	t.Parallel()
	seed := appSeed()
	seed.Repos[0].DraftsUnsupported = true
	s := newSim(t, limiter.Config{}, seed)
	c, _ := s.client(t, gh.Options{})
	r := simRepo(t, c, "acme", "app", alpineBranch)
	in := alpineInput(r)
	in.Draft = true
	res, err := c.Propose(context.Background(), in)
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	if !res.Created || !res.DraftRefused {
		t.Fatalf("Propose = %+v, want a pull request created with DraftRefused", res)
	}
	w, actor, repo := worldRepo(t, s)
	pr, err := w.PullRequest(actor, repo.ID, res.PR.Number)
	if err != nil || pr.Draft || pr.State != "open" {
		t.Errorf("pull request: draft %v state %q (%v), want an open, normal one", pr.Draft, pr.State, err)
	}
}

// TestSimHydrateReadsTheBranchNotATag: a tag with the branch's name does
// not shadow the branch's files (git resolves a bare name to the tag
// first).
func TestSimHydrateReadsTheBranchNotATag(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, appSeed())
	c, _ := s.client(t, gh.Options{})
	in, _ := proposeAlpine(t, s, c)
	w, actor, repo := worldRepo(t, s)
	if _, err := w.CreateRef(actor, repo.ID, "refs/tags/"+alpineBranch, in.BaseOID); err != nil {
		t.Fatal(err)
	}
	b := simRepo(t, c, "acme", "app", alpineBranch).Branches[alpineBranch]
	if f := b.Files["Dockerfile"]; f == nil || f.Text != "FROM alpine:3.20\n" {
		t.Errorf("Dockerfile on the branch = %+v, want the branch's FROM alpine:3.20", f)
	}
}

// TestSimHydrateIgnoresAForksPullRequest: a fork's pull request from a
// branch of the same name is not our branch's pull request.
func TestSimHydrateIgnoresAForksPullRequest(t *testing.T) {
	t.Parallel()
	seed := appSeed(ghsim.SeedBranch{Name: alpineBranch, Files: map[string]string{"Dockerfile": "FROM alpine:3.20\n"}})
	seed.Users = []string{"mallory"}
	seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: "mallory/app", ForkOf: "acme/app",
		Branches: []ghsim.SeedBranch{{Name: alpineBranch, Files: map[string]string{"Dockerfile": "FROM evil:1\n"}}}})
	s := newSim(t, limiter.Config{}, seed)
	w, actor, repo := worldRepo(t, s)
	s.clk.Advance(time.Hour) // the fork is visible
	pr, err := w.CreatePullRequest(actor, repo.ID, state.NewPullRequest{Base: "main", Head: "mallory:" + alpineBranch, Title: "from a fork"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.client(t, gh.Options{})
	b := simRepo(t, c, "acme", "app", alpineBranch).Branches[alpineBranch]
	if b == nil || b.PR != nil {
		t.Errorf("branch = %+v, want ours with no pull request (#%d is the fork's)", b, pr.Number)
	}
}

// TestTransportKeepsTheTokenOffOtherHosts: a redirect to another host
// (a release asset, an archive) is followed without the token.
func TestTransportKeepsTheTokenOffOtherHosts(t *testing.T) {
	t.Parallel()
	var gotAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(other.Close)
	var apiAuth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiAuth = r.Header.Get("Authorization")
		http.Redirect(w, r, other.URL+"/asset", http.StatusFound)
	}))
	t.Cleanup(api.Close)
	// Both servers are on 127.0.0.1; a different port is another host.
	tr := gh.NewTransport(gh.Options{Token: "s3cret", APIURL: api.URL + "/", GraphQLURL: api.URL + "/graphql"})
	resp, err := (&http.Client{Transport: tr}).Get(api.URL + "/repos/acme/app/tarball")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if apiAuth != "Bearer s3cret" {
		t.Errorf("the API got Authorization %q, want the token", apiAuth)
	}
	if len(gotAuth) != 1 || gotAuth[0] != "" {
		t.Errorf("the other host got Authorization %q, want none", gotAuth)
	}
}

// TestSimHydrateHalvesOnResourceLimits: RESOURCE_LIMITS_EXCEEDED (HTTP
// 200, data null) halves the batch as a timeout does, and every
// repository is read.
func TestSimHydrateHalvesOnResourceLimits(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{Faults: []limiter.Fault{{Kind: limiter.FaultResourceLimits, Match: "POST /graphql", Once: true}}}, hydrateSeed())
	c, _ := s.client(t, gh.Options{})
	var reqs []gh.RepoRequest
	for i := range 10 {
		reqs = append(reqs, gh.RepoRequest{Owner: "acme", Name: fmt.Sprintf("r%03d", i), Paths: []string{"Dockerfile"}})
	}
	res, err := c.Hydrate(context.Background(), reqs, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3 {
		t.Errorf("requests = %d, want 3: the refused batch and its halves", res.Requests)
	}
	for k, r := range res.Repos {
		if r.Err != nil || r.Files["Dockerfile"] == nil {
			t.Errorf("%s: %+v", k, r)
		}
	}
}

// TestSimHydrateWithoutTeamAccess: a token that may not read teams (a
// classic token without read:org, whose whole document GitHub refuses;
// an App without Members: read, whose team fields are FORBIDDEN) still
// reads the repositories, the viewer and the users; the teams come back
// unresolved with TeamsErr saying why.
func TestSimHydrateWithoutTeamAccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ teams, want string }{
		{"insufficientScopes", "INSUFFICIENT_SCOPES"},
		{"forbidden", "FORBIDDEN"},
	} {
		t.Run(tc.teams, func(t *testing.T) {
			t.Parallel()
			seed := hydrateSeed()
			seed.Tokens = []ghsim.SeedToken{{Token: "limited", Login: "dev", Default: "write", Teams: tc.teams}}
			s := newSim(t, limiter.Config{}, seed)
			c, _ := s.client(t, gh.Options{Token: "limited"})
			res, err := c.Hydrate(context.Background(), []gh.RepoRequest{{Owner: "acme", Name: "r001", Paths: []string{"Dockerfile"}}},
				[]string{"alice"}, []string{"acme/platform"}, 0)
			if err != nil {
				t.Fatalf("Hydrate: %v", err)
			}
			if r := res.Repos["acme/r001"]; r == nil || r.Err != nil || r.Files["Dockerfile"] == nil {
				t.Errorf("acme/r001 = %+v, want it read", r)
			}
			if res.Viewer != "dev" || res.Users["alice"] == "" || res.UsersErr != nil {
				t.Errorf("viewer %q users %v (%v), want dev and alice", res.Viewer, res.Users, res.UsersErr)
			}
			if len(res.Teams) != 0 || res.TeamsErr == nil || !strings.Contains(res.TeamsErr.Error(), tc.want) {
				t.Errorf("teams %v, TeamsErr %v; want none and %s", res.Teams, res.TeamsErr, tc.want)
			}
		})
	}
}

// TestSimDecorateRequestsEachReviewerAfterARefusal: GitHub refuses a
// review request as a whole when one reviewer is the pull request's
// author; the others are then requested one by one, and the refusal is
// reported.
func TestSimDecorateRequestsEachReviewerAfterARefusal(t *testing.T) {
	t.Parallel()
	seed := appSeed(ghsim.SeedBranch{Name: alpineBranch, Files: map[string]string{"Dockerfile": "FROM alpine:3.20\n"}})
	seed.Users = []string{"alice", "carol"}
	seed.Teams = []ghsim.SeedTeam{{Org: "acme", Slug: "platform"}}
	seed.Repos[0].Pulls = []ghsim.SeedPull{{Head: alpineBranch, Title: "Bump", Author: "carol"}}
	s := newSim(t, limiter.Config{}, seed)
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	h, err := c.Hydrate(ctx, []gh.RepoRequest{{Owner: "acme", Name: "app", Branches: []string{alpineBranch}}}, []string{"alice", "carol"}, []string{"acme/platform"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Decorate(ctx, gh.Decoration{PRID: h.Repos["acme/app"].Branches[alpineBranch].PR.ID,
		UserIDs: []string{h.Users["carol"], h.Users["alice"]}, TeamIDs: []string{h.Teams["acme/platform"]}})
	if err == nil || !strings.Contains(err.Error(), "pull request author") {
		t.Errorf("Decorate error = %v, want the author's refusal reported", err)
	}
	prs, err := s.srv.PullRequests("acme", "app")
	if err != nil || len(prs) != 1 {
		t.Fatalf("%v %+v", err, prs)
	}
	var reviewers []string
	for _, a := range prs[0].RequestedReviewers {
		reviewers = append(reviewers, a.Login)
	}
	if len(reviewers) != 1 || reviewers[0] != "alice" || len(prs[0].RequestedTeams) != 1 {
		t.Errorf("requested reviewers %v, teams %v; want alice and acme/platform", reviewers, prs[0].RequestedTeams)
	}
}

// TestSimSearchCodeGoesOnPastAnUnsearchableOrg: an org the token may not
// search fails alone; the other org's files are found.
func TestSimSearchCodeGoesOnPastAnUnsearchableOrg(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{
		Tokens: []ghsim.SeedToken{{Token: "t", Login: "dev", Default: "write", UnsearchableOrgs: []string{"secret"}}},
		Repos: []ghsim.SeedRepo{
			{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}},
			{Name: "secret/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}},
		}})
	c, _ := s.client(t, gh.Options{Token: "t"})
	res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Qualifiers: []string{"filename:Dockerfile"}, Orgs: []string{"secret", "acme"}})
	if err != nil {
		t.Fatalf("SearchCode: %v", err)
	}
	if len(res.Hits) != 1 || res.Hits[0].Owner != "acme" {
		t.Errorf("hits = %+v, want acme/app's Dockerfile", res.Hits)
	}
	if res.Complete || len(res.FailedOrgs) != 1 || res.FailedOrgs[0] != "secret" || !strings.Contains(strings.Join(res.Notes, "\n"), "secret could not be searched") {
		t.Errorf("complete %v, failed orgs %v, notes %q; want incomplete, secret failed and noted", res.Complete, res.FailedOrgs, res.Notes)
	}
}

// TestSimSearchCodeNotesSSOPartialResults: the X-GitHub-SSO header makes
// coverage incomplete, with a note saying why.
func TestSimSearchCodeNotesSSOPartialResults(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{Faults: []limiter.Fault{{Kind: limiter.FaultSSOPartial, Match: "GET /search/code"}}},
		ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}}}})
	c, _ := s.client(t, gh.Options{})
	res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Qualifiers: []string{"filename:Dockerfile"}, Orgs: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 || res.Complete || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "single sign-on") {
		t.Errorf("hits %d, complete %v, notes %q; want 1, incomplete, one note on SSO", len(res.Hits), res.Complete, res.Notes)
	}
}

// TestSimUpdateRefsSendsThePreviewMediaType: the documents with updateRefs
// (and only those) carry the update-refs preview media type that older
// GitHub Enterprise Servers require.
func TestSimUpdateRefsSendsThePreviewMediaType(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, appSeed())
	var mu sync.Mutex
	var with, without int
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasSuffix(r.URL.Path, "/graphql") {
			preview := strings.Contains(r.Header.Get("Accept"), "application/vnd.github.update-refs-preview+json")
			mu.Lock()
			if strings.Contains(string(body), "updateRefs(") != preview {
				t.Errorf("document with updateRefs %v sent preview %v", !preview, preview)
			}
			if preview {
				with++
			} else {
				without++
			}
			mu.Unlock()
		}
		s.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	c, err := gh.New(gh.Options{Token: s.srv.AdminToken(), APIURL: rec.URL + "/api/v3/", Clock: s.clk})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := proposeAlpine(t, s, c)
	b := simRepo(t, c, "acme", "app", alpineBranch).Branches[alpineBranch]
	in.BranchRefID, in.BranchHeadOID, in.ExistingPR = b.RefID, b.HeadOID, b.PR
	in.Files = map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")}
	if _, err := c.Propose(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if with != 2 || without == 0 {
		t.Errorf("%d documents with the preview, %d without; want the 2 updateRefs documents with it", with, without)
	}
}
