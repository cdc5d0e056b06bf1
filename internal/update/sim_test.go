package update_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
	"github.com/dfiu/dfiu/internal/ghsim/state"
	"github.com/dfiu/dfiu/internal/imageref"
	"github.com/dfiu/dfiu/internal/update"
)

const simBranch = "dfiu/acme-base"

// simOrg is the pipeline against the GitHub simulator: acme/app uses
// acme/base:1.0.
type simOrg struct {
	t     *testing.T
	srv   *ghsim.Server
	c     *gh.Client
	w     *state.World
	actor *state.Token
	repo  state.Repo
	bot   bool // the pipeline runs with the App installation token
	clk   *clock.Fake
}

// The GitHub App installation token of the bot token kind: its account is
// the app's bot, which authors its commits with its noreply address and is
// not a GraphQL User.
const (
	simBotToken = "ghs_dfiu-app-installation"
	simBotLogin = "dfiu-app[bot]"
	simBotID    = 41898282
)

// tokenKinds are the tokens dfiu runs with: a user's (a PAT) and a GitHub
// App installation token (actions/create-github-app-token, the README's
// recommended setup).
var tokenKinds = []struct {
	name string
	bot  bool
}{{"user token", false}, {"app installation token", true}}

func newSimOrg(t *testing.T) *simOrg {
	t.Helper()
	return newSimOrgWith(t, false, "1.0")
}

