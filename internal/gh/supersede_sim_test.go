package gh_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

const alpineBranch = "dfiu/alpine"

// proposeAlpine opens the first proposal (alpine 3.20) on acme/app and
// returns the input to build on.
func proposeAlpine(t *testing.T, s *sim, c *gh.Client) (gh.ProposeInput, *gh.ProposeResult) {
	t.Helper()
	r := simRepo(t, c, "acme", "app", alpineBranch)
	in := gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: r.DefaultBranch, BaseOID: r.HeadOID,
		Branch: alpineBranch, Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")},
		Message: gh.CommitMessage{Headline: "Bump alpine to 3.20"}, Title: "Bump alpine to 3.20", Body: "3.20",
	}
	res, err := c.Propose(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return in, res
}

func worldRepo(t *testing.T, s *sim) (*state.World, *state.Token, state.Repo) {
	t.Helper()
	w := s.srv.World()
	actor, _ := w.TokenFor(s.srv.AdminToken())
	repo, err := w.RepoByName(actor, "acme", "app")
	if err != nil {
		t.Fatal(err)
	}
	return w, actor, repo
}

func appSeed(branches ...ghsim.SeedBranch) ghsim.Seed {
	return ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app",
		Files:    map[string]string{"Dockerfile": "FROM alpine:3.19\n", "README.md": "hi\n"},
		Branches: branches}}}
}

// TestSimProposeSupersedesWithoutClosing checks that superseding a
// proposal after the default branch moved keeps the pull request open
// (the simulator closes one whose head passes through the base, as GitHub
// does), with one verified commit on the new base and no branch left
// behind.
func TestSimProposeSupersedesWithoutClosing(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, appSeed())
	c, _ := s.client(t, gh.Options{})
	in, first := proposeAlpine(t, s, c)

	// The default branch moves on.
	w, actor, repo := worldRepo(t, s)
	if _, err := w.CommitOnBranch(actor, repo.ID, state.CommitInput{Branch: "main", ExpectedHeadOID: in.BaseOID,
		Additions: map[string][]byte{"README.md": []byte("hi\n")}, Headline: "touch"}); err != nil {
		t.Fatal(err)
	}
	r := simRepo(t, c, "acme", "app", alpineBranch)
	b := r.Branches[alpineBranch]
	in.BaseOID = r.HeadOID
	in.BranchRefID, in.BranchHeadOID, in.ExistingPR = b.RefID, b.HeadOID, b.PR
	in.Files = map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")}
	in.Title, in.Body = "Bump alpine to 3.21", "3.21"
	before := s.graphQLRequests()
	res, err := c.Propose(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.graphQLRequests() - before; got != 3 {
		t.Errorf("Propose on an existing branch with a new title sent %d requests, want 3 (commit, move, retitle)", got)
	}
	if res.Created || res.PR.Number != first.PR.Number || res.PR.Title != in.Title {
		t.Errorf("Propose = %+v, want pull request #%d updated", res, first.PR.Number)
	}
	checkCommit(t, s, "acme", "app", alpineBranch, res.CommitOID, r.HeadOID, "FROM alpine:3.21\n")
	pr, err := w.PullRequest(actor, repo.ID, first.PR.Number)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != "open" || pr.Head.SHA != res.CommitOID {
		t.Errorf("pull request #%d: state %q head %s, want open at %s", pr.Number, pr.State, pr.Head.SHA, res.CommitOID)
	}
	commits, err := w.CommitsBetween(actor, repo.ID, r.HeadOID, res.CommitOID)
	if err != nil || len(commits) != 1 {
		t.Errorf("commits over the base = %d (%v), want 1", len(commits), err)
	}
	if _, err := w.Ref(actor, repo.ID, "refs/heads/"+gh.TempBranch(alpineBranch)); err == nil {
		t.Errorf("temporary branch %s left behind", gh.TempBranch(alpineBranch))
	}
}

