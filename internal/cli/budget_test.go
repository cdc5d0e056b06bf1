package cli

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// budgetRun is one parent run over an org of new proposals, on a fake
// clock, against the simulator with GitHub's default limits.
type budgetRun struct {
	code                              int
	created, deferred, failed         int
	content, secondary, refusedFields int64
	elapsed                           time.Duration // simulated, from the start of the run to its end
}

// use is the share of GitHub's content-creation allowance the run used:
// the content the simulator accepted over 500 for each hour window the
// run touched (its windows start with the run's first request; with no
// refusal, the minute limit of 80 never binds over an hour).
func (b budgetRun) use() float64 {
	hours := max(1, int64((b.elapsed+time.Hour-1)/time.Hour))
	return float64(b.content) / float64(500*hours)
}

// runBudget seeds repos repositories that each need a new pull request
// (three content-creating mutations) and runs parent mode on a fake clock
// with the given inputs, against limits.
func runBudget(tb testing.TB, repos int, limits limiter.Limits, args ...string) budgetRun {
	tb.Helper()
	start := time.Unix(1_800_000_000, 0)
	clk := clock.NewFake(start)
	srv := ghsim.New(ghsim.Options{Clock: clk, Limits: limiter.Config{Limits: limits}})
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	seed := ghsim.Seed{Tokens: []ghsim.SeedToken{{Token: testToken, Login: "dfiu-bot", Default: "write"}}}
	for i := range repos {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("big/repo%03d", i),
			Files: map[string]string{"Dockerfile": "FROM ubuntu:22.04\nRUN true\n"}})
	}
	if err := srv.Seed(seed); err != nil {
		tb.Fatal(err)
	}
	h := &harness{t: tb, srv: srv, url: ts.URL}
	env := map[string]string{"GITHUB_TOKEN": testToken}
	// No registry here: the budget is about GitHub's writes alone.
	r := h.exec(append([]string{"parent", "--image", "ubuntu", "--tag", "24.04", "--orgs", "big",
		"--verify-tag=false", "--resolve-digest=false",
		"--github-api-url", ts.URL, "--github-graphql-url", ts.URL + "/graphql"}, args...), env, true, actionDeps{Clock: clk})
	st := srv.Stats()
	out := budgetRun{code: r.code, content: st.ContentCreating, secondary: st.SecondaryRateLimited, refusedFields: st.RefusedFields,
		elapsed: clk.Now().Sub(start)}
	for name, n := range map[string]*int{"changed-count": &out.created, "deferred-count": &out.deferred, "failed-count": &out.failed} {
		v, err := strconv.Atoi(r.outputs[name])
		if err != nil {
			tb.Fatalf("output %s = %q (exit %d)\n%s", name, r.outputs[name], r.code, r.stderr)
		}
		*n = v
	}
	return out
}

// goalRepos is enough new proposals to fill two hours of GitHub's
// content-creation limits (1,000 mutations, three per proposal) with
// some to spare.
const goalRepos = 360

// TestContentBudgetTwoHours is the short form of BenchmarkContentBudget:
// over two simulated hours with GitHub's default limits and dfiu's default
// inputs, no secondary-limit refusal, at least 95% of the allowed content
// creation used, and the repositories past the time budget deferred (exit
// status 0).
func TestContentBudgetTwoHours(t *testing.T) {
	t.Parallel()
	b := runBudget(t, goalRepos, limiter.Limits{GitHubDefaults: true}, "--time-budget", "2h")
	t.Logf("%+v; use %.1f%%", b, 100*b.use())
	if b.code != ExitOK || b.failed != 0 {
		t.Fatalf("exit %d, %d failed; want 0 and 0", b.code, b.failed)
	}
	if b.secondary != 0 {
		t.Errorf("%d secondary-limit refusals, want 0", b.secondary)
	}
	if u := b.use(); u < 0.95 {
		t.Errorf("used %.1f%% of the allowed content creation (%d mutations in %s), want at least 95%%", 100*u, b.content, b.elapsed)
	}
	if b.elapsed > 2*time.Hour {
		t.Errorf("the run took %s of simulated time, past its 2h time budget", b.elapsed)
	}
	if b.deferred == 0 || b.created+b.deferred != goalRepos {
		t.Errorf("%d created and %d deferred, want every one of %d repositories in one or the other, some deferred", b.created, b.deferred, goalRepos)
	}
}

// TestFieldRefusalsAreWaitedOut: a token whose content budget is mostly
// spent elsewhere (the simulator allows 30 an hour) meets GitHub's
// field-level refusals. Every repository must still be created, none
// failed, the client pausing until the budget is back.
func TestFieldRefusalsAreWaitedOut(t *testing.T) {
	t.Parallel()
	b := runBudget(t, 16, limiter.Limits{GitHubDefaults: true, ContentPerHour: 30, ContentRefusal: limiter.ContentRefusalField})
	t.Logf("%+v", b)
	if b.refusedFields == 0 {
		t.Fatal("no field was refused: the test proves nothing")
	}
	if b.code != ExitOK || b.created != 16 || b.failed != 0 || b.deferred != 0 {
		t.Errorf("exit %d: %d created, %d failed, %d deferred; want 0, 16, 0, 0", b.code, b.created, b.failed, b.deferred)
	}
}

// BenchmarkContentBudget measures, over two simulated hours with GitHub's
// default limits and dfiu's default inputs, the share of the allowed
// content creation used and the secondary-limit refusals.
func BenchmarkContentBudget(b *testing.B) {
	var last budgetRun
	for b.Loop() {
		last = runBudget(b, goalRepos, limiter.Limits{GitHubDefaults: true}, "--time-budget", "2h")
	}
	b.ReportMetric(100*last.use(), "%-content-used")
	b.ReportMetric(float64(last.secondary), "secondary-refusals")
	b.ReportMetric(float64(last.content), "mutations")
	b.ReportMetric(float64(last.created), "prs")
	b.ReportMetric(float64(last.deferred), "deferred")
}
