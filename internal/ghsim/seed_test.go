package ghsim_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
)

// TestDocumentedSeedExample seeds the example of the README's simulator section, so that
// the documentation cannot drift from the format.
func TestDocumentedSeedExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("reading the documentation: %v", err)
	}
	_, after, ok := strings.Cut(string(doc), "## Seed format")
	_, block, ok2 := strings.Cut(after, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no ```yaml block under \"## Seed format\" in README.md")
	}
	seed, err := ghsim.ParseSeed([]byte(block))
	if err != nil {
		t.Fatal(err)
	}
	srv := ghsim.New(ghsim.Options{Clock: clock.NewFake(time.Now())})
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	prs, err := srv.PullRequests("acme", "app")
	if err != nil || len(prs) != 1 || prs[0].Labels[0].Name != "dependencies" || prs[0].RequestedReviewers[0].Login != "bob" {
		t.Errorf("seeded pull requests = %+v, %v", prs, err)
	}
	files, err := srv.RepoFiles("alice", "app", "")
	if err != nil || files["Dockerfile"] != "FROM alpine:3.19\n" {
		t.Errorf("fork files = %v, %v", files, err)
	}
	if b, err := srv.Branches("acme", "empty"); err != nil || len(b) != 0 {
		t.Errorf("empty repository branches = %v, %v", b, err)
	}
	if tok, ok := srv.World().TokenFor("dev-token"); !ok || tok.Login != "alice" {
		t.Errorf("dev-token = %+v", tok)
	}
}
