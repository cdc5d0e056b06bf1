package gh_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/imageref"
	"github.com/dfiu/dfiu/internal/store"
)

var simEpoch = time.Unix(1_800_000_000, 0)

type sim struct {
	srv *ghsim.Server
	ts  *httptest.Server
	clk *clock.Fake
}

func newSim(t *testing.T, limits limiter.Config, seed ghsim.Seed) *sim {
	t.Helper()
	clk := clock.NewFake(simEpoch)
	srv := ghsim.New(ghsim.Options{Clock: clk, Limits: limits, Middleware: ghsimtest.ValidateIfPresent(t)})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.SetBaseURL(ts.URL)
	if err := srv.Seed(seed); err != nil {
		t.Fatalf("seeding the simulator: %v", err)
	}
	return &sim{srv: srv, ts: ts, clk: clk}
}

// client returns a client on GitHub Enterprise URLs (/api/v3/ and
// /api/graphql) with its own transport state and a clock of its own, so
// that each client's sleeps can be asserted.
func (s *sim) client(t *testing.T, opts gh.Options) (*gh.Client, *clock.Fake) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = s.srv.AdminToken()
	}
	opts.APIURL = s.ts.URL + "/api/v3/"
	clk := s.clk
	if opts.Clock == nil {
		opts.Clock = clk
	} else {
		clk = opts.Clock.(*clock.Fake)
	}
	c, err := gh.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if opts.GraphQLURL == "" && !strings.HasSuffix(c.GraphQLURL(), "/api/graphql") {
		t.Fatalf("GraphQL URL %q is not GitHub Enterprise's", c.GraphQLURL())
	}
	return c, clk
}

func (s *sim) graphQLRequests() int64 {
	st := s.srv.Stats()
	return st.Endpoints["POST /graphql"]
}

func dockerfiles(n int, size func(i int) int) map[string]string {
	files := make(map[string]string, n)
	for i := range n {
		body := "FROM alpine:3.19\n"
		if pad := size(i) - len(body) - 2; pad > 0 {
			body += "#" + strings.Repeat("x", pad) + "\n"
		}
		files[fmt.Sprintf("svc%03d/Dockerfile", i)] = body
	}
	return files
}

func TestSimSearchCodePaginates(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/mono", Files: dockerfiles(250, func(i int) int { return 100 })},
		{Name: "acme/other", Files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}},
	}})
	c, _ := s.client(t, gh.Options{})
	res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Qualifiers: []string{"filename:Dockerfile"}, Orgs: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 250 || !res.Complete || len(res.Notes) != 0 {
		t.Errorf("hits = %d, complete = %v, notes = %q; want 250, true, none", len(res.Hits), res.Complete, res.Notes)
	}
	if res.Requests != 3 {
		t.Errorf("requests = %d, want 3 (pages of 100)", res.Requests)
	}
	if got := s.srv.Stats().Endpoints["GET /search/code"]; got != 3 {
		t.Errorf("simulator saw %d searches, want 3", got)
	}
	if h := res.Hits[0]; h.Owner != "acme" || h.Name != "mono" || !strings.HasSuffix(h.Path, "/Dockerfile") || len(h.SHA) != 40 {
		t.Errorf("first hit = %+v", h)
	}
}

func TestSimSearchCodeSplitsOverTheCap(t *testing.T) {
	t.Parallel()
	// 1,200 matching files of sizes spread from ~20 bytes to ~3 KB.
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/a", Files: dockerfiles(600, func(i int) int { return 20 + i*5 })},
		{Name: "acme/b", Files: dockerfiles(600, func(i int) int { return 25 + i*5 })},
	}})
	c, _ := s.client(t, gh.Options{})
	res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Qualifiers: []string{"filename:Dockerfile"}, Orgs: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1200 || !res.Complete {
		t.Fatalf("hits = %d, complete = %v, notes = %q; want 1200, true", len(res.Hits), res.Complete, res.Notes)
	}
	if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "split") {
		t.Errorf("notes = %q, want the split recorded", res.Notes)
	}
	if got := s.srv.Stats().Endpoints["GET /search/code"]; got != int64(res.Requests) {
		t.Errorf("simulator saw %d searches, client counted %d", got, res.Requests)
	}
	t.Logf("1,200 hits in %d search requests", res.Requests)
	seen := map[string]bool{}
	for _, h := range res.Hits {
		k := h.Owner + "/" + h.Name + ":" + h.Path
		if seen[k] {
			t.Fatalf("duplicate hit %s", k)
		}
		seen[k] = true
	}
}

