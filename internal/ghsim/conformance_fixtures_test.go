package ghsim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
	"github.com/dfiu/dfiu/internal/testshared"
)

// The recorded sessions (octokit/fixtures, recorded on api.github.com in
// 2022) are replayed against the simulator: same requests, in order, with the
// host rewritten and a simulator token; then the status, the headers that
// matter and the JSON shape of each answer must be the recording's.

const fixtureOrg = "octokit-fixture-org"

// replaySkip is a recorded request the simulator deliberately does not
// serve; the reason says why the project does not need it.
type replaySkip struct {
	method string
	match  *regexp.Regexp // against the recorded path
	reason string
}

// fixtureScenario says how to replay one recorded scenario.
type fixtureScenario struct {
	name string
	// seed prepares the state the recording assumes existed beforehand.
	seed ghsim.Seed
	// skip lists requests not replayed, each with its reason.
	skip []replaySkip
	// unvalidated lists requests GitHub serves but its REST description
	// no longer documents; they are replayed and compared with the
	// recording but not checked against the description.
	unvalidated []replaySkip
	// minReplayed is how many requests must be replayed and compared.
	minReplayed int
}

var (
	listAllRefs = replaySkip{"GET", regexp.MustCompile(`/git/refs/$`),
		"GET …/git/refs/ (all refs) is served by GitHub but was dropped from the description for git/matching-refs"}
	issueSearch = replaySkip{"GET", regexp.MustCompile(`^/search/issues\?`),
		"issue search is not served: the Action searches code only (the envelope is compared in TestSearchEnvelopeMatchesRecording)"}
	legacyRepoURL = replaySkip{"GET", regexp.MustCompile(`^/repositories/\d+/`),
		"GET /repositories/{id}/… is the URL GitHub puts in Link headers, but the description does not document it"}
)

func fixtureScenarios() []fixtureScenario {
	helloWorld := ghsim.SeedRepo{
		Name:        fixtureOrg + "/hello-world",
		Description: "Test repository for @octokit/fixtures",
		Files:       map[string]string{"README.md": "# hello-world"},
	}
	return []fixtureScenario{
		{name: "get-repository", seed: ghsim.Seed{Repos: []ghsim.SeedRepo{helloWorld}}, minReplayed: 1},
		{name: "get-content", seed: ghsim.Seed{Repos: []ghsim.SeedRepo{helloWorld}}, minReplayed: 2},
		{name: "create-file", seed: ghsim.Seed{Orgs: []string{fixtureOrg}}, minReplayed: 3},
		{name: "errors", seed: ghsim.Seed{Orgs: []string{fixtureOrg}}, minReplayed: 3},
		{name: "git-refs", seed: ghsim.Seed{Orgs: []string{fixtureOrg}}, unvalidated: []replaySkip{listAllRefs}, minReplayed: 9},
		{name: "add-labels-to-issue", seed: ghsim.Seed{Orgs: []string{fixtureOrg}}, minReplayed: 4},
		{name: "paginate-issues", seed: ghsim.Seed{Orgs: []string{fixtureOrg}}, unvalidated: []replaySkip{legacyRepoURL}, minReplayed: 20},
		{name: "search-issues", seed: ghsim.Seed{Orgs: []string{fixtureOrg}}, skip: []replaySkip{issueSearch}, minReplayed: 4},
	}
}

func TestReplayRecordedSessions(t *testing.T) {
	names, err := ghsimtest.Scenarios()
	if err != nil {
		testshared.Absent(t, err)
	}
	listed := map[string]bool{}
	for _, sc := range fixtureScenarios() {
		listed[sc.name] = true
	}
	for _, name := range names {
		if !listed[name] {
			t.Errorf("recorded scenario %q is not replayed; add it to fixtureScenarios", name)
		}
	}
	for _, sc := range fixtureScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			recs := loadFixture(t, sc.name)
			sim := newConfSim(t, sc.seed)
			replay(t, sim, sc, recs)
		})
	}
}