// TestSimProposeResetsLeftoverTempBranch checks that a temporary branch a
// crashed run left (with a commit of its own) is reset, not built on.
func TestSimProposeResetsLeftoverTempBranch(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, appSeed(
		ghsim.SeedBranch{Name: alpineBranch, Files: map[string]string{"Dockerfile": "FROM alpine:3.20\n"}},
		ghsim.SeedBranch{Name: gh.TempBranch(alpineBranch), Files: map[string]string{"Dockerfile": "FROM alpine:3.99\n", "junk": "x\n"}},
	))
	c, _ := s.client(t, gh.Options{})
	r := simRepo(t, c, "acme", "app", alpineBranch)
	b := r.Branches[alpineBranch]
	res, err := c.Propose(context.Background(), gh.ProposeInput{
		RepoID: r.ID, Owner: "acme", Name: "app", BaseBranch: r.DefaultBranch, BaseOID: r.HeadOID,
		Branch: alpineBranch, BranchRefID: b.RefID, BranchHeadOID: b.HeadOID,
		Files:   map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")},
		Message: gh.CommitMessage{Headline: "Bump"}, Title: "Bump alpine to 3.21",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created {
		t.Errorf("Propose = %+v, want a new pull request (the branch had none)", res)
	}
	checkCommit(t, s, "acme", "app", alpineBranch, res.CommitOID, r.HeadOID, "FROM alpine:3.21\n")
	files, err := s.srv.RepoFiles("acme", "app", alpineBranch)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["junk"]; ok {
		t.Errorf("the leftover branch's commit was built on: files %v", files)
	}
	w, actor, repo := worldRepo(t, s)
	if _, err := w.Ref(actor, repo.ID, "refs/heads/"+gh.TempBranch(alpineBranch)); err == nil {
		t.Errorf("temporary branch left behind")
	}
}

// TestSimProposeDoesNotForceOverAPush checks that a commit pushed to our
// branch between the read and the write survives: Propose fails with
// ErrBranchMoved, the pull request stays open on the person's commit with
// its old title, and the temporary branch is removed.
func TestSimProposeDoesNotForceOverAPush(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, appSeed())
	c, _ := s.client(t, gh.Options{})
	in, first := proposeAlpine(t, s, c)
	r := simRepo(t, c, "acme", "app", alpineBranch)
	b := r.Branches[alpineBranch]

	w, actor, repo := worldRepo(t, s)
	pushed, err := w.CommitOnBranch(actor, repo.ID, state.CommitInput{Branch: alpineBranch, ExpectedHeadOID: b.HeadOID,
		Additions: map[string][]byte{"fix.txt": []byte("by hand\n")}, Headline: "fix by hand"})
	if err != nil {
		t.Fatal(err)
	}
	in.BranchRefID, in.BranchHeadOID, in.ExistingPR = b.RefID, b.HeadOID, b.PR
	in.Files = map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")}
	in.Title, in.Body = "Bump alpine to 3.21", "3.21"
	_, err = c.Propose(context.Background(), in)
	if !errors.Is(err, gh.ErrBranchMoved) || errors.Is(err, gh.ErrOutcomeUnknown) {
		t.Fatalf("Propose error = %v, want ErrBranchMoved (and not ErrOutcomeUnknown)", err)
	}
	head, err := w.Ref(actor, repo.ID, alpineBranch)
	if err != nil || head.OID != pushed.OID {
		t.Errorf("branch head = %s (%v), want the pushed commit %s", head.OID, err, pushed.OID)
	}
	pr, err := w.PullRequest(actor, repo.ID, first.PR.Number)
	if err != nil || pr.State != "open" || pr.Title != first.PR.Title {
		t.Errorf("pull request = %q titled %q (%v), want open and still %q", pr.State, pr.Title, err, first.PR.Title)
	}
	if ref, err := w.Ref(actor, repo.ID, "refs/heads/"+gh.TempBranch(alpineBranch)); err == nil {
		t.Errorf("temporary branch left behind at %s", ref.OID)
	}
}

// TestSimHydrateReadsClosedPullRequest checks Branch.ClosedPR: the closed
// pull request with its head when closed, and never a merged one.
func TestSimHydrateReadsClosedPullRequest(t *testing.T) {
	t.Parallel()
	s := newSim(t, limiter.Config{}, appSeed())
	c, _ := s.client(t, gh.Options{})
	_, first := proposeAlpine(t, s, c)
	w, actor, repo := worldRepo(t, s)
	if _, err := w.ClosePullRequest(actor, repo.ID, first.PR.Number); err != nil {
		t.Fatal(err)
	}
	b := simRepo(t, c, "acme", "app", alpineBranch).Branches[alpineBranch]
	if b.PR != nil || b.ClosedPR == nil || b.ClosedPR.Number != first.PR.Number || b.ClosedPR.HeadOID != first.CommitOID {
		t.Fatalf("branch = PR %+v closed %+v, want no open PR and #%d closed at %s", b.PR, b.ClosedPR, first.PR.Number, first.CommitOID)
	}

	// Reopen and merge it: a merged pull request is not ClosedPR.
	open := "open"
	if _, err := w.UpdatePullRequest(actor, repo.ID, first.PR.Number, state.PRPatch{State: &open}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.MergePullRequest(actor, repo.ID, first.PR.Number, "squash"); err != nil {
		t.Fatal(err)
	}
	b = simRepo(t, c, "acme", "app", alpineBranch).Branches[alpineBranch]
	if b == nil || b.PR != nil || b.ClosedPR != nil {
		t.Errorf("branch after the merge = %+v, want it with neither an open nor a closed pull request", b)
	}
}
