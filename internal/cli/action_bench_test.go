package cli

import (
	"fmt"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
)

const benchRepos = 500

// bigOrg seeds an org of n repositories, each with one to three files using
// ubuntu:22.04, and a store.
func bigOrg(tb testing.TB, n int) (*ghsim.Server, string) {
	tb.Helper()
	srv := ghsim.New(ghsim.Options{})
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	seed := ghsim.Seed{Tokens: []ghsim.SeedToken{{Token: testToken, Login: "dfiu-bot", Default: "write"}}}
	for i := range n {
		files := map[string]string{"Dockerfile": "FROM ubuntu:22.04\nRUN true\n"}
		if i%3 >= 1 {
			files["docker-compose.yml"] = "services:\n  a:\n    image: ubuntu:22.04\n"
		}
		if i%3 == 2 {
			files["app/Dockerfile.dev"] = "FROM ubuntu:22.04 AS dev\n"
		}
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("big/repo%03d", i), Files: files})
	}
	seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: "big/store", Files: map[string]string{"store.json": "{\"images\": {}}\n"}})
	if err := srv.Seed(seed); err != nil {
		tb.Fatal(err)
	}
	return srv, ts.URL
}

// economy is one parent run's request counts.
type economy struct {
	reads, writes, searches int64
	changed                 int
}

func parentRun(tb testing.TB, srv *ghsim.Server, url string) economy {
	tb.Helper()
	before := srv.Stats()
	reg, _, err := demo.StartRegistry() // ubuntu:24.04 is there
	if err != nil {
		tb.Fatal(err)
	}
	defer reg.Close()
	h := &harness{t: tb, srv: srv, url: url, reg: reg}
	env := map[string]string{"GITHUB_TOKEN": testToken}
	r := h.exec([]string{"parent", "--image", "ubuntu", "--tag", "24.04", "--orgs", "big", "--store", "big/store",
		"--github-api-url", url, "--github-graphql-url", url + "/graphql", "--concurrency", "8"}, env, true, fast())
	if r.code != ExitOK {
		tb.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	after := srv.Stats()
	var changed int
	fmt.Sscan(r.outputs["changed-count"], &changed)
	return economy{
		reads:    after.Reads - before.Reads,
		writes:   after.Writes - before.Writes,
		searches: after.Endpoints["GET /search/code"] - before.Endpoints["GET /search/code"],
		changed:  changed,
	}
}

// TestAPIEconomy checks the request budget over 500 repositories: at most 3
// writes per changed repository, at most 0.2 reads per repository, and a
// rerun that reads only the search pages and one GraphQL query per batch
// and writes nothing.
func TestAPIEconomy(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("500 repositories")
	}
	srv, url := bigOrg(t, benchRepos)
	first := parentRun(t, srv, url)
	if first.changed != benchRepos {
		t.Fatalf("changed %d repositories, want %d", first.changed, benchRepos)
	}
	if perRepo := float64(first.writes) / float64(first.changed); perRepo > 3 {
		t.Errorf("%.2f writes per changed repository (%d in all), want at most 3", perRepo, first.writes)
	}
	if perRepo := float64(first.reads) / benchRepos; perRepo > 0.2 {
		t.Errorf("%.3f reads per repository (%d in all), want at most 0.2", perRepo, first.reads)
	}
	t.Logf("first run: %d reads (%d searches), %d writes for %d repositories", first.reads, first.searches, first.writes, benchRepos)

	again := parentRun(t, srv, url)
	batches := int64(math.Ceil(benchRepos / 40.0))
	// Reads: the preflight's two (REST and GraphQL), the search pages, the
	// GraphQL batches, the store's one contents read, and discovery:
	// auto's one repository count per org (over 4,000 repositories, search
	// cannot be trusted).
	if again.writes != 0 {
		t.Errorf("rerun made %d writes, want 0", again.writes)
	}
	if again.reads > 2+again.searches+batches+2 {
		t.Errorf("rerun made %d reads, want at most 2 preflight + %d search pages + %d batches + 1 store read + 1 repository count", again.reads, again.searches, batches)
	}
	t.Logf("rerun: %d reads (%d searches), %d writes", again.reads, again.searches, again.writes)
}

func BenchmarkParent500(b *testing.B) {
	var first, again economy
	for b.Loop() {
		b.StopTimer()
		srv, url := bigOrg(b, benchRepos)
		b.StartTimer()
		first = parentRun(b, srv, url)
		again = parentRun(b, srv, url)
	}
	b.ReportMetric(float64(first.writes)/float64(max(first.changed, 1)), "writes/changed-repo")
	b.ReportMetric(float64(first.reads)/benchRepos, "reads/repo")
	b.ReportMetric(float64(again.reads), "rerun-reads")
	b.ReportMetric(float64(again.writes), "rerun-writes")
}