func TestSimSearchCodeReportsIncompleteCoverage(t *testing.T) {
	t.Parallel()
	t.Run("over the cap at one size", func(t *testing.T) {
		t.Parallel()
		s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
			{Name: "acme/same", Files: dockerfiles(1050, func(int) int { return 64 })},
		}})
		c, _ := s.client(t, gh.Options{})
		res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Orgs: []string{"acme"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Complete || len(res.Hits) != 1000 {
			t.Errorf("complete = %v, hits = %d; want false, 1000", res.Complete, len(res.Hits))
		}
		if last := res.Notes[len(res.Notes)-1]; !strings.Contains(last, "size:64..64") || !strings.Contains(last, "only the first 1000") {
			t.Errorf("last note = %q, want the uncovered size range", last)
		}
	})
	t.Run("incomplete_results", func(t *testing.T) {
		t.Parallel()
		s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
			{Name: "acme/x", Files: map[string]string{"Dockerfile": "FROM alpine:3\n"}},
		}})
		s.srv.SetIncompleteResults(true)
		c, _ := s.client(t, gh.Options{})
		res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Orgs: []string{"acme"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Complete || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "incomplete_results") {
			t.Errorf("complete = %v, notes = %q; want false and an incomplete_results note", res.Complete, res.Notes)
		}
	})
}

