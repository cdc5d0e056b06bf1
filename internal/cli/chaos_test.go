package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// chaosOrg is an organisation of n repositories for the chaos and crash
// suites. Every 10th repository is archived (not eligible); the others use
// ubuntu:22.04 in a Dockerfile and, every third, a compose file too. The
// store holds another writer's entry, which must survive.
type chaosOrg struct {
	srv   *ghsim.Server
	url   string
	clk   *clock.Fake
	n     int
	store string // the store's expected bytes after the runs
}

const chaosStoreBefore = "{\n  \"images\": {\n    \"node\": \"22\"\n  },\n  \"owner\": \"platform team\"\n}\n"

func newChaosOrg(t testing.TB, n int, wrap func(http.Handler) http.Handler) *chaosOrg {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_800_000_000, 0))
	srv := ghsim.New(ghsim.Options{Clock: clk, Middleware: wrap})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	seed := ghsim.Seed{Orgs: []string{"chaos"}, Tokens: []ghsim.SeedToken{{Token: testToken, Login: "dfiu-bot", Default: "write"}}}
	for i := range n {
		files := map[string]string{"Dockerfile": "FROM ubuntu:22.04\nRUN true\n"}
		if i%3 == 1 {
			files["deploy/docker-compose.yml"] = "services:\n  a:\n    image: ubuntu:22.04\n"
		}
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("chaos/r%04d", i), Files: files, Archived: i%10 == 0})
	}
	seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: "chaos/store", Files: map[string]string{"store.json": chaosStoreBefore}})
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	return &chaosOrg{srv: srv, url: ts.URL, clk: clk, n: n,
		store: "{\n  \"images\": {\n    \"node\": \"22\",\n    \"ubuntu\": \"24.04\"\n  },\n  \"owner\": \"platform team\"\n}\n"}
}

// run runs parent mode for ubuntu 24.04 as the action, with ctx.
func (o *chaosOrg) run(t testing.TB, ctx context.Context) run {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY_OWNER": "chaos",
		"GITHUB_API_URL": o.url, "GITHUB_GRAPHQL_URL": o.url + "/graphql",
		"INPUT_GITHUB-TOKEN": testToken, "INPUT_MODE": "parent", "INPUT_IMAGE": "ubuntu", "INPUT_TAG": "24.04",
		"INPUT_STORE": "chaos/store", "INPUT_CONCURRENCY": "8",
		// No registry here: the suite is about GitHub's faults.
		"INPUT_VERIFY-TAG": "false", "INPUT_RESOLVE-DIGEST": "false",
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	var stdout, stderr bytes.Buffer
	e := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }}
	code := runAction(ctx, actionOptions{actionDeps: actionDeps{Clock: o.clk}}, e)
	out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	r := run{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: parseOutputs(t, string(out))}
	checkNoToken(t, "stdout", strings.ReplaceAll(r.stdout, "::add-mask::"+testToken, ""))
	return r
}

// check asserts the end state: exactly one open pull request from
// dfiu/ubuntu per eligible repository, whose branch is one commit over the
// default branch with every file rewritten (no partial commit), no other
// pull request or leftover branch anywhere, and the store holding both
// entries, byte for byte.
func (o *chaosOrg) check(t testing.TB) {
	t.Helper()
	w := o.srv.World()
	admin, _ := w.TokenFor(o.srv.AdminToken())
	bad := 0
	fail := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i := range o.n {
		name := fmt.Sprintf("r%04d", i)
		prs, err := o.srv.PullRequests("chaos", name)
		if err != nil {
			t.Fatal(err)
		}
		branches, _ := o.srv.Branches("chaos", name)
		if i%10 == 0 {
			if len(prs) != 0 || len(branches) != 1 {
				fail("%s (archived): %d pull requests, branches %v", name, len(prs), branches)
			}
			continue
		}
		if len(prs) != 1 || prs[0].State != "open" || prs[0].Head.Ref != "dfiu/ubuntu" || prs[0].Title != "Bump ubuntu to 24.04" {
			fail("%s: pull requests %+v, want one open from dfiu/ubuntu", name, prs)
			continue
		}
		if strings.Join(branches, ",") != "dfiu/ubuntu,main" {
			fail("%s: branches %v, want dfiu/ubuntu and main", name, branches)
		}
		files, err := o.srv.RepoFiles("chaos", name, "dfiu/ubuntu")
		if err != nil || files["Dockerfile"] != "FROM ubuntu:24.04\nRUN true\n" ||
			(i%3 == 1) != (files["deploy/docker-compose.yml"] == "services:\n  a:\n    image: ubuntu:24.04\n") {
			fail("%s: branch files %v (%v)", name, files, err)
		}
		main, _ := o.srv.RepoFiles("chaos", name, "main")
		if main["Dockerfile"] != "FROM ubuntu:22.04\nRUN true\n" {
			fail("%s: the default branch changed: %q", name, main["Dockerfile"])
		}
		repo, err := w.RepoByName(admin, "chaos", name)
		if err != nil {
			t.Fatal(err)
		}
		base, err1 := w.Ref(admin, repo.ID, "refs/heads/main")
		head, err2 := w.Ref(admin, repo.ID, "refs/heads/dfiu/ubuntu")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		commits, err := w.CommitsBetween(admin, repo.ID, base.OID, head.OID)
		if err != nil || len(commits) != 1 {
			fail("%s: %d commits on dfiu/ubuntu over main (%v), want 1", name, len(commits), err)
		}
	}
	store, _ := o.srv.RepoFiles("chaos", "store", "")
	if store["store.json"] != o.store {
		t.Errorf("store.json =\n%s\nwant\n%s", store["store.json"], o.store)
	}
}

