package gh_test

import (
	"context"
	"testing"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// TestSimHydrateAppToken: with a GitHub App installation token, Hydrate
// reads the viewer as the app's bot with its databaseId, and the branch it
// committed to as authored by the bot's noreply address with no user; the
// branch is the viewer's by AuthoredBy, and not a user's.
func TestSimHydrateAppToken(t *testing.T) {
	t.Parallel()
	const token, login, id = "ghs_app", "dfiu[bot]", 41898282
	s := newSim(t, limiter.Config{}, ghsim.Seed{
		Tokens: []ghsim.SeedToken{{Token: token, Login: login, Bot: true, DatabaseID: id, Default: "write"}},
		Repos:  []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}}},
	})
	c, _ := s.client(t, gh.Options{Token: token})
	ctx := context.Background()
	req := []gh.RepoRequest{{Owner: "acme", Name: "app", Paths: []string{"Dockerfile"}, Branches: []string{"dfiu/alpine"}}}
	hyd, err := c.Hydrate(ctx, req, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hyd.Viewer != login || hyd.ViewerID != id {
		t.Fatalf("viewer %q (%d), want %q (%d)", hyd.Viewer, hyd.ViewerID, login, id)
	}
	r := hyd.Repos["acme/app"]
	if _, err := c.Propose(ctx, gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: "main", BaseOID: r.HeadOID, Branch: "dfiu/alpine",
		Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")}, Message: gh.CommitMessage{Headline: "Bump alpine"}, Title: "Bump alpine",
	}); err != nil {
		t.Fatal(err)
	}
	hyd, err = c.Hydrate(ctx, req, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	br := hyd.Repos["acme/app"].Branches["dfiu/alpine"]
	if br == nil {
		t.Fatal("branch dfiu/alpine not read")
	}
	if br.HeadAuthor != "" || br.HeadAuthorName != login || br.HeadAuthorEmail != "41898282+dfiu[bot]@users.noreply.github.com" {
		t.Errorf("head author: user %q, %q <%s>; want no user, %s <41898282+dfiu[bot]@users.noreply.github.com>", br.HeadAuthor, br.HeadAuthorName, br.HeadAuthorEmail, login)
	}
	if !br.AuthoredBy(hyd.Viewer, hyd.ViewerID) {
		t.Errorf("the bot's branch is not AuthoredBy the viewer %s (%d)", hyd.Viewer, hyd.ViewerID)
	}
	if br.AuthoredBy("admin", id) {
		t.Error("the bot's branch is AuthoredBy another login with the bot's id")
	}
}