func TestSimSearchCodeKeepsUnderTheLimit(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{Limits: limiter.Limits{CodeSearch: 2}}, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/a", Files: dockerfiles(450, func(i int) int { return 20 + i*3 })},
	}})
	c, clk := s.client(t, gh.Options{})
	res, err := c.SearchCode(context.Background(), gh.CodeQuery{Terms: []string{"alpine"}, Orgs: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	st := s.srv.Stats()
	if st.RateLimited != 0 {
		t.Errorf("the simulator refused %d searches; the transport should have waited for the reset", st.RateLimited)
	}
	if res.Requests != 5 || len(res.Hits) != 450 {
		t.Fatalf("requests = %d, hits = %d; want 5 requests and 450 hits", res.Requests, len(res.Hits))
	}
	// Five searches at two a minute: two waits for the window's reset.
	want := []time.Duration{time.Minute, time.Minute}
	if diff := cmp.Diff(want, clk.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

func hydrateSeed() ghsim.Seed {
	seed := ghsim.Seed{
		Users: []string{"alice"},
		Teams: []ghsim.SeedTeam{{Org: "acme", Slug: "platform"}},
	}
	for i := range 100 {
		r := ghsim.SeedRepo{
			Name:   fmt.Sprintf("acme/r%03d", i),
			Files:  map[string]string{"Dockerfile": fmt.Sprintf("FROM alpine:3.19 # %d\n", i)},
			Labels: []string{"dependencies"},
		}
		if i == 7 {
			r.Branches = []ghsim.SeedBranch{{Name: "dfiu/alpine", Files: map[string]string{"Dockerfile": "FROM alpine:3.20\n"}}}
			r.Pulls = []ghsim.SeedPull{{Head: "dfiu/alpine", Title: "Bump alpine", Body: "old body"}}
			r.AutoMergeAllowed = true
		}
		seed.Repos = append(seed.Repos, r)
	}
	return seed
}

func TestSimHydrate(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, hydrateSeed())
	c, _ := s.client(t, gh.Options{})
	var reqs []gh.RepoRequest
	for i := range 100 {
		reqs = append(reqs, gh.RepoRequest{Owner: "acme", Name: fmt.Sprintf("r%03d", i),
			Paths: []string{"Dockerfile", "missing/Dockerfile"}, Branches: []string{"dfiu/alpine"}, Labels: []string{"dependencies", "nope"}})
	}
	reqs = append(reqs[:50], append([]gh.RepoRequest{{Owner: "acme", Name: "gone", Paths: []string{"Dockerfile"}}}, reqs[50:]...)...)
	res, err := c.Hydrate(context.Background(), reqs, []string{"alice", "nobody"}, []string{"acme/platform", "acme/ghosts"}, 40)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 5 || s.graphQLRequests() != 5 {
		t.Errorf("requests = %d (simulator %d), want 5: 3 for 101 repositories at 40, users and teams in one each", res.Requests, s.graphQLRequests())
	}
	if res.UsersErr != nil || res.TeamsErr != nil {
		t.Errorf("UsersErr %v, TeamsErr %v; want none", res.UsersErr, res.TeamsErr)
	}
	if res.Viewer != "admin" {
		t.Errorf("viewer = %q", res.Viewer)
	}
	if len(res.Repos) != 101 {
		t.Fatalf("repos = %d, want 101", len(res.Repos))
	}
	if _, ok := res.Users["alice"]; !ok || len(res.Users) != 1 {
		t.Errorf("users = %v, want alice only", res.Users)
	}
	if _, ok := res.Teams["acme/platform"]; !ok || len(res.Teams) != 1 {
		t.Errorf("teams = %v, want acme/platform only", res.Teams)
	}
	gone := res.Repos["acme/gone"]
	if gone == nil || !errors.Is(gone.Err, gh.ErrNotFound) {
		t.Errorf("acme/gone: %+v, want Err wrapping ErrNotFound", gone)
	}
	for i := range 100 {
		r := res.Repos[fmt.Sprintf("acme/r%03d", i)]
		if r == nil || r.Err != nil {
			t.Fatalf("r%03d: %+v", i, r)
		}
		if f := r.Files["Dockerfile"]; f == nil || f.Text != fmt.Sprintf("FROM alpine:3.19 # %d\n", i) || f.Size != len(f.Text) || len(f.OID) != 40 {
			t.Errorf("r%03d Dockerfile = %+v", i, f)
		}
		if f, ok := r.Files["missing/Dockerfile"]; !ok || f != nil {
			t.Errorf("r%03d missing file = %+v, %v; want a nil entry", i, f, ok)
		}
		if r.DefaultBranch != "main" || len(r.HeadOID) != 40 || r.ID == "" || r.ViewerPermission != "ADMIN" {
			t.Errorf("r%03d = %+v", i, r)
		}
		if r.Labels["dependencies"] == "" || len(r.Labels) != 1 {
			t.Errorf("r%03d labels = %v", i, r.Labels)
		}
		b, ok := r.Branches["dfiu/alpine"]
		if !ok {
			t.Errorf("r%03d: branch entry missing", i)
		}
		if i != 7 {
			if b != nil {
				t.Errorf("r%03d: branch = %+v, want nil", i, b)
			}
			continue
		}
		if b == nil || b.RefID == "" || len(b.HeadOID) != 40 || b.HeadOID == r.HeadOID {
			t.Fatalf("r007 branch = %+v", b)
		}
		if f := b.Files["Dockerfile"]; f == nil || f.Text != "FROM alpine:3.20\n" {
			t.Errorf("r007 branch Dockerfile = %+v", f)
		}
		if b.PR == nil || b.PR.Title != "Bump alpine" || b.PR.Number == 0 || b.PR.ID == "" || !strings.Contains(b.PR.URL, "/acme/r007/pull/") {
			t.Errorf("r007 PR = %+v", b.PR)
		}
		if !r.AutoMergeAllowed {
			t.Errorf("r007 AutoMergeAllowed = false")
		}
	}
}

func TestSimHydrateHalvesOnTimeout(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{Faults: []limiter.Fault{{Kind: limiter.FaultStatus, Status: 502, Match: "POST /graphql", Once: true}}}, hydrateSeed())
	c, clk := s.client(t, gh.Options{})
	var reqs []gh.RepoRequest
	for i := range 10 {
		reqs = append(reqs, gh.RepoRequest{Owner: "acme", Name: fmt.Sprintf("r%03d", i), Paths: []string{"Dockerfile"}})
	}
	res, err := c.Hydrate(context.Background(), reqs, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3 || s.graphQLRequests() != 3 {
		t.Errorf("requests = %d (simulator %d), want 3: the timed-out batch and its halves", res.Requests, s.graphQLRequests())
	}
	if len(clk.Sleeps()) != 0 {
		t.Errorf("sleeps = %v; a timed-out batch is halved, not resent after a wait", clk.Sleeps())
	}
	for k, r := range res.Repos {
		if r.Err != nil || r.Files["Dockerfile"] == nil {
			t.Errorf("%s: %+v", k, r)
		}
	}
}

func simRepo(t *testing.T, c *gh.Client, owner, name string, branch string) *gh.Repo {
	t.Helper()
	res, err := c.Hydrate(context.Background(), []gh.RepoRequest{{Owner: owner, Name: name, Paths: []string{"Dockerfile"}, Branches: []string{branch}}}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Repos[strings.ToLower(owner+"/"+name)]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	return r
}

func TestSimProposeCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n", "README.md": "hi\n"}},
	}})
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	const branch = "dfiu/alpine"
	r := simRepo(t, c, "acme", "app", branch)
	if r.Branches[branch] != nil {
		t.Fatalf("branch exists before Propose")
	}

	before := s.graphQLRequests()
	in := gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: r.DefaultBranch, BaseOID: r.HeadOID,
		Branch: branch, Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")},
		Message: gh.CommitMessage{Headline: "Bump alpine to 3.20", Body: "By dfiu."},
		Title:   "Bump alpine to 3.20", Body: "first",
	}
	res, err := c.Propose(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.graphQLRequests() - before; got != 1 {
		t.Errorf("Propose sent %d requests, want 1", got)
	}
	if !res.Created || res.PR.Number == 0 || res.PR.Title != in.Title || len(res.CommitOID) != 40 {
		t.Fatalf("Propose = %+v", res)
	}
	checkCommit(t, s, "acme", "app", branch, res.CommitOID, r.HeadOID, "FROM alpine:3.20\n")

	// A second run: re-read, then commit again on the base and move the
	// branch to it, and update the same pull request.
	r = simRepo(t, c, "acme", "app", branch)
	b := r.Branches[branch]
	if b == nil || b.PR == nil || b.PR.Number != res.PR.Number || b.HeadOID != res.CommitOID || b.PR.HeadOID != res.CommitOID {
		t.Fatalf("branch after Propose = %+v", b)
	}
	in.BranchRefID, in.BranchHeadOID, in.ExistingPR = b.RefID, b.HeadOID, b.PR
	in.Files = map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")}
	in.Body = "second"
	before = s.graphQLRequests()
	res2, err := c.Propose(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.graphQLRequests() - before; got != 3 {
		t.Errorf("second Propose sent %d requests, want 3 (commit, move, update the PR once the move succeeded)", got)
	}
	if res2.Created || res2.PR.Number != res.PR.Number || res2.PR.Body != "second" {
		t.Errorf("second Propose = %+v, want the same PR updated", res2)
	}
	checkCommit(t, s, "acme", "app", branch, res2.CommitOID, r.HeadOID, "FROM alpine:3.21\n")
	prs, err := s.srv.PullRequests("acme", "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(prs) != 1 || prs[0].Body != "second" || prs[0].State != "open" {
		t.Errorf("pull requests = %+v, want one, open, updated", prs)
	}
	// Nothing to change on the PR: the pr step is left out.
	r = simRepo(t, c, "acme", "app", branch)
	in.BranchRefID, in.BranchHeadOID, in.ExistingPR = r.Branches[branch].RefID, r.Branches[branch].HeadOID, r.Branches[branch].PR
	res3, err := c.Propose(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res3.PR != *in.ExistingPR || s.srv.Stats().GraphQLFields["mutation.updatePullRequest"] != 1 {
		t.Errorf("third Propose = %+v, fields %v", res3, s.srv.Stats().GraphQLFields)
	}
}

// checkCommit asserts that branch's head is oid, a verified commit whose
// only parent is base, holding want as the Dockerfile.
func checkCommit(t *testing.T, s *sim, owner, name, branch, oid, base, want string) {
	t.Helper()
	w := s.srv.World()
	actor, _ := w.TokenFor(s.srv.AdminToken())
	repo, err := w.RepoByName(actor, owner, name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Commit(actor, repo.ID, branch)
	if err != nil {
		t.Fatal(err)
	}
	if c.OID != oid || !c.Verified || !cmp.Equal(c.Parents, []string{base}) {
		t.Errorf("head of %s = %s (verified %v, parents %v); want %s, verified, parent %s", branch, c.OID, c.Verified, c.Parents, oid, base)
	}
	files, err := s.srv.RepoFiles(owner, name, branch)
	if err != nil {
		t.Fatal(err)
	}
	if files["Dockerfile"] != want || files["README.md"] != "hi\n" {
		t.Errorf("files on %s = %q", branch, files)
	}
}

func TestSimProposeStale(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{{
		Name:     "acme/app",
		Files:    map[string]string{"Dockerfile": "FROM alpine:3.19\n"},
		Branches: []ghsim.SeedBranch{{Name: "dfiu/alpine", Files: map[string]string{"Dockerfile": "FROM alpine:3.18\n"}}},
	}}})
	c, _ := s.client(t, gh.Options{})
	r := simRepo(t, c, "acme", "app", "dfiu/alpine")
	// Stale knowledge: we believe the branch does not exist, but it does,
	// at another commit.
	res, err := c.Propose(context.Background(), gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: "main", BaseOID: r.HeadOID, Branch: "dfiu/alpine",
		Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")}, Message: gh.CommitMessage{Headline: "x"}, Title: "x",
	})
	if !errors.Is(err, gh.ErrBranchMoved) || errors.Is(err, gh.ErrOutcomeUnknown) {
		t.Fatalf("Propose error = %v, want ErrBranchMoved (and not ErrOutcomeUnknown)", err)
	}
	var ge *gh.GraphQLError
	if !errors.As(err, &ge) || ge.Type != "STALE_DATA" || ge.Path[0] != "commit" {
		t.Errorf("error %v does not carry the STALE_DATA GraphQL error", err)
	}
	// GitHub runs every field of the document, so the pull request was
	// opened from the branch as it was; Propose says so, and the caller's
	// re-read finds it as the ExistingPR to update.
	prs, _ := s.srv.PullRequests("acme", "app")
	if len(prs) != 1 || res == nil || res.PR.Number != prs[0].Number || !res.Created || res.CommitOID != "" {
		t.Errorf("result %+v, pull requests %+v; want the opened PR reported", res, prs)
	}
}

