package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/registry/registrytest"
)

// testToken looks like a real token so that a leak is easy to spot.
const testToken = "ghp_e2eSECRETtoken0123456789abcdefABCD"

// harness is a simulator seeded with the demo organisation, and a way to
// run dfiu against it in-process.
type harness struct {
	t   testing.TB
	srv *ghsim.Server
	url string
	// reg is the demo's registry; every run's registry requests go to it.
	reg *registrytest.Registry
	// digest is what reg holds for demo.Image:demo.NewTag.
	digest string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, ghsim.Options{})
}

func newHarnessWith(t *testing.T, opts ghsim.Options) *harness {
	t.Helper()
	if opts.Middleware == nil {
		opts.Middleware = ghsimtest.ValidateIfPresent(t)
	}
	srv := ghsim.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	reg, digest, err := demo.StartRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	if err := demo.Populate(srv, testToken, digest); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, url: ts.URL, reg: reg, digest: digest}
}

// run is one dfiu invocation's captured output.
type run struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
}

// actionEnv returns the environment the runner gives a container action
// with the given inputs (names as in action.yml).
func (h *harness) actionEnv(inputs map[string]string) map[string]string {
	env := map[string]string{
		"GITHUB_ACTIONS":          "true",
		"GITHUB_REPOSITORY_OWNER": demo.Org,
		"GITHUB_API_URL":          h.url,
		"GITHUB_GRAPHQL_URL":      h.url + "/graphql",
		"INPUT_GITHUB-TOKEN":      testToken,
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(k, " ", "_"))] = v
	}
	return env
}

// exec runs dfiu with args and env, with GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY in a temporary directory when files is set, and
// checks that the token appears nowhere in what it wrote.
func (h *harness) exec(args []string, env map[string]string, files bool, deps actionDeps) run {
	h.t.Helper()
	dir := h.t.TempDir()
	if files {
		env["GITHUB_OUTPUT"] = filepath.Join(dir, "output")
		env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "summary")
	}
	var stdout, stderr bytes.Buffer
	e := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }}
	if h.reg != nil && deps.RegistryTransport == nil {
		deps.RegistryTransport = h.reg.Transport()
	}
	var code int
	if len(args) == 0 {
		code = runAction(context.Background(), actionOptions{actionDeps: deps}, e)
	} else if reflect.ValueOf(deps).IsZero() {
		code = Run(context.Background(), args, e)
	} else {
		code = runAction(context.Background(), actionOptions{Mode: args[0], Args: args[1:], actionDeps: deps}, e)
	}
	r := run{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: map[string]string{}}
	if files {
		out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
		sum, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
		r.summary = string(sum)
		r.outputs = parseOutputs(h.t, string(out))
		checkNoToken(h.t, "GITHUB_OUTPUT", string(out))
		checkNoToken(h.t, "GITHUB_STEP_SUMMARY", r.summary)
	}
	// The runner swallows the ::add-mask:: command itself; everything
	// else must be free of the token.
	var rest []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if line != "::add-mask::"+testToken {
			rest = append(rest, line)
		}
	}
	checkNoToken(h.t, "stdout", strings.Join(rest, "\n"))
	checkNoToken(h.t, "stderr", r.stderr)
	return r
}

func checkNoToken(t testing.TB, where, s string) {
	t.Helper()
	if strings.Contains(s, testToken) {
		t.Errorf("the token appears in %s", where)
	}
}

// parseOutputs reads a GITHUB_OUTPUT file: name<<DELIMITER blocks, as
// go-githubactions writes them, or name=value lines.
func parseOutputs(t testing.TB, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("GITHUB_OUTPUT: %s: no closing %s", name, delim)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
			continue
		}
		t.Fatalf("GITHUB_OUTPUT: cannot read line %q", line)
	}
	return out
}