// loadFixture reads a recorded scenario, skipping t when the recordings are
// absent (a clone without ../shared) unless the run requires them.
func loadFixture(t *testing.T, name string) []ghsimtest.Recorded {
	t.Helper()
	recs, err := ghsimtest.LoadFixture(name)
	if err != nil {
		testshared.Absent(t, err)
	}
	return recs
}

func matchSkip(list []replaySkip, rec ghsimtest.Recorded) (replaySkip, bool) {
	for _, s := range list {
		if s.method == rec.Method && s.match.MatchString(rec.Path) {
			return s, true
		}
	}
	return replaySkip{}, false
}

func replay(t *testing.T, sim *confSim, sc fixtureScenario, recs []ghsimtest.Recorded) {
	t.Helper()
	validated := sim.httpClient(sim.token)
	plain := &http.Client{Transport: &authTransport{token: sim.token, base: http.DefaultTransport}}
	shas := map[string]string{} // recorded git id → the simulator's
	ids := map[string]string{}  // recorded repository id → the simulator's
	replayed := 0
	skipped := map[string]int{}
	unvalidated := map[string]int{}
	for i, rec := range recs {
		where := fmt.Sprintf("%s[%d] %s %s", sc.name, i, rec.Method, rec.Path)
		if s, ok := matchSkip(sc.skip, rec); ok {
			skipped[s.reason]++
			continue
		}
		client := validated
		if s, ok := matchSkip(sc.unvalidated, rec); ok {
			client = plain
			unvalidated[s.reason]++
		}
		path, body := rewriteIDs(rewriteSHAs(rec.Path, shas), ids), rewriteSHAs(string(rec.RequestBody()), shas)
		req, err := http.NewRequest(rec.Method, sim.ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if body == "" {
			req.Body = http.NoBody
		}
		for _, h := range []string{"Accept", "Content-Type"} {
			if v := rec.RequestHeader(h); v != "" {
				req.Header.Set(h, v)
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: reading answer: %v", where, err)
		}
		replayed++
		if resp.StatusCode != rec.Status {
			t.Errorf("%s: status %d, want %d as recorded; body %s", where, resp.StatusCode, rec.Status, clip(got))
			continue
		}
		for _, d := range headerDiffs(rec.Header(), resp.Header) {
			t.Errorf("%s: %s", where, d)
		}
		want := rec.ResponseBody()
		if !json.Valid(want) {
			if !bytes.Equal(want, got) {
				t.Errorf("%s: raw body %q, want %q as recorded", where, clip(got), clip(want))
			}
			continue
		}
		diffs, err := ghsimtest.ShapeDiff(want, got, ghsimtest.ShapeOptions{Ignore: recordedShapeIgnores})
		if err != nil {
			t.Errorf("%s: %v; body %s", where, err, clip(got))
			continue
		}
		for _, d := range diffs {
			t.Errorf("%s: JSON shape (recording vs simulator): %s", where, d)
		}
		learnSHAs(want, got, shas)
		learnRepoID(want, got, ids)
	}
	if replayed < sc.minReplayed {
		t.Errorf("replayed %d requests, want at least %d", replayed, sc.minReplayed)
	}
	for _, s := range sc.skip {
		if skipped[s.reason] == 0 {
			t.Errorf("skip %q never applied; remove it", s.reason)
		} else {
			t.Logf("%d %s requests not replayed: %s", skipped[s.reason], s.method, s.reason)
		}
	}
	for _, s := range sc.unvalidated {
		if unvalidated[s.reason] == 0 {
			t.Errorf("unvalidated %q never applied; remove it", s.reason)
		}
	}
}

// recordedShapeIgnores are fields whose shape legitimately differs from the
// 2022 recordings.
var recordedShapeIgnores = []string{
	// Added to repositories after the recording and required by the
	// current description.
	"$.has_discussions",
	// A grab bag of per-account settings GitHub adds and removes; the
	// simulator sends what the description requires.
	"$.security_and_analysis",
	// verification.verified_at was added in 2024; the current description
	// requires it (nullable).
	"$.commit.verification.verified_at",
}

var shaRE = regexp.MustCompile(`\b[0-9a-f]{40}\b`)

func rewriteSHAs(s string, shas map[string]string) string {
	return shaRE.ReplaceAllStringFunc(s, func(sha string) string {
		if v, ok := shas[sha]; ok {
			return v
		}
		return sha
	})
}

var repositoriesRE = regexp.MustCompile(`^/repositories/(\d+)/`)

// rewriteIDs replaces a recorded repository id in a /repositories/{id}/ path.
func rewriteIDs(path string, ids map[string]string) string {
	m := repositoriesRE.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	if id, ok := ids[m[1]]; ok {
		return "/repositories/" + id + "/" + path[len(m[0]):]
	}
	return path
}

// learnRepoID maps the id of a recorded repository answer to the
// simulator's.
func learnRepoID(want, got []byte, ids map[string]string) {
	var w, g struct {
		ID       json.Number `json:"id"`
		FullName string      `json:"full_name"`
	}
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil || w.FullName == "" || w.ID == "" || g.ID == "" {
		return
	}
	ids[w.ID.String()] = g.ID.String()
}

// learnSHAs walks a recorded answer and the simulator's side by side and
// maps every recorded git id to the simulator's at the same place, so that
// later requests (a ref pointing at a recorded commit) can be rewritten.
func learnSHAs(want, got []byte, shas map[string]string) {
	var w, g any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return
	}
	var walk func(w, g any)
	walk = func(w, g any) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				return
			}
			for k := range wv {
				walk(wv[k], gv[k])
			}
		case []any:
			gv, ok := g.([]any)
			if !ok {
				return
			}
			for i := 0; i < len(wv) && i < len(gv); i++ {
				walk(wv[i], gv[i])
			}
		case string:
			if gs, ok := g.(string); ok && shaRE.MatchString(wv) && len(wv) == 40 && shaRE.MatchString(gs) && len(gs) == 40 {
				shas[wv] = gs
			}
		}
	}
	walk(w, g)
}

