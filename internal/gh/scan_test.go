package gh_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// TestListRepos lists 250 repositories in three GraphQL pages, with heads
// and flags; an unknown owner is an error wrapping ErrNotFound.
func TestListRepos(t *testing.T) {
	t.Parallel()
	seed := ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "big/old", Archived: true, Files: map[string]string{"a": "b"}}, {Name: "big/void"}}}
	for i := range 248 {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("big/r%03d", i), Files: map[string]string{"Dockerfile": "FROM x\n"}})
	}
	s := newSim(t, limiter.Config{}, seed)
	c, _ := s.client(t, gh.Options{})
	ctx := context.Background()
	l, err := c.ListRepos(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Repos) != 250 || l.Total != 250 || l.Requests != 3 {
		t.Fatalf("listed %d of %d in %d requests, want 250 in 3", len(l.Repos), l.Total, l.Requests)
	}
	byName := map[string]gh.RepoInfo{}
	for _, r := range l.Repos {
		byName[r.Name] = r
	}
	if r := byName["old"]; !r.Archived || r.HeadOID == "" || r.DefaultBranch != "main" {
		t.Errorf("big/old = %+v", r)
	}
	if r := byName["r007"]; r.Archived || r.Fork || r.HeadOID == "" || r.ViewerPermission != "ADMIN" {
		t.Errorf("big/r007 = %+v", r)
	}
	if r := byName["void"]; !r.Empty || r.HeadOID != "" {
		t.Errorf("big/void = %+v", r)
	}
	if n, err := c.CountRepos(ctx, "big"); n != 250 || err != nil {
		t.Errorf("CountRepos = %d, %v", n, err)
	}
	if _, err := c.CountRepos(ctx, "nobody"); !errors.Is(err, gh.ErrNotFound) {
		t.Errorf("CountRepos of an unknown owner: %v, want ErrNotFound", err)
	}
	if _, err := c.ListRepos(ctx, "nobody"); !errors.Is(err, gh.ErrNotFound) {
		t.Errorf("unknown owner: %v, want ErrNotFound", err)
	}
}

// TestListFilesTruncated: a truncated recursive tree is listed by subtree,
// every file seen, never silently cut.
func TestListFilesTruncated(t *testing.T) {
	t.Parallel()
	files := map[string]string{"README": "r\n"}
	for i := range 6 {
		files[fmt.Sprintf("svc%d/Dockerfile", i)] = "FROM x\n"
		files[fmt.Sprintf("svc%d/deep/more/compose.yaml", i)] = "services: {}\n"
	}
	s := newSim(t, limiter.Config{}, ghsim.Seed{TreeLimit: 5, Repos: []ghsim.SeedRepo{{Name: "mono/repo", Files: files}}})
	c, _ := s.client(t, gh.Options{})
	before := s.srv.Stats().Endpoints["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"]
	entries, truncated, err := c.ListFiles(context.Background(), "mono", "repo", "main")
	if err != nil || truncated {
		t.Fatalf("ListFiles: truncated %v, %v", truncated, err)
	}
	var got, want []string
	for _, e := range entries {
		got = append(got, e.Path)
	}
	for p := range files {
		want = append(want, p)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	// 1 truncated recursive + 1 top level + 6 subtrees.
	if n := s.srv.Stats().Endpoints["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"] - before; n != 8 {
		t.Errorf("%d tree requests, want 8", n)
	}
}