type prOutput struct {
	Repository string   `json:"repository"`
	Image      string   `json:"image"`
	Number     int      `json:"number"`
	URL        string   `json:"url"`
	Action     string   `json:"action"`
	Files      []string `json:"files"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Reason     string   `json:"reason"`
}

func pullRequests(t *testing.T, r run) map[string]prOutput {
	t.Helper()
	var prs []prOutput
	if err := json.Unmarshal([]byte(r.outputs["pull-requests"]), &prs); err != nil {
		t.Fatalf("pull-requests output %q: %v\nstdout:\n%s\nstderr:\n%s", r.outputs["pull-requests"], err, r.stdout, r.stderr)
	}
	m := map[string]prOutput{}
	for _, p := range prs {
		m[p.Repository+" "+p.Image] = p
	}
	return m
}

func parentInputs() map[string]string {
	return map[string]string{
		"mode": "parent", "image": demo.Image, "tag": demo.NewTag, "store": demo.Store,
		"exclude-repos": demo.Exclude, "labels": demo.Label + ",no-such-label", "auto-merge": "squash",
		"fail-on-error": "false", // acme/partner-config fails: the token may only read it
	}
}

func TestParentAsAction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.exec(nil, h.actionEnv(parentInputs()), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	prs := pullRequests(t, r)
	for _, c := range demo.Cases {
		p, ok := prs[demo.Org+"/"+c.Repo+" "+demo.Image]
		if !ok {
			t.Errorf("%s: not in pull-requests", c.Repo)
			continue
		}
		if p.Action != c.Action || !strings.Contains(p.Reason, c.Reason) {
			t.Errorf("%s (%s): action %q reason %q, want %q with %q", c.Repo, c.What, p.Action, p.Reason, c.Action, c.Reason)
		}
		if c.Action == "created" || c.Action == "updated" {
			if p.Number == 0 || !strings.HasPrefix(p.URL, h.url+"/acme/"+c.Repo+"/pull/") {
				t.Errorf("%s: number %d url %q", c.Repo, p.Number, p.URL)
			}
		}
	}
	if len(prs) != len(demo.Cases) {
		t.Errorf("%d results, want %d: %v", len(prs), len(demo.Cases), prs)
	}
	if r.outputs["changed-count"] != "10" || r.outputs["failed-count"] != "1" || r.outputs["skipped-count"] != "9" {
		t.Errorf("counts: changed %s skipped %s failed %s", r.outputs["changed-count"], r.outputs["skipped-count"], r.outputs["failed-count"])
	}
	for _, want := range []string{"| acme/api | `Dockerfile` | 1.2 → 1.3 | [#1](" + h.url + "/acme/api/pull/1) | created |", "**Adoption:**", "**Totals:**"} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	for _, want := range []string{"::group::Discover", "::group::Apply", "::endgroup::", "::warning title=dfiu"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if !strings.Contains(r.stdout, "::add-mask::"+testToken) {
		t.Error("the token was not masked")
	}

	// The PRs on the simulator.
	files, err := h.srv.RepoFiles(demo.Org, "api", demo.Branch)
	if err != nil || files["Dockerfile"] != "FROM ghcr.io/acme/base:1.3\nRUN make install\nCMD [\"/usr/local/bin/api\"]\n" {
		t.Errorf("api branch: %v %q", err, files["Dockerfile"])
	}
	apiPRs, _ := h.srv.PullRequests(demo.Org, "api")
	if len(apiPRs) != 1 || len(apiPRs[0].Labels) != 1 || apiPRs[0].Labels[0].Name != demo.Label {
		t.Errorf("api PRs = %+v, want one with label %s", apiPRs, demo.Label)
	}
	sup, _ := h.srv.PullRequests(demo.Org, "supersede")
	if len(sup) != 1 || !strings.Contains(sup[0].Title, demo.NewTag) {
		t.Errorf("supersede PRs = %+v, want the one PR retitled to %s", sup, demo.NewTag)
	}
	store, _ := h.srv.RepoFiles(demo.Org, "dfiu-store", "")
	if !strings.Contains(store["store.json"], `"`+demo.Image+`": "`+demo.NewTag+`"`) {
		t.Errorf("store.json = %s", store["store.json"])
	}

	// A rerun makes no write at all.
	before := h.srv.Stats()
	r2 := h.exec(nil, h.actionEnv(parentInputs()), true, fast())
	after := h.srv.Stats()
	if r2.code != ExitOK || after.Writes != before.Writes {
		t.Errorf("rerun: exit %d, %d writes", r2.code, after.Writes-before.Writes)
	}
	if p := pullRequests(t, r2)["acme/api "+demo.Image]; p.Action != "unchanged" || p.Number != 1 {
		t.Errorf("rerun: api = %+v", p)
	}

	// A newer tag updates the same PR with one new commit.
	in := parentInputs()
	in["tag"] = "1.4"
	r3 := h.exec(nil, h.actionEnv(in), true, fast())
	if p := pullRequests(t, r3)["acme/api "+demo.Image]; r3.code != ExitOK || p.Action != "updated" || p.Number != 1 {
		t.Errorf("newer tag: exit %d api = %+v", r3.code, p)
	}
	apiPRs, _ = h.srv.PullRequests(demo.Org, "api")
	if len(apiPRs) != 1 || !strings.Contains(apiPRs[0].Title, "1.4") {
		t.Errorf("api PRs after 1.4 = %+v", apiPRs)
	}
}

func TestParentViaFlagsPrintsReadableSummary(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	env := map[string]string{"GITHUB_TOKEN": testToken}
	r := h.exec([]string{"parent", "--image", demo.Image, "--tag", demo.NewTag, "--orgs", demo.Org,
		"--github-api-url", h.url + "/api/v3", "--github-graphql-url", h.url + "/api/graphql",
		"--exclude-repos", demo.Exclude, "--fail-on-error=false"}, env, false, actionDeps{})
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"ghcr.io/acme/base -> 1.3", "REPOSITORY", h.url + "/acme/api/pull/1", "adoption:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "::") {
		t.Errorf("workflow commands printed outside Actions:\n%s", r.stdout)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := parentInputs()
	in["dry-run"] = "true"
	before := h.srv.Stats()
	r := h.exec(nil, h.actionEnv(in), true, actionDeps{})
	after := h.srv.Stats()
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if after.Writes != before.Writes {
		t.Errorf("dry run made %d writes", after.Writes-before.Writes)
	}
	if p := pullRequests(t, r)["acme/api "+demo.Image]; p.Action != "would create" {
		t.Errorf("api = %+v", p)
	}
	if !strings.Contains(r.stdout, "-FROM ghcr.io/acme/base:1.2\n+FROM ghcr.io/acme/base:1.3\n") {
		t.Errorf("stdout shows no diff:\n%s", r.stdout)
	}
	if !strings.Contains(r.summary, "dry run") || !strings.Contains(r.summary, "```diff") {
		t.Errorf("summary:\n%s", r.summary)
	}
}

func TestBadInputFailsBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for name, in := range map[string]map[string]string{
		"concurrency":   {"concurrency": "lots"},
		"tag":           {"tag": ""},
		"store":         {"store": "not-a-store"},
		"pr-title":      {"pr-title": "{{.NoSuchField}}"},
		"exclude-repos": {"exclude-repos": "acme/[x"},
	} {
		inputs := parentInputs()
		for k, v := range in {
			inputs[k] = v
		}
		before := h.srv.Stats().Requests
		r := h.exec(nil, h.actionEnv(inputs), true, actionDeps{})
		if n := h.srv.Stats().Requests - before; n != 0 {
			t.Errorf("%s: %d requests after a bad input", name, n)
		}
		if r.code != ExitUsage || !strings.Contains(r.stdout, `input \"`+name+`\"`) && !strings.Contains(r.stdout, `input "`+name+`"`) {
			t.Errorf("%s: exit %d, stdout:\n%s", name, r.code, r.stdout)
		}
	}
}

// fast returns deps with a fake clock, so that the client's pacing of
// writes takes no wall time (the simulator runs with its limits off).
func fast() actionDeps {
	return actionDeps{Clock: clock.NewFake(time.Unix(1_800_000_000, 0))}
}

func TestChildAsAction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := map[string]string{"mode": "child", "repository": "acme/services", "image": demo.Image, "tag": "1.0"}
	r := h.exec(nil, h.actionEnv(in), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	prs := pullRequests(t, r)
	p := prs["acme/services "+demo.Image]
	if len(prs) != 1 || p.Action != "created" || len(p.Files) != 3 || p.From != "1.1, 1.2" || p.To != "1.0" {
		t.Errorf("pull-requests = %+v", prs)
	}
	if n := h.srv.Stats().Endpoints["GET /search/code"]; n != 0 {
		t.Errorf("child mode searched %d times", n)
	}
}