func TestSimDecorate(t *testing.T) {
	t.Parallel()
	seed := ghsim.Seed{
		Users: []string{"alice", "bob"},
		Teams: []ghsim.SeedTeam{{Org: "acme", Slug: "platform"}},
	}
	for _, r := range []ghsim.SeedRepo{
		{Name: "acme/checks", AutoMergeAllowed: true, RequiredChecks: true},
		{Name: "acme/clean", AutoMergeAllowed: true},
		{Name: "acme/nomerge"},
	} {
		r.Files = map[string]string{"Dockerfile": "FROM alpine:3.19\n"}
		r.Labels = []string{"dependencies"}
		r.Branches = []ghsim.SeedBranch{{Name: "dfiu/alpine", Files: map[string]string{"Dockerfile": "FROM alpine:3.20\n"}}}
		r.Pulls = []ghsim.SeedPull{{Head: "dfiu/alpine", Title: "Bump", Reviewers: []string{"bob"}}}
		seed.Repos = append(seed.Repos, r)
	}
	s := newSim(t, limiter.Config{}, seed)
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	var reqs []gh.RepoRequest
	for _, n := range []string{"checks", "clean", "nomerge"} {
		reqs = append(reqs, gh.RepoRequest{Owner: "acme", Name: n, Branches: []string{"dfiu/alpine"}, Labels: []string{"dependencies"}})
	}
	h, err := c.Hydrate(ctx, reqs, []string{"alice"}, []string{"acme/platform"}, 0)
	if err != nil {
		t.Fatal(err)
	}

	before := s.graphQLRequests()
	notes, err := c.Decorate(ctx, gh.Decoration{PRID: h.Repos["acme/checks"].Branches["dfiu/alpine"].PR.ID})
	if err != nil || notes != nil || s.graphQLRequests() != before {
		t.Fatalf("Decorate with nothing: %v, %v, %d requests; want none", notes, err, s.graphQLRequests()-before)
	}

	wantNotes := map[string]string{"checks": "", "clean": "clean status", "nomerge": "not allowed"}
	for name, want := range wantNotes {
		r := h.Repos["acme/"+name]
		before := s.graphQLRequests()
		notes, err := c.Decorate(ctx, gh.Decoration{
			PRID: r.Branches["dfiu/alpine"].PR.ID, LabelIDs: []string{r.Labels["dependencies"]},
			UserIDs: []string{h.Users["alice"]}, TeamIDs: []string{h.Teams["acme/platform"]},
			AssigneeIDs: []string{h.Users["alice"]}, AutoMerge: "SQUASH",
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := s.graphQLRequests() - before; got != 1 {
			t.Errorf("%s: Decorate sent %d requests, want 1", name, got)
		}
		if (want == "") != (len(notes) == 0) || (want != "" && !strings.Contains(strings.ToLower(notes[0]), want)) {
			t.Errorf("%s: notes = %q, want %q", name, notes, want)
		}
		prs, err := s.srv.PullRequests("acme", name)
		if err != nil || len(prs) != 1 {
			t.Fatalf("%s: %v %+v", name, err, prs)
		}
		pr := prs[0]
		var reviewers []string
		for _, a := range pr.RequestedReviewers {
			reviewers = append(reviewers, a.Login)
		}
		sort.Strings(reviewers)
		if len(pr.Labels) != 1 || pr.Labels[0].Name != "dependencies" || !cmp.Equal(reviewers, []string{"alice", "bob"}) ||
			len(pr.RequestedTeams) != 1 || len(pr.Assignees) != 1 || pr.Assignees[0].Login != "alice" {
			t.Errorf("%s: PR = labels %v, reviewers %v (union with bob), teams %v, assignees %v", name, pr.Labels, reviewers, pr.RequestedTeams, pr.Assignees)
		}
		if (pr.AutoMerge != nil) != (want == "") {
			t.Errorf("%s: auto-merge = %+v", name, pr.AutoMerge)
		}
	}
}

func TestSimContents(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/ops", Files: map[string]string{"README.md": "ops\n"}}}})
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	if _, _, err := c.GetContents(ctx, "acme", "ops", "store.json", ""); !errors.Is(err, gh.ErrNotFound) {
		t.Fatalf("GetContents of a missing file: %v, want ErrNotFound", err)
	}
	if err := c.PutContents(ctx, "acme", "ops", "store.json", "", []byte("{}\n"), "", "create"); err != nil {
		t.Fatal(err)
	}
	got, sha, err := c.GetContents(ctx, "acme", "ops", "store.json", "")
	if err != nil || string(got) != "{}\n" || len(sha) != 40 {
		t.Fatalf("GetContents = %q, %q, %v", got, sha, err)
	}
	if err := c.PutContents(ctx, "acme", "ops", "store.json", "", []byte("{\"a\":1}\n"), "", "no sha"); !errors.Is(err, gh.ErrConflict) {
		t.Errorf("PutContents without sha on an existing file: %v, want ErrConflict", err)
	}
	if err := c.PutContents(ctx, "acme", "ops", "store.json", "main", []byte("{\"a\":1}\n"), strings.Repeat("0", 40), "wrong sha"); !errors.Is(err, gh.ErrConflict) {
		t.Errorf("PutContents with a stale sha: %v, want ErrConflict", err)
	}
	if err := c.PutContents(ctx, "acme", "ops", "store.json", "main", []byte("{\"a\":2}\n"), sha, "update"); err != nil {
		t.Fatal(err)
	}
	got, _, _ = c.GetContents(ctx, "acme", "ops", "store.json", "main")
	if string(got) != "{\"a\":2}\n" {
		t.Errorf("after update: %q", got)
	}
	entries, truncated, err := c.ListFiles(ctx, "acme", "ops", "main")
	if err != nil || truncated {
		t.Fatal(err, truncated)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, e.Path)
		if len(e.SHA) != 40 || e.Size <= 0 {
			t.Errorf("entry %+v", e)
		}
	}
	sort.Strings(paths)
	if !cmp.Equal(paths, []string{"README.md", "store.json"}) {
		t.Errorf("ListFiles = %v", paths)
	}
	if _, _, err := c.ListFiles(ctx, "acme", "nope", "main"); !errors.Is(err, gh.ErrNotFound) {
		t.Errorf("ListFiles of a missing repository: %v, want ErrNotFound", err)
	}
}

func TestSimConcurrentStoreSet(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/ops", Files: map[string]string{"README.md": "ops\n"}}}})
	c, clk := s.client(t, gh.Options{Concurrency: 20})
	loc, err := store.ParseLocation("acme/ops/dfiu/store.json")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = store.SetWithOptions(context.Background(), c, loc, imageref.MustParse(fmt.Sprintf("ghcr.io/acme/img%02d", i)), "1.0", store.Options{Clock: clk, MaxAttempts: 40})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	images, _, err := store.Load(context.Background(), c, loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 20 {
		t.Errorf("store has %d entries, want 20: %v", len(images), images)
	}
}

// TestSimRateLimitsRetried makes a second client (another job on the same
// token) run into limits the first one used up, so that it meets the
// refusal itself, and checks it waited exactly as long as GitHub said.
func TestSimRateLimitsRetried(t *testing.T) {
	t.Parallel()
	seed := ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/ops", Files: map[string]string{"f": "x\n"}}}}
	read := func(c *gh.Client) error {
		_, _, err := c.GetContents(context.Background(), "acme", "ops", "f", "")
		return err
	}
	hydrate := func(c *gh.Client) error {
		_, err := c.Hydrate(context.Background(), []gh.RepoRequest{{Owner: "acme", Name: "ops"}}, nil, nil, 0)
		return err
	}
	n := 0
	write := func(c *gh.Client) error {
		n++
		return c.PutContents(context.Background(), "acme", "ops", fmt.Sprintf("new%d", n), "", []byte("x"), "", "add")
	}
	tests := []struct {
		name   string
		limits limiter.Limits
		call   func(*gh.Client) error
		want   time.Duration
	}{
		{"REST primary 403", limiter.Limits{Core: 1, PrimaryStatus: 403}, read, time.Hour},
		{"REST primary 429", limiter.Limits{Core: 1, PrimaryStatus: 429}, read, time.Hour},
		{"REST secondary 429 retry-after", limiter.Limits{ContentPerMinute: 1, SecondaryStatus: 429}, write, time.Minute},
		{"REST secondary 403 retry-after", limiter.Limits{ContentPerMinute: 1, SecondaryStatus: 403, RetryAfter: limiter.Duration(17 * time.Second)}, write, 17 * time.Second},
		{"GraphQL RATE_LIMITED", limiter.Limits{GraphQL: 1, GraphQLPrimary: limiter.GraphQLRateLimited}, hydrate, time.Hour},
		{"GraphQL RATE_LIMIT", limiter.Limits{GraphQL: 1, GraphQLPrimary: limiter.GraphQLRateLimit}, hydrate, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, limiter.Config{Limits: tt.limits}, seed)
			first, _ := s.client(t, gh.Options{})
			if err := tt.call(first); err != nil {
				t.Fatal(err)
			}
			// A fresh client knows nothing of the used-up limit.
			second, clk := s.client(t, gh.Options{})
			if err := tt.call(second); err != nil {
				t.Fatal(err)
			}
			// Each refusal was followed by exactly the wait it asked for (a
			// retry-after shorter than the window is refused again).
			refused := s.srv.Stats().RateLimited
			sleeps := clk.Sleeps()
			if refused < 1 || int64(len(sleeps)) != refused {
				t.Fatalf("simulator refused %d requests; client slept %v", refused, sleeps)
			}
			for _, d := range sleeps {
				if d != tt.want {
					t.Errorf("second client's sleeps = %v, want each %v", sleeps, tt.want)
					break
				}
			}
			if tt.want >= time.Minute && refused != 1 {
				t.Errorf("simulator refused %d requests, want 1: the wait covered the window", refused)
			}
		})
	}
}

