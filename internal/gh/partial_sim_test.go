package gh_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
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
