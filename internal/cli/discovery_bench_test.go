package cli

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/ghsim"
)

// discoveryRun is one dry parent run's or one all run's requests by kind.
type discoveryRun struct {
	graphql, trees, searches, contents, reads int64
	wall                                      time.Duration
}

func runDiscovery(tb testing.TB, srv *ghsim.Server, url string, args ...string) discoveryRun {
	tb.Helper()
	before := srv.Stats()
	h := &harness{t: tb, srv: srv, url: url}
	start := time.Now()
	if len(args) == 1 { // all mode
		args = append(args, "--store", "big/store2")
	} else {
		args = append(args, "--store", "big/store")
	}
	r := h.exec(append(args, "--orgs", "big", "--github-api-url", url,
		"--github-graphql-url", url+"/graphql", "--concurrency", "8", "--verify-tag=false", "--resolve-digest=false"), map[string]string{"GITHUB_TOKEN": testToken}, true, fast())
	wall := time.Since(start)
	if r.code != ExitOK {
		tb.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	after := srv.Stats()
	d := func(k string) int64 { return after.Endpoints[k] - before.Endpoints[k] }
	return discoveryRun{
		graphql: d("POST /graphql"), trees: d(treesKey), searches: d("GET /search/code"),
		contents: d("GET /repos/{owner}/{repo}/contents/{path}"), reads: after.Reads - before.Reads, wall: wall,
	}
}

const treesKey = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"

func (d discoveryRun) report(b *testing.B, prefix string, repos int) {
	b.ReportMetric(float64(d.reads)/float64(repos), prefix+"reads/repo")
	b.ReportMetric(float64(d.graphql), prefix+"graphql")
	b.ReportMetric(float64(d.trees), prefix+"trees")
	b.ReportMetric(float64(d.searches), prefix+"searches")
	b.ReportMetric(d.wall.Seconds(), prefix+"wall-s")
}

// maxRSS is the process's peak resident set (dfiu and the simulator
// together: they share the test binary), in MB.
func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}

// benchDiscovery measures parent mode's discovery by search and by scan
// (dry runs: reads only), then all mode's scan with the store at the tags
// every repository already has, and its rerun with nothing changed (the
// scan index makes it the listing alone).
func benchDiscovery(b *testing.B, n int) {
	var search, scan, all, rerun discoveryRun
	for b.Loop() {
		b.StopTimer()
		srv, url := bigOrg(b, n)
		b.StartTimer()
		search = runDiscovery(b, srv, url, "parent", "--image", "ubuntu", "--tag", "24.04", "--dry-run", "--discovery", "search")
		scan = runDiscovery(b, srv, url, "parent", "--image", "ubuntu", "--tag", "24.04", "--dry-run", "--discovery", "scan")
		// The store at ubuntu:22.04, which every file has: all mode settles
		// every repository and writes the index; the rerun lists.
		if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "big/store2",
			Files: map[string]string{"store.json": "{\"images\": {\"ubuntu\": \"22.04\"}}\n"}}}}); err != nil {
			b.Fatal(err)
		}
		all = runDiscovery(b, srv, url, "all")
		rerun = runDiscovery(b, srv, url, "all")
	}
	search.report(b, "search-", n)
	scan.report(b, "scan-", n)
	all.report(b, "all-", n)
	rerun.report(b, "rerun-", n)
	b.ReportMetric(maxRSS(), "peak-RSS-MB")
	if rerun.trees > 1 {
		b.Errorf("the all-mode rerun read %d trees, want at most 1 (the store's repository)", rerun.trees)
	}
}

func BenchmarkDiscovery5000(b *testing.B)  { benchDiscovery(b, 5000) }
func BenchmarkDiscovery50000(b *testing.B) { benchDiscovery(b, 50000) }

// TestDiscoveryEconomy is the short form of BenchmarkDiscovery: over 200
// repositories a scan reads one tree per repository, and an all-mode rerun
// with nothing changed reads no tree but the store's and no file.
func TestDiscoveryEconomy(t *testing.T) {
	t.Parallel()
	const n = 200
	srv, url := bigOrg(t, n)
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "big/store2",
		Files: map[string]string{"store.json": "{\"images\": {\"ubuntu\": \"22.04\"}}\n"}}}}); err != nil {
		t.Fatal(err)
	}
	all := runDiscovery(t, srv, url, "all")
	if all.trees != n+2 || all.graphql > 2*(n/40+1)+3 {
		t.Errorf("first all-mode scan: %d trees (want %d), %d GraphQL requests", all.trees, n+2, all.graphql)
	}
	rerun := runDiscovery(t, srv, url, "all")
	// GraphQL: the preflight's one query and the listing pages.
	if rerun.trees != 1 || rerun.graphql != int64(1+n/100+1) {
		t.Errorf("rerun: %d trees (want 1: the store's repository), %d GraphQL requests (want the preflight and %d listing pages)", rerun.trees, rerun.graphql, n/100+1)
	}
	t.Logf("first: %+v; rerun: %+v", all, rerun)
}