func TestSimPathsNeedEscaping(t *testing.T) {
	t.Parallel()
	path := `odd "dir"/back\slash/Dockerfile.ünï`
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/app", Files: map[string]string{path: "FROM alpine:3.19\n"}},
	}})
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	res, err := c.Hydrate(ctx, []gh.RepoRequest{{Owner: "acme", Name: "app", Paths: []string{path}}}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Repos["acme/app"]
	if r.Err != nil || r.Files[path] == nil || r.Files[path].Text != "FROM alpine:3.19\n" {
		t.Fatalf("repo = %+v", r)
	}
	out, err := c.Propose(ctx, gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: "main", BaseOID: r.HeadOID, Branch: `dfiu/alpine`,
		Files:   map[string][]byte{path: []byte("FROM alpine:3.20\r\n")},
		Message: gh.CommitMessage{Headline: `Bump "alpine"`, Body: "line\n\\ two"}, Title: `Bump "alpine" \ 3.20`, Body: "ü\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := s.srv.RepoFiles("acme", "app", "dfiu/alpine")
	if err != nil || files[path] != "FROM alpine:3.20\r\n" {
		t.Errorf("files = %q, %v", files, err)
	}
	if out.PR.Title != `Bump "alpine" \ 3.20` || out.PR.Body != "ü\n" {
		t.Errorf("PR = %+v", out.PR)
	}
}

// BenchmarkSimHydrate reads 100 repositories (two files and a branch
// each) from the simulator, reporting GraphQL requests per Hydrate.
func BenchmarkSimHydrate(b *testing.B) {
	clk := clock.NewFake(simEpoch)
	srv := ghsim.New(ghsim.Options{Clock: clk})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if err := srv.Seed(hydrateSeed()); err != nil {
		b.Fatal(err)
	}
	c, err := gh.New(gh.Options{Token: srv.AdminToken(), APIURL: ts.URL + "/api/v3/", Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	var reqs []gh.RepoRequest
	for i := range 100 {
		reqs = append(reqs, gh.RepoRequest{Owner: "acme", Name: fmt.Sprintf("r%03d", i), Paths: []string{"Dockerfile", "compose.yaml"}, Branches: []string{"dfiu/alpine"}})
	}
	requests := 0
	for b.Loop() {
		res, err := c.Hydrate(context.Background(), reqs, nil, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		requests += res.Requests
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
}

// TestSimContentsEscapesPaths: a path holding "#", "?", "%", a space or a
// non-ASCII letter is read and written as itself, never as another file
// (store.json#x was read as one file and written as store.json; new%41.json
// was written as newA.json).
func TestSimContentsEscapesPaths(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/ops", Files: map[string]string{"store.json": "{}\n", "newA.json": "{}\n"}}}})
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	for _, path := range []string{"store.json#x", "new%41.json", "a?b=c.json", "%2e%2e/x.json", "dir #1/s p a c e.json", "dïr/ünï.json", "a+b;c,d:e@f.json"} {
		if _, _, err := c.GetContents(ctx, "acme", "ops", path, "main"); !errors.Is(err, gh.ErrNotFound) {
			t.Errorf("%q: GetContents before it exists: %v, want ErrNotFound", path, err)
		}
		if err := c.PutContents(ctx, "acme", "ops", path, "main", []byte(path+"\n"), "", "create"); err != nil {
			t.Errorf("%q: PutContents: %v", path, err)
			continue
		}
		got, sha, err := c.GetContents(ctx, "acme", "ops", path, "main")
		if err != nil || string(got) != path+"\n" {
			t.Errorf("%q: GetContents = %q, %v", path, got, err)
		}
		if err := c.PutContents(ctx, "acme", "ops", path, "main", []byte(path+" 2\n"), sha, "update"); err != nil {
			t.Errorf("%q: update: %v", path, err)
		}
	}
	files, err := s.srv.RepoFiles("acme", "ops", "main")
	if err != nil {
		t.Fatal(err)
	}
	if files["store.json"] != "{}\n" || files["newA.json"] != "{}\n" {
		t.Errorf("another file was written: store.json %q, newA.json %q", files["store.json"], files["newA.json"])
	}
	if files["new%41.json"] != "new%41.json 2\n" || files["store.json#x"] != "store.json#x 2\n" || files["%2e%2e/x.json"] != "%2e%2e/x.json 2\n" {
		t.Errorf("files = %q", files)
	}
}

// TestSimListFilesEscapesRef: a branch whose name holds "#" or "%" (git
// allows both) is listed as itself.
func TestSimListFilesEscapesRef(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/ops", Files: map[string]string{"Dockerfile": "FROM a\n"},
		Branches: []ghsim.SeedBranch{{Name: "release#1", Files: map[string]string{"Containerfile": "FROM b\n"}}, {Name: "x%41/y", Files: map[string]string{"compose.yaml": "x: 1\n"}}}}}})
	c, _ := s.client(t, gh.Options{})
	for ref, want := range map[string]string{"release#1": "Containerfile", "x%41/y": "compose.yaml"} {
		entries, _, err := c.ListFiles(context.Background(), "acme", "ops", ref)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		var paths []string
		for _, e := range entries {
			paths = append(paths, e.Path)
		}
		if !slices.Contains(paths, want) {
			t.Errorf("ListFiles(%q) = %v, want %s in it", ref, paths, want)
		}
	}
}