// headerDiffs compares the headers that matter: the content type, the
// presence of the rate-limit headers and a request id, the rel names of
// Link, and Location where GitHub sends one.
func headerDiffs(want, got http.Header) []string {
	var diffs []string
	if ct := want.Get("Content-Type"); ct != "" && got.Get("Content-Type") != ct {
		diffs = append(diffs, fmt.Sprintf("Content-Type %q, want %q", got.Get("Content-Type"), ct))
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource", "X-GitHub-Request-Id"} {
		if want.Get(h) != "" && got.Get(h) == "" {
			diffs = append(diffs, "no "+h+" header")
		}
	}
	if want.Get("Location") != "" && got.Get("Location") == "" {
		diffs = append(diffs, "no Location header")
	}
	if w, g := linkRels(want.Get("Link")), linkRels(got.Get("Link")); w != g {
		diffs = append(diffs, fmt.Sprintf("Link rels %q, want %q", g, w))
	}
	return diffs
}

var linkPartRE = regexp.MustCompile(`^<(https?://[^>]+)>; rel="([a-z]+)"$`)

// linkRels returns the rel names of a Link header in order, each with the
// page its URL asks for ("next:3"), or a description of a malformed header.
func linkRels(link string) string {
	if link == "" {
		return ""
	}
	var rels []string
	for _, part := range strings.Split(link, ", ") {
		m := linkPartRE.FindStringSubmatch(part)
		if m == nil {
			return fmt.Sprintf("malformed part %q", part)
		}
		u, err := url.Parse(m[1])
		if err != nil {
			return fmt.Sprintf("malformed URL %q", m[1])
		}
		rels = append(rels, m[2]+":"+u.Query().Get("page"))
	}
	return strings.Join(rels, ",")
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// TestLinkHeaderMatchesRecording pages through organisation repositories as
// paginate-issues pages through issues (13 items, 3 a page) and compares the
// Link headers with the recorded ones, page by page: the same rels in the
// same order pointing at the same pages, absolute URLs on the request's host
// and prefix, the same query parameters.
func TestLinkHeaderMatchesRecording(t *testing.T) {
	t.Parallel()
	recs := loadFixture(t, "paginate-issues")
	var recorded []string
	for _, rec := range recs {
		if rec.Method == "GET" && strings.Contains(rec.Path, "/issues?") {
			recorded = append(recorded, rec.Header().Get("Link"))
		}
	}
	if len(recorded) != 5 {
		t.Fatalf("paginate-issues has %d listing pages, want 5", len(recorded))
	}
	seed := ghsim.Seed{}
	for i := 1; i <= 13; i++ {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("acme/r%02d", i)})
	}
	sim := newConfSim(t, seed)
	client := sim.httpClient(sim.token)
	for _, prefix := range []string{"", "/api/v3"} {
		for page := 1; page <= 5; page++ {
			u := fmt.Sprintf("%s%s/orgs/acme/repos?per_page=3&page=%d", sim.ts.URL, prefix, page)
			resp, err := client.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			link := resp.Header.Get("Link")
			if got, want := linkRels(link), linkRels(recorded[page-1]); got != want {
				t.Errorf("%s page %d: Link rels %q, want %q as recorded (Link: %s)", prefix, page, got, want, link)
				continue
			}
			for _, part := range strings.Split(link, ", ") {
				m := linkPartRE.FindStringSubmatch(part)
				if !strings.HasPrefix(m[1], sim.ts.URL+prefix+"/orgs/acme/repos?") {
					t.Errorf("%s page %d: Link URL %q, want it on %s%s/orgs/acme/repos", prefix, page, m[1], sim.ts.URL, prefix)
				}
				if !strings.Contains(m[1], "per_page=3") || !regexp.MustCompile(`[?&]page=\d`).MatchString(m[1]) {
					t.Errorf("%s page %d: Link URL %q lacks per_page=3 or page", prefix, page, m[1])
				}
			}
		}
	}
	sim.requireValidated(t, 10)
}