func TestAllAsAction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := map[string]string{"mode": "all", "store": demo.Store, "exclude-repos": demo.Exclude}
	r := h.exec(nil, h.actionEnv(in), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	prs := pullRequests(t, r)
	// The store says base 1.2 and node 22.
	for key, want := range map[string]string{
		"acme/fullstack node":              "created",
		"acme/web node":                    "created",
		"acme/fullstack ghcr.io/acme/base": "unchanged",
		"acme/current ghcr.io/acme/base":   "skipped", // 1.3 → 1.2 would downgrade
		"acme/supersede ghcr.io/acme/base": "updated",
	} {
		if prs[key].Action != want {
			t.Errorf("%s: %+v, want %s", key, prs[key], want)
		}
	}
	branches, _ := h.srv.Branches(demo.Org, "fullstack")
	if strings.Join(branches, ",") != "dfiu/node,main" {
		t.Errorf("fullstack branches = %v", branches)
	}
	if n := h.srv.Stats().GraphQLFields["query.repository"]; n == 0 {
		t.Error("no repository read")
	}
	if !strings.Contains(r.summary, "### `node` → `22`") || !strings.Contains(r.summary, "### `ghcr.io/acme/base` → `1.2`") {
		t.Errorf("summary lacks a section per image:\n%s", r.summary)
	}
}

// failRepo answers every GraphQL mutation naming repo with a 422.
func failRepo(repo string) func(http.Handler) http.Handler {
	return answerMutations(repo, http.StatusUnprocessableEntity, `{"message":"Validation Failed","documentation_url":"https://docs.github.com/graphql"}`)
}

// answerMutations answers every GraphQL mutation naming repo with status
// and body.
func answerMutations(repo string, status int, answer string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "graphql") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte("mutation")) && bytes.Contains(body, []byte(repo)) {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
					w.WriteHeader(status)
					io.WriteString(w, answer)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestOneFailureExitStatus(t *testing.T) {
	t.Parallel()
	for _, failOnError := range []string{"true", "false"} {
		h := newHarnessWith(t, ghsim.Options{Middleware: failRepo("acme/api")})
		in := parentInputs()
		in["fail-on-error"] = failOnError
		in["exclude-repos"] += ",acme/partner-config"
		r := h.exec(nil, h.actionEnv(in), true, fast())
		want := ExitFailure
		if failOnError == "false" {
			want = ExitOK
		}
		if r.code != want {
			t.Errorf("fail-on-error %s: exit %d, want %d", failOnError, r.code, want)
		}
		prs := pullRequests(t, r)
		if p := prs["acme/api "+demo.Image]; p.Action != "failed" || !strings.Contains(p.Reason, "422") {
			t.Errorf("api = %+v", p)
		}
		if prs["acme/web "+demo.Image].Action != "created" || r.outputs["failed-count"] != "1" || r.outputs["changed-count"] != "9" {
			t.Errorf("the others were not processed: %s", r.outputs["pull-requests"])
		}
		// The failure is an error annotation with its reason, not only a
		// line of the summary.
		var errs []string
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "::error") {
				errs = append(errs, line)
			}
		}
		if len(errs) != 1 || !strings.HasPrefix(errs[0], "::error title=dfiu%3A acme/api failed::acme/api: "+demo.Image+" not updated to "+demo.NewTag+": ") ||
			!strings.Contains(errs[0], "422") {
			t.Errorf("error annotations = %q, want one for acme/api with its reason", errs)
		}
	}
}