// newSimOrgWith is newSimOrg with the pipeline's token a GitHub App
// installation token when bot is set, and acme/app at acme/base:from.
func newSimOrgWith(t *testing.T, bot bool, from string) *simOrg {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_800_000_000, 0))
	srv := ghsim.New(ghsim.Options{Clock: clk, Middleware: ghsimtest.ValidateIfPresent(t)})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.SetBaseURL(ts.URL)
	if err := srv.Seed(ghsim.Seed{
		Tokens: []ghsim.SeedToken{{Token: simBotToken, Login: simBotLogin, Bot: true, DatabaseID: simBotID, Default: "write"}},
		Repos: []ghsim.SeedRepo{{Name: "acme/app",
			Files: map[string]string{"Dockerfile": "FROM acme/base:" + from + "\nRUN true\n", "README.md": "hi\n"}}}}); err != nil {
		t.Fatal(err)
	}
	token := srv.AdminToken()
	if bot {
		token = simBotToken
	}
	c, err := gh.New(gh.Options{Token: token, APIURL: ts.URL + "/", GraphQLURL: ts.URL + "/graphql", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	w := srv.World()
	actor, _ := w.TokenFor(srv.AdminToken())
	repo, err := w.RepoByName(actor, "acme", "app")
	if err != nil {
		t.Fatal(err)
	}
	return &simOrg{t: t, srv: srv, c: c, w: w, actor: actor, repo: repo, bot: bot, clk: clk}
}

// run runs parent mode for acme/base:tag and returns acme/app's result
// and the write requests it made.
func (o *simOrg) run(tag string) (update.Result, int64) {
	o.t.Helper()
	ts, err := update.NewTemplates(update.DefaultPRTitle, update.DefaultPRBody, update.DefaultCommitMessage)
	if err != nil {
		o.t.Fatal(err)
	}
	before := o.srv.Stats().Writes
	rep, err := update.Run(context.Background(), o.c, nil, update.Options{
		Mode: update.ModeParent, Target: update.Target{Image: imageref.MustParse("acme/base"), Tag: tag}, Orgs: []string{"acme"},
		Kinds: []dockerfile.Kind{dockerfile.KindDockerfile}, BranchPrefix: "dfiu", Templates: ts,
	})
	if err != nil {
		o.t.Fatal(err)
	}
	results := rep.Results()
	if len(results) != 1 {
		o.t.Fatalf("results = %+v, want one for acme/app", results)
	}
	return results[0], o.srv.Stats().Writes - before
}

func (o *simOrg) pull(number int) state.PullRequest {
	o.t.Helper()
	pr, err := o.w.PullRequest(o.actor, o.repo.ID, number)
	if err != nil {
		o.t.Fatal(err)
	}
	return pr
}

// checkProposal asserts that our branch is one verified commit on the
// default branch's head, holding tag, and that pull request number is
// open on it.
func (o *simOrg) checkProposal(number int, tag string) {
	o.t.Helper()
	main, err := o.w.Commit(o.actor, o.repo.ID, "main")
	if err != nil {
		o.t.Fatal(err)
	}
	head, err := o.w.Commit(o.actor, o.repo.ID, simBranch)
	if err != nil {
		o.t.Fatal(err)
	}
	if !head.Verified || len(head.Parents) != 1 || head.Parents[0] != main.OID {
		o.t.Errorf("branch head %s: verified %v, parents %v; want verified with the one parent %s (main)", head.OID, head.Verified, head.Parents, main.OID)
	}
	wantAuthor := o.actor.Login
	if o.bot {
		wantAuthor = simBotLogin
	}
	if head.Author.Name != wantAuthor {
		o.t.Errorf("branch head %s authored by %s <%s>, want %s", head.OID, head.Author.Name, head.Author.Email, wantAuthor)
	}
	commits, err := o.w.CommitsBetween(o.actor, o.repo.ID, main.OID, head.OID)
	if err != nil || len(commits) != 1 {
		o.t.Errorf("commits over main = %d (%v), want 1", len(commits), err)
	}
	f, err := o.w.FileAt(o.actor, o.repo.ID, simBranch, "Dockerfile")
	if want := "FROM acme/base:" + tag + "\nRUN true\n"; err != nil || string(f.Content) != want {
		o.t.Errorf("Dockerfile on the branch = %q (%v), want %q", f.Content, err, want)
	}
	pr := o.pull(number)
	if pr.State != "open" || pr.Head.SHA != head.OID || !strings.Contains(pr.Title, tag) {
		o.t.Errorf("pull request #%d: state %q head %s title %q; want open at %s, about %s", number, pr.State, pr.Head.SHA, pr.Title, head.OID, tag)
	}
}

// TestSimSupersedeKeepsPullRequestOpen: the 1.1 proposal is open, the
// default branch moves on, and a run for 1.3 supersedes it. The same pull
// request must stay open with one verified commit on the new default head
// (GitHub closes, for good, a pull request whose branch passes through the
// base, and so does the simulator).
func TestSimSupersedeKeepsPullRequestOpen(t *testing.T) {
	t.Parallel()
	for _, tk := range tokenKinds {
		t.Run(tk.name, func(t *testing.T) {
			t.Parallel()
			o := newSimOrgWith(t, tk.bot, "1.0")
			first, _ := o.run("1.1")
			if first.Action != update.Created || first.Number == 0 {
				t.Fatalf("1.1: %+v, want a pull request created", first)
			}
			o.checkProposal(first.Number, "1.1")

			main, _ := o.w.Ref(o.actor, o.repo.ID, "main")
			if _, err := o.w.CommitOnBranch(o.actor, o.repo.ID, state.CommitInput{Branch: "main", ExpectedHeadOID: main.OID,
				Additions: map[string][]byte{"README.md": []byte("hello\n")}, Headline: "docs"}); err != nil {
				t.Fatal(err)
			}

			res, writes := o.run("1.3")
			if res.Action != update.Updated || res.Number != first.Number {
				t.Fatalf("1.3: %+v, want pull request #%d updated", res, first.Number)
			}
			if writes > 3 {
				t.Errorf("superseding made %d write requests, want at most 3", writes)
			}
			o.checkProposal(first.Number, "1.3")
			if prs, _ := o.srv.PullRequests("acme", "app"); len(prs) != 1 {
				t.Errorf("%d pull requests, want the one", len(prs))
			}

			again, writes := o.run("1.3")
			if again.Action != update.Unchanged || writes != 0 {
				t.Errorf("rerun for 1.3: %s with %d writes, want unchanged with none", again.Action, writes)
			}
		})
	}
}

// TestSimClosedPullRequestIsRespected: a person closes the 1.1 proposal.
// Runs for 1.1 leave it closed and write nothing; a run for 1.3 has
// something new and opens a new pull request.
func TestSimClosedPullRequestIsRespected(t *testing.T) {
	t.Parallel()
	for _, tk := range tokenKinds {
		t.Run(tk.name, func(t *testing.T) {
			t.Parallel()
			o := newSimOrgWith(t, tk.bot, "1.0")
			first, _ := o.run("1.1")
			if first.Action != update.Created {
				t.Fatalf("1.1: %+v, want created", first)
			}
			if _, err := o.w.ClosePullRequest(o.actor, o.repo.ID, first.Number); err != nil {
				t.Fatal(err)
			}

			for range 2 {
				res, writes := o.run("1.1")
				wantReason := "pull request #" + strconv.Itoa(first.Number) + " was closed without merging; not reopening"
				if res.Action != update.Skipped || !strings.Contains(res.Reason, wantReason) || writes != 0 {
					t.Fatalf("1.1 after the close: %s %q with %d writes; want skipped %q with none", res.Action, res.Reason, writes, wantReason)
				}
			}
			if pr := o.pull(first.Number); pr.State != "closed" {
				t.Errorf("closed pull request is %s", pr.State)
			}

			res, writes := o.run("1.3")
			if res.Action != update.Created || res.Number == first.Number {
				t.Fatalf("1.3: %+v, want a new pull request", res)
			}
			if writes > 3 {
				t.Errorf("1.3 made %d write requests, want at most 3", writes)
			}
			o.checkProposal(res.Number, "1.3")
			if pr := o.pull(first.Number); pr.State != "closed" {
				t.Errorf("the closed pull request #%d is %s", first.Number, pr.State)
			}
		})
	}
}

// TestSimStaleBranchAfterMerge: the 1.1 proposal is merged and its branch
// left behind. A run for 1.1 finds nothing to do; a run for 1.3 opens a
// new pull request from the old branch, one commit on the new head.
func TestSimStaleBranchAfterMerge(t *testing.T) {
	t.Parallel()
	for _, tk := range tokenKinds {
		t.Run(tk.name, func(t *testing.T) {
			t.Parallel()
			o := newSimOrgWith(t, tk.bot, "1.0")
			first, _ := o.run("1.1")
			if first.Action != update.Created {
				t.Fatalf("1.1: %+v, want created", first)
			}
			if _, err := o.w.MergePullRequest(o.actor, o.repo.ID, first.Number, "squash"); err != nil {
				t.Fatal(err)
			}
			res, writes := o.run("1.1")
			if res.Action != update.Unchanged || writes != 0 {
				t.Fatalf("1.1 after the merge: %s %q with %d writes, want unchanged with none", res.Action, res.Reason, writes)
			}
			res, writes = o.run("1.3")
			if res.Action != update.Created || res.Number == first.Number {
				t.Fatalf("1.3 after the merge: %+v, want a new pull request", res)
			}
			if writes > 3 {
				t.Errorf("1.3 made %d write requests, want at most 3", writes)
			}
			o.checkProposal(res.Number, "1.3")
			if pr := o.pull(first.Number); !pr.Merged {
				t.Errorf("pull request #%d is no longer merged", first.Number)
			}
		})
	}
}

// TestSimAppTokenOwnsItsBranch: with a GitHub App installation token,
// dfiu's commits are authored by the app's bot, which GraphQL does not
// answer as a User. The branch is still recognised as dfiu's by the bot's
// noreply address: 1.2→1.3 opens a pull request, 1.4 updates the same one
// (not "a commit by someone who is not the token's user"), and a rerun
// writes nothing.
func TestSimAppTokenOwnsItsBranch(t *testing.T) {
	t.Parallel()
	o := newSimOrgWith(t, true, "1.2")
	first, _ := o.run("1.3")
	if first.Action != update.Created || first.Number == 0 {
		t.Fatalf("1.3: %+v, want a pull request created", first)
	}
	o.checkProposal(first.Number, "1.3")
	head, err := o.w.Commit(o.actor, o.repo.ID, simBranch)
	if want := strconv.Itoa(simBotID) + "+" + simBotLogin + "@users.noreply.github.com"; err != nil || head.Author.Email != want {
		t.Fatalf("branch head author email %q (%v), want the bot's noreply address %q", head.Author.Email, err, want)
	}

	res, writes := o.run("1.4")
	if res.Action != update.Updated || res.Number != first.Number || len(res.Warnings) != 0 {
		t.Fatalf("1.4: %s %q (warnings %q), want pull request #%d updated", res.Action, res.Reason, res.Warnings, first.Number)
	}
	if writes == 0 || writes > 3 {
		t.Errorf("1.4 made %d write requests, want 1 to 3", writes)
	}
	o.checkProposal(first.Number, "1.4")
	if prs, _ := o.srv.PullRequests("acme", "app"); len(prs) != 1 {
		t.Errorf("%d pull requests, want the one", len(prs))
	}

	again, writes := o.run("1.4")
	if again.Action != update.Unchanged || writes != 0 {
		t.Errorf("rerun for 1.4: %s %q with %d writes, want unchanged with none", again.Action, again.Reason, writes)
	}
}

// TestSimBranchLeftAtOldBaseIsReused: createRef ran and the commit did
// not, so dfiu's branch points at a commit of the default branch authored
// by someone else; the default branch then moved on. The branch has no
// commits of its own, so the next run reuses it instead of skipping it
// for good as "a commit by someone else".
func TestSimBranchLeftAtOldBaseIsReused(t *testing.T) {
	t.Parallel()
	o := newSimOrgWith(t, true, "1.0")
	base, err := o.w.Ref(o.actor, o.repo.ID, "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.w.CreateRef(o.actor, o.repo.ID, "refs/heads/"+simBranch, base.OID); err != nil {
		t.Fatal(err)
	}
	if _, err := o.w.CommitOnBranch(o.actor, o.repo.ID, state.CommitInput{Branch: "main", ExpectedHeadOID: base.OID,
		Additions: map[string][]byte{"README.md": []byte("moved on\n")}, Headline: "a person's commit"}); err != nil {
		t.Fatal(err)
	}
	res, _ := o.run("1.1")
	if res.Action != update.Created || res.Number == 0 {
		t.Fatalf("1.1: %s %q, want a pull request created from the reused branch", res.Action, res.Reason)
	}
	o.checkProposal(res.Number, "1.1")
}

// memStore is a Store in memory.
type memStore map[string]string

func (m memStore) Load(context.Context) (images map[string][]string, invalid, digests map[string]string, err error) {
	images = map[string][]string{}
	for k, v := range m {
		images[k] = []string{v}
	}
	return images, nil, nil, nil
}
func (m memStore) Set(_ context.Context, image imageref.Name, tag, _ string) (bool, []string, error) {
	changed := m[image.String()] != tag
	m[image.String()] = tag
	return changed, []string{tag}, nil
}

// TestSimRulesetRefusalSkipsTheRepository: acme/app has proposals for two
// images; a ruleset then blocks force moves, and the default branch moves
// on. Superseding the first proposal is refused: the repository is
// skipped with the rule's message, its pull request keeps its title, and
// nothing more is written to it (the second image's proposal is not
// tried).
func TestSimRulesetRefusalSkipsTheRepository(t *testing.T) {
	t.Parallel()
	o := newSimOrg(t)
	if _, err := o.w.CommitOnBranch(o.actor, o.repo.ID, state.CommitInput{Branch: "main", ExpectedHeadOID: o.head(),
		Additions: map[string][]byte{"Dockerfile": []byte("FROM acme/base:1.0\nRUN true\nFROM acme/tool:1.0\n")}, Headline: "two images"}); err != nil {
		t.Fatal(err)
	}
	o.clk.Advance(time.Minute) // past the search index lag
	st := memStore{"acme/base": "1.1", "acme/tool": "1.1"}
	first := o.runAll(st)
	for _, res := range first {
		if res.Action != update.Created {
			t.Fatalf("first run: %s %s %q, want created", res.Image, res.Action, res.Reason)
		}
	}
	rules := state.Rules{NonFastForward: true}
	if _, err := o.w.UpdateRepo(nil, o.repo.ID, state.RepoPatch{Rules: &rules}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.w.CommitOnBranch(o.actor, o.repo.ID, state.CommitInput{Branch: "main", ExpectedHeadOID: o.head(),
		Additions: map[string][]byte{"README.md": []byte("moved on\n")}, Headline: "a person's commit"}); err != nil {
		t.Fatal(err)
	}
	st["acme/base"], st["acme/tool"] = "1.2", "1.2"
	before := o.srv.Stats().Writes
	second := o.runAll(st)
	writes := o.srv.Stats().Writes - before
	for i, res := range second {
		if res.Action != update.Skipped {
			t.Errorf("second run: %s %s %q, want skipped", res.Image, res.Action, res.Reason)
		}
		if i == 0 && !strings.Contains(res.Reason, "Cannot force-push to this branch") {
			t.Errorf("second run: %s reason %q, want the rule's message", res.Image, res.Reason)
		}
		if pr := o.pull(first[i].Number); !strings.Contains(pr.Title, "1.1") {
			t.Errorf("pull request #%d retitled to %q after the refusal", pr.Number, pr.Title)
		}
	}
	// The refused supersede: the commit on <branch>.next, the refused
	// move, the removal of <branch>.next; nothing for the second image.
	if writes > 3 {
		t.Errorf("second run made %d write requests, want at most 3", writes)
	}
}

func (o *simOrg) head() string {
	o.t.Helper()
	ref, err := o.w.Ref(o.actor, o.repo.ID, "refs/heads/main")
	if err != nil {
		o.t.Fatal(err)
	}
	return ref.OID
}

// runAll runs all mode, one repository write at a time, and returns
// acme/app's results by image.
func (o *simOrg) runAll(st memStore) []update.Result {
	o.t.Helper()
	ts, err := update.NewTemplates(update.DefaultPRTitle, update.DefaultPRBody, update.DefaultCommitMessage)
	if err != nil {
		o.t.Fatal(err)
	}
	rep, err := update.Run(context.Background(), o.c, st, update.Options{
		Mode: update.ModeAll, Orgs: []string{"acme"}, Concurrency: 1,
		Kinds: []dockerfile.Kind{dockerfile.KindDockerfile}, BranchPrefix: "dfiu", Templates: ts,
	})
	if err != nil {
		o.t.Fatal(err)
	}
	results := rep.Results()
	if len(results) != 2 {
		o.t.Fatalf("results = %+v, want two for acme/app", results)
	}
	return results
}

// TestSimExecutableFileIsLeftAlone: a commit through the API would write
// an executable Dockerfile back as a regular file, so it is skipped with a
// reason and nothing is written.
func TestSimExecutableFileIsLeftAlone(t *testing.T) {
	t.Parallel()
	o := newSimOrg(t)
	if err := o.w.SeedExecutable(o.repo.ID, "main", []string{"Dockerfile"}); err != nil {
		t.Fatal(err)
	}
	res, writes := o.run("1.1")
	if res.Action != update.Skipped || !strings.Contains(res.Reason, "100755") || writes != 0 {
		t.Errorf("1.1: %s %q with %d writes, want skipped naming mode 100755, with none", res.Action, res.Reason, writes)
	}
}

// TestSimNonUTF8FileIsLeftAlone: a Dockerfile in Latin-1 reaches dfiu
// with its byte changed; it is skipped with a reason, never committed back
// re-encoded.
func TestSimNonUTF8FileIsLeftAlone(t *testing.T) {
	t.Parallel()
	o := newSimOrg(t)
	if _, err := o.w.SeedBranch(o.repo.ID, "main", "", map[string][]byte{"Dockerfile": []byte("FROM acme/base:1.0\n# caf\xe9\n")}, "latin-1"); err != nil {
		t.Fatal(err)
	}
	res, writes := o.run("1.1")
	if res.Action != update.Skipped || !strings.Contains(res.Reason, "not UTF-8") || writes != 0 {
		t.Errorf("1.1: %s %q with %d writes, want skipped as not UTF-8, with none", res.Action, res.Reason, writes)
	}
}