// TestSearchEnvelopeMatchesRecording compares code search's answer with the
// recorded issue search (the only recorded search): the same envelope keys
// and types, the same rate-limit headers, resource "code_search" where issue
// search has "search".
func TestSearchEnvelopeMatchesRecording(t *testing.T) {
	t.Parallel()
	recs := loadFixture(t, "search-issues")
	var rec ghsimtest.Recorded
	for _, r := range recs {
		if strings.HasPrefix(r.Path, "/search/") {
			rec = r
		}
	}
	if rec.Path == "" {
		t.Fatal("search-issues has no search request")
	}
	var envelope map[string]any
	if err := json.Unmarshal(rec.ResponseBody(), &envelope); err != nil {
		t.Fatal(err)
	}
	envelope["items"] = []any{} // issue items are not code items

	sim := newConfSim(t, ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM sesame:1\n"}}}})
	resp, err := sim.httpClient(sim.token).Get(sim.ts.URL + "/search/code?q=sesame+org:acme")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search/code status %d: %s", resp.StatusCode, clip(got))
	}
	want, _ := json.Marshal(envelope)
	diffs, err := ghsimtest.ShapeDiff(want, got, ghsimtest.ShapeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 0 {
		t.Errorf("search envelope differs from the recording:\n%s", strings.Join(diffs, "\n"))
	}
	h := rec.Header()
	for _, d := range headerDiffs(h, resp.Header) {
		t.Errorf("search/code: %s", d)
	}
	if h.Get("X-RateLimit-Resource") != "search" || resp.Header.Get("X-RateLimit-Resource") != "code_search" {
		t.Errorf("X-RateLimit-Resource = %q, want code_search (the recording's issue search says %q)", resp.Header.Get("X-RateLimit-Resource"), h.Get("X-RateLimit-Resource"))
	}
	var keys []string
	for k := range envelope {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("recorded envelope keys: %v", keys)
	sim.requireValidated(t, 1)
}