func TestIncompleteSearchIsReported(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.SetIncompleteResults(true)
	in := parentInputs()
	in["discovery"] = "search"
	in["dry-run"] = "true"
	env := h.actionEnv(in)
	env["RUNNER_TEMP"] = t.TempDir()
	r := h.exec(nil, env, true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d", r.code)
	}
	// The full report, for upload-artifact.
	if f := r.outputs["report-file"]; !strings.HasPrefix(f, env["RUNNER_TEMP"]) {
		t.Errorf("report-file = %q, want a file in RUNNER_TEMP", f)
	} else if b, err := os.ReadFile(f); err != nil || !strings.Contains(string(b), `"pull_requests"`) || !strings.Contains(string(b), `"coverage"`) {
		t.Errorf("report file: %v\n%.300s", err, b)
	}
	if !strings.Contains(r.summary, "Coverage is incomplete") || !strings.Contains(r.stdout, "::warning title=dfiu%3A incomplete coverage") {
		t.Errorf("incomplete coverage not reported:\n%s", r.summary)
	}
	if !strings.Contains(r.outputs["coverage"], `"method":"search"`) || !strings.Contains(r.outputs["coverage"], `"complete":false`) {
		t.Errorf("coverage output = %s", r.outputs["coverage"])
	}
	// auto (the default) does not trust it: it scans.
	delete(in, "discovery")
	r = h.exec(nil, h.actionEnv(in), true, fast())
	if r.code != ExitOK || !strings.Contains(r.summary, "scanned every repository because code search could not be trusted") ||
		!strings.Contains(r.summary, "acme by scan, complete") || !strings.Contains(r.outputs["coverage"], `"method":"scan"`) {
		t.Errorf("auto after an incomplete search: exit %d, coverage %s\n%s", r.code, r.outputs["coverage"], r.summary)
	}
}

func TestConcurrentParentRunsKeepEveryStoreEntry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := range 20 {
		if _, err := h.reg.PushImage(fmt.Sprintf("acme/img%d", i), "1.0", int64(1000+i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := map[string]string{"mode": "parent", "image": fmt.Sprintf("acme/img%d", i), "tag": "1.0", "store": demo.Store}
			if r := h.exec(nil, h.actionEnv(in), true, fast()); r.code != ExitOK {
				t.Errorf("run %d: exit %d\n%s", i, r.code, r.stdout)
			}
		}()
	}
	wg.Wait()
	files, _ := h.srv.RepoFiles(demo.Org, "dfiu-store", "")
	var st struct{ Images, Digests map[string]string }
	if err := json.Unmarshal([]byte(files["store.json"]), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Images) != 22 {
		t.Errorf("store has %d entries, want 22 (2 seeded + 20): %v", len(st.Images), st.Images)
	}
	if len(st.Digests) != 20 {
		t.Errorf("store has %d digests, want 20 (one per run): %v", len(st.Digests), st.Digests)
	}
}

// TestRateLimitsRetriedOnTheClock uses up a rate limit with the run's own
// token before the run, so that dfiu's client, which knows nothing of it,
// is refused: it must wait on the clock for the time the refusal
// indicates and finish the run.
func TestRateLimitsRetriedOnTheClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		limits   limiter.Limits
		use      func(t *testing.T, h *harness) // uses up the limit
		endpoint string                         // of the refusals
		status   int                            // of the refusals
	}{
		{"403 code search", limiter.Limits{CodeSearch: 1}, useCodeSearch(1), "GET /search/code", http.StatusForbidden},
		{"429 code search", limiter.Limits{CodeSearch: 1, PrimaryStatus: 429}, useCodeSearch(1), "GET /search/code", http.StatusTooManyRequests},
		{"graphql", limiter.Limits{GraphQL: 8}, useGraphQL(8), "POST /graphql", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(time.Unix(1_800_000_000, 0))
			rec := &refusalRecorder{clk: clk}
			validate := ghsimtest.ValidateIfPresent(t)
			h := newHarnessWith(t, ghsim.Options{Clock: clk, Limits: limiter.Config{Limits: tt.limits},
				Middleware: func(next http.Handler) http.Handler {
					if validate != nil {
						next = validate(next)
					}
					return rec.wrap(next)
				}})
			tt.use(t, h)
			if got := rec.take(); len(got) != 0 || h.srv.Stats().RateLimited != 0 {
				t.Fatalf("using up the limit was refused: %+v", got)
			}
			// One repository at a time: with a limit this small, concurrent
			// writers would take each other's slots until their retries ran out.
			in := parentInputs()
			in["concurrency"] = "1"
			r := h.exec(nil, h.actionEnv(in), true, actionDeps{Clock: clk})
			if r.code != ExitOK {
				t.Fatalf("exit %d\n%s", r.code, r.stdout)
			}
			if p := pullRequests(t, r)["acme/api "+demo.Image]; p.Action != "created" {
				t.Errorf("api = %+v, want created", p)
			}

			refusals := rec.take()
			st := h.srv.Stats()
			if len(refusals) == 0 || st.PrimaryRateLimited == 0 {
				t.Fatalf("the run was never refused (simulator: %d primary refusals); the test proves nothing", st.PrimaryRateLimited)
			}
			if int64(len(refusals)) != st.PrimaryRateLimited || st.SecondaryRateLimited != 0 {
				t.Errorf("saw %d refusals; simulator counted %d primary and %d secondary, want all %d primary", len(refusals), st.PrimaryRateLimited, st.SecondaryRateLimited, len(refusals))
			}
			for _, f := range refusals {
				if f.endpoint != tt.endpoint || f.status != tt.status {
					t.Errorf("refusal %+v, want %s answered %d", f, tt.endpoint, tt.status)
				}
			}
			// Each refusal is followed by a wait on the clock, and the first
			// one by a wait at least as long as its headers indicated.
			sleeps := clk.Sleeps()
			t.Logf("refusals %+v; sleeps %v", refusals, sleeps)
			if len(sleeps) < len(refusals) {
				t.Errorf("%d refusals but %d sleeps %v: the client retried without waiting", len(refusals), len(sleeps), sleeps)
			}
			longest := time.Duration(0)
			for _, d := range sleeps {
				longest = max(longest, d)
			}
			if want := refusals[0].wait; want <= 0 || longest < want {
				t.Errorf("longest sleep %v (of %v), want at least the %v the first refusal indicated", longest, sleeps, want)
			}
		})
	}
}