// statusCounter counts secondary rate-limit refusals by status.
type statusCounter struct {
	mu sync.Mutex
	by map[int]int
}

func (s *statusCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.secondary {
			s.mu.Lock()
			s.by[rec.status]++
			s.mu.Unlock()
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status    int
	secondary bool
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.secondary = r.Header().Get("Retry-After") != "" && (code == http.StatusForbidden || code == http.StatusTooManyRequests)
	r.ResponseWriter.WriteHeader(code)
}

// Hijack passes through, so that the limiter can reset a connection.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// TestChaos runs parent mode over an organisation with 10% of requests
// faulted at random (seeded): 500, 502, 503 and 504 answers, connection
// resets and GraphQL "Something went wrong" errors, 2% each of the 5xx and
// 1% each of the others, plus secondary rate limits (concurrency, content
// creation below the client's pace, REST points), answered 403 (GraphQL)
// and 429 (REST). Runs repeat until one has no failure (at most 4); then
// the end state must be exact (see check) and one more run must make no
// write at all.
//
// The suite runs 300 repositories (100 with -short), enough for every
// fault kind to fire, which the test asserts; BenchmarkChaos runs the same
// over 1,000, which takes about a minute under -race on two cores.
func TestChaos(t *testing.T) {
	t.Parallel()
	n := 300
	if testing.Short() {
		n = 100
	}
	chaos(t, n)
}

// BenchmarkChaos is TestChaos over 1,000 repositories:
// go test -run '^$' -bench Chaos -benchtime 1x ./internal/cli
func BenchmarkChaos(b *testing.B) {
	for b.Loop() {
		chaos(b, 1000)
	}
}

func chaos(t testing.TB, n int) {
	counter := &statusCounter{by: map[int]int{}}
	o := newChaosOrg(t, n, counter.wrap)
	cfg := func() limiter.Config {
		return limiter.Config{Seed: 13,
			// GraphQL's secondary refusals are 403 (GitHub: "200 or 403"),
			// REST's here 429; the REST points limit is low enough for the
			// searches and the store to meet it.
			Limits: limiter.Limits{Concurrent: 6, ContentPerMinute: 70, RESTPointsPerMinute: 8, SecondaryStatus: http.StatusTooManyRequests},
			Faults: []limiter.Fault{
				{Kind: limiter.FaultStatus, Status: 500, Rate: 0.02},
				{Kind: limiter.FaultStatus, Status: 502, Rate: 0.02},
				{Kind: limiter.FaultStatus, Status: 503, Rate: 0.02},
				{Kind: limiter.FaultStatus, Status: 504, Rate: 0.02},
				{Kind: limiter.FaultReset, Rate: 0.01},
				{Kind: limiter.FaultGraphQLError, Rate: 0.01},
				// And each kind once at a fixed request, so that a small
				// run sees every kind whatever the draws.
				{Kind: limiter.FaultStatus, Status: 500, Match: "POST /graphql", From: 5},
				{Kind: limiter.FaultStatus, Status: 502, Match: "POST /graphql", From: 15},
				{Kind: limiter.FaultStatus, Status: 503, Match: "GET /**", From: 3},
				{Kind: limiter.FaultStatus, Status: 504, Match: "POST /graphql", From: 25},
				{Kind: limiter.FaultReset, Match: "POST /graphql", From: 35},
				{Kind: limiter.FaultGraphQLError, Match: "POST /graphql", From: 45},
			}}
	}
	o.srv.SetLimits(cfg())
	runs := 0
	for {
		runs++
		r := o.run(t, context.Background())
		t.Logf("run %d: exit %d, changed %s, failed %s", runs, r.code, r.outputs["changed-count"], r.outputs["failed-count"])
		if r.code == ExitOK && r.outputs["failed-count"] == "0" {
			break
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "::error") {
				t.Logf("run %d: %.300s", runs, line)
			}
		}
		if r.code != ExitFailure || r.outputs["pull-requests"] == "" {
			t.Fatalf("run %d: exit %d\n%s", runs, r.code, tail(r.stdout, 3000))
		}
		if runs == 4 {
			t.Fatalf("still failing after %d runs:\n%s", runs, tail(r.stdout, 3000))
		}
	}
	st := o.srv.Stats()
	t.Logf("%d runs, %d requests, faults %v, secondary refusals by status %v", runs, st.Requests, st.FaultsByKind, counter.by)
	o.check(t)

	before := o.srv.Stats()
	if r := o.run(t, context.Background()); r.code != ExitOK || r.outputs["changed-count"] != "0" {
		t.Errorf("the run after convergence: exit %d, changed %s", r.code, r.outputs["changed-count"])
	}
	if w := o.srv.Stats().Writes - before.Writes; w != 0 {
		t.Errorf("the run after convergence made %d writes", w)
	}
	o.check(t)

	// Every fault kind fired, and the secondary limits answered both ways.
	st = o.srv.Stats()
	for _, kind := range []string{"status", "reset", "graphqlError"} {
		if st.FaultsByKind[kind] == 0 {
			t.Errorf("no %s fault fired: the suite proves nothing about it", kind)
		}
	}
	if n := st.FaultsByKind["status"] + st.FaultsByKind["reset"] + st.FaultsByKind["graphqlError"]; n*100 < st.Requests*7 {
		t.Errorf("%d faults in %d requests: want about 10%%", n, st.Requests)
	}
	if counter.by[http.StatusForbidden] == 0 || counter.by[http.StatusTooManyRequests] == 0 {
		t.Errorf("secondary refusals by status %v: want 403s and 429s", counter.by)
	}
}

