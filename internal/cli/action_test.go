package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
)

// testToken looks like a real token so that a leak is easy to spot.
const testToken = "ghp_e2eSECRETtoken0123456789abcdefABCD"

// harness is a simulator seeded with the demo organisation, and a way to
// run dfiu against it in-process.
type harness struct {
	t   *testing.T
	srv *ghsim.Server
	url string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, ghsim.Options{})
}

func newHarnessWith(t *testing.T, opts ghsim.Options) *harness {
	t.Helper()
	srv := ghsim.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if err := demo.Populate(srv, testToken); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, url: ts.URL}
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
	var code int
	if len(args) == 0 {
		code = runActionWith(context.Background(), "", nil, e, deps)
	} else if deps == (actionDeps{}) {
		code = Run(context.Background(), args, e)
	} else {
		code = runActionWith(context.Background(), args[0], args[1:], e, deps)
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

func checkNoToken(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, testToken) {
		t.Errorf("the token appears in %s", where)
	}
}

// parseOutputs reads a GITHUB_OUTPUT file: name<<DELIMITER blocks, as
// go-githubactions writes them, or name=value lines.
func parseOutputs(t *testing.T, s string) map[string]string {
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
	}
}

func TestParentAsAction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.exec(nil, h.actionEnv(parentInputs()), true, actionDeps{})
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
	if r.outputs["changed-count"] != "9" || r.outputs["failed-count"] != "0" || r.outputs["skipped-count"] != "9" {
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
	r2 := h.exec(nil, h.actionEnv(parentInputs()), true, actionDeps{})
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
	r3 := h.exec(nil, h.actionEnv(in), true, actionDeps{})
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
		"--exclude-repos", demo.Exclude}, env, false, actionDeps{})
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