// useCodeSearch makes n code searches with the run's token.
func useCodeSearch(n int) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for range n {
			h.call(t, http.MethodGet, "/search/code?q=org%3A"+demo.Org+"+FROM", "")
		}
	}
}

// useGraphQL sends n one-point GraphQL queries with the run's token.
func useGraphQL(n int) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for range n {
			h.call(t, http.MethodPost, "/graphql", `{"query":"{ viewer { login } }"}`)
		}
	}
}

// call sends one request with the run's token and requires a 200.
func (h *harness) call(t *testing.T, method, path, body string) {
	t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s = %d: %s", method, path, resp.StatusCode, b)
	}
}

// refusal is one primary rate-limit refusal the simulator answered.
type refusal struct {
	endpoint string        // "GET /search/code"
	status   int           // HTTP status; 200 for a GraphQL RATE_LIMITED
	wait     time.Duration // until x-ratelimit-reset, or retry-after, on the clock
}

// refusalRecorder sits between the simulator and its clients and notes the
// primary rate-limit refusals: a REST 403 or 429 with
// x-ratelimit-remaining 0, or a GraphQL error of type RATE_LIMITED or
// RATE_LIMIT.
type refusalRecorder struct {
	clk *clock.Fake

	mu       sync.Mutex
	refusals []refusal
}

func (rr *refusalRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if f, ok := rr.refusal(r, rec); ok {
			rr.mu.Lock()
			rr.refusals = append(rr.refusals, f)
			rr.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func (rr *refusalRecorder) refusal(r *http.Request, rec *httptest.ResponseRecorder) (refusal, bool) {
	h := rec.Header()
	switch {
	case r.URL.Path == "/graphql" && rec.Code == http.StatusOK:
		var ans struct {
			Errors []struct {
				Type string `json:"type"`
			} `json:"errors"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &ans) != nil || len(ans.Errors) == 0 ||
			(ans.Errors[0].Type != "RATE_LIMITED" && ans.Errors[0].Type != "RATE_LIMIT") {
			return refusal{}, false
		}
	case (rec.Code == http.StatusForbidden || rec.Code == http.StatusTooManyRequests) && h.Get("X-Ratelimit-Remaining") == "0":
	default:
		return refusal{}, false
	}
	f := refusal{endpoint: r.Method + " " + r.URL.Path, status: rec.Code}
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil {
		f.wait = time.Duration(secs) * time.Second
	} else if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
		f.wait = time.Unix(reset, 0).Sub(rr.clk.Now())
	}
	return f, true
}

// take returns the refusals noted so far and forgets them.
func (rr *refusalRecorder) take() []refusal {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	out := rr.refusals
	rr.refusals = nil
	return out
}