// TestCrashSafety cancels a run at 20 seeded points (the Nth request to
// the simulator, half of them dropped unserved and half served with the
// answer lost), lets the requests already sent finish, then reruns: the end state must be the one a run
// without a crash leaves, and the run after that must make no write.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	const repos = 30
	// A clean run's request count bounds the crash points.
	clean := newChaosOrg(t, repos, nil)
	if r := clean.run(t, context.Background()); r.code != ExitOK {
		t.Fatalf("clean run: exit %d\n%s", r.code, tail(r.stdout, 3000))
	}
	total := clean.srv.Stats().Requests
	clean.check(t)

	if total < 20 {
		t.Fatalf("a clean run sends %d requests, fewer than the 20 crash points", total)
	}
	rng := rand.New(rand.NewPCG(13, 20))
	for point, i := range rng.Perm(int(total))[:20] {
		at := int64(i) + 1
		after := point%2 == 1
		t.Run(fmt.Sprintf("request %d %s", at, map[bool]string{false: "before", true: "after"}[after]), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The crash: request at is dropped unserved (before) or served
			// with its answer lost (after); the run is cancelled there and
			// sends nothing more. Requests already in flight finish on the
			// server, as GitHub finishes them, before the rerun starts.
			var seen atomic.Int64
			var inflight sync.WaitGroup
			crash := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					inflight.Add(1)
					defer inflight.Done()
					n := seen.Add(1)
					if n == at && !after {
						cancel()
						panic(http.ErrAbortHandler)
					}
					next.ServeHTTP(w, r)
					if n == at && after {
						cancel()
					}
				})
			}
			o := newChaosOrg(t, repos, crash)
			first := o.run(t, ctx)
			inflight.Wait()
			if ctx.Err() == nil {
				t.Fatalf("the run ended (exit %d) before request %d", first.code, at)
			}
			if first.code == ExitOK && first.outputs["failed-count"] == "0" && first.outputs["changed-count"] != fmt.Sprint(repos-repos/10) {
				t.Errorf("a cancelled run exited 0 claiming success: %v", first.outputs)
			}
			if r := o.run(t, context.Background()); r.code != ExitOK {
				t.Fatalf("rerun: exit %d\n%s", r.code, tail(r.stdout, 3000))
			}
			o.check(t)
			before := o.srv.Stats()
			if r := o.run(t, context.Background()); r.code != ExitOK || o.srv.Stats().Writes != before.Writes {
				after := o.srv.Stats()
				var writes []string
				for k, n := range after.Endpoints {
					if d := n - before.Endpoints[k]; d > 0 && !strings.HasPrefix(k, "GET") {
						writes = append(writes, fmt.Sprintf("%s ×%d", k, d))
					}
				}
				for k, n := range after.GraphQLFields {
					if d := n - before.GraphQLFields[k]; d > 0 && strings.HasPrefix(k, "mutation") {
						writes = append(writes, fmt.Sprintf("%s ×%d", k, d))
					}
				}
				t.Errorf("the run after the rerun: exit %d, %d writes %v; changed %s:\n%s", r.code, after.Writes-before.Writes, writes,
					r.outputs["changed-count"], r.outputs["pull-requests"])
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
