package gh_test

import (
	"context"

	"testing"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// TestSimHydratePRStatus reads an open pull request's age, mergeability
// and CI state with PRStatus, and leaves them out without it.
func TestSimHydratePRStatus(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}},
	}})
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	const branch = "dfiu/alpine"
	r := simRepo(t, c, "acme", "app", branch)
	if _, err := c.Propose(ctx, gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: r.DefaultBranch, BaseOID: r.HeadOID,
		Branch: branch, Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")},
		Message: gh.CommitMessage{Headline: "Bump"}, Title: "Bump", Body: "b",
	}); err != nil {
		t.Fatal(err)
	}
	read := func(status bool) *gh.PullRequest {
		res, err := c.Hydrate(ctx, []gh.RepoRequest{{Owner: "acme", Name: "app", Branches: []string{branch}, PRStatus: status}}, nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		repo := res.Repos["acme/app"]
		if repo.Err != nil {
			t.Fatal(repo.Err)
		}
		if repo.Branches[branch] == nil || repo.Branches[branch].PR == nil {
			t.Fatalf("no open pull request read: %+v", repo.Branches[branch])
		}
		return repo.Branches[branch].PR
	}
	pr := read(true)
	// The simulator has no statuses or checks: GitHub's rollup is null.
	if pr.CreatedAt.IsZero() || pr.Mergeable != "MERGEABLE" || pr.CIState != "" {
		t.Errorf("with PRStatus: %+v", pr)
	}
	if pr := read(false); !pr.CreatedAt.IsZero() || pr.Mergeable != "" {
		t.Errorf("without PRStatus: %+v", pr)
	}
}
