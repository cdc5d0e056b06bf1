package update_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
	"github.com/dfiu/dfiu/internal/imageref"
	"github.com/dfiu/dfiu/internal/scanindex"
	"github.com/dfiu/dfiu/internal/store"
	"github.com/dfiu/dfiu/internal/update"
)

const treesEndpoint = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"

// blindOrg is an org where code search misses two users of acme/base: a
// dormant repository (no push for two years) and a Dockerfile over 384 KB.
type blindOrg struct {
	t   *testing.T
	srv *ghsim.Server
	c   *gh.Client
	idx scanindex.Store
}

func newBlindOrg(t *testing.T) *blindOrg {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_800_000_000, 0)) // 2027-01-15
	srv := ghsim.New(ghsim.Options{Clock: clk, Middleware: ghsimtest.ValidateIfPresent(t)})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.SetBaseURL(ts.URL)
	dormant := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	big := "FROM acme/base:1.0\n" + strings.Repeat("# a long licence header\n", 17000) // ≈ 400 KB
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/active", Files: map[string]string{"Dockerfile": "FROM acme/base:1.0\n"}},
		{Name: "acme/dormant", PushedAt: &dormant, Files: map[string]string{"svc/Dockerfile": "FROM acme/base:1.0\n"}},
		{Name: "acme/big", Files: map[string]string{"Dockerfile": big}},
		{Name: "acme/other", Files: map[string]string{"Dockerfile": "FROM debian:12\n", "compose.yaml": "services: {a: {image: redis}}\n"}},
		{Name: "acme/config", Files: map[string]string{"README.md": "store\n"}},
	}}); err != nil {
		t.Fatal(err)
	}
	c, err := gh.New(gh.Options{Token: srv.AdminToken(), APIURL: ts.URL + "/", GraphQLURL: ts.URL + "/graphql", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	loc := scanindex.Location(store.Location{Owner: "acme", Repo: "config", Path: "store.json"})
	return &blindOrg{t: t, srv: srv, c: c, idx: scanindex.Store{Files: c, Loc: loc}}
}

func (o *blindOrg) options(mode update.Mode, discovery update.Discovery, tag string) update.Options {
	o.t.Helper()
	ts, err := update.NewTemplates(update.DefaultPRTitle, update.DefaultPRBody, update.DefaultCommitMessage)
	if err != nil {
		o.t.Fatal(err)
	}
	opts := update.Options{Mode: mode, Orgs: []string{"acme"}, Discovery: discovery, Index: o.idx,
		Kinds: []dockerfile.Kind{dockerfile.KindDockerfile, dockerfile.KindCompose}, BranchPrefix: "dfiu", Templates: ts}
	if mode != update.ModeAll {
		opts.Target = update.Target{Image: imageref.MustParse("acme/base"), Tag: tag}
	}
	return opts
}

// run runs and returns the changed repositories (sorted) and the report.
func (o *blindOrg) run(opts update.Options, st update.Store) ([]string, *update.Report) {
	o.t.Helper()
	rep, err := update.Run(context.Background(), o.c, st, opts)
	if err != nil {
		o.t.Fatal(err)
	}
	var changed []string
	for _, r := range rep.Results() {
		if r.Action.Changed() {
			changed = append(changed, r.Repository)
		}
	}
	return changed, rep
}

func TestScanFindsWhatSearchMisses(t *testing.T) {
	t.Parallel()
	o := newBlindOrg(t)

	opts := o.options(update.ModeParent, update.DiscoverSearch, "1.1")
	opts.DryRun = true
	changed, rep := o.run(opts, nil)
	if strings.Join(changed, " ") != "acme/active" {
		t.Errorf("search changes %v, want only acme/active (dormant and big are out of the index)", changed)
	}
	if cov := rep.Coverage; len(cov) != 1 || cov[0].Method != "search" || cov[0].Complete || cov[0].Searched != 1 || cov[0].FilesRead != 1 {
		t.Errorf("search coverage = %+v, want one incomplete search coverage with 1 repository and 1 file", cov)
	}

	opts = o.options(update.ModeParent, update.DiscoverScan, "1.1")
	opts.DryRun = true
	changed, rep = o.run(opts, nil)
	if strings.Join(changed, " ") != "acme/active acme/big acme/dormant" {
		t.Errorf("scan changes %v, want active, big and dormant", changed)
	}
	cov := rep.Coverage[0]
	if cov.Method != "scan" || !cov.Complete || cov.Listed != 5 || cov.Scanned != 5 || cov.FilesRead != 5 || len(cov.Unseen) != 0 {
		t.Errorf("scan coverage = %+v, want complete: 5 listed, 5 scanned, 5 files read", cov)
	}
	if st := o.srv.Stats(); st.Writes != 0 {
		t.Errorf("a dry run wrote %d times", st.Writes)
	}
}

// TestAutoFallsBackToScan: auto trusts a complete search in parent mode
// and scans when the search says it is incomplete.
func TestAutoFallsBackToScan(t *testing.T) {
	t.Parallel()
	o := newBlindOrg(t)
	opts := o.options(update.ModeParent, update.DiscoverAuto, "1.1")
	opts.DryRun = true
	if changed, rep := o.run(opts, nil); strings.Join(changed, " ") != "acme/active" || rep.Coverage[0].Method != "search" {
		t.Errorf("auto with a complete search: %v, coverage %+v", changed, rep.Coverage)
	}
	o.srv.SetIncompleteResults(true)
	changed, rep := o.run(opts, nil)
	if strings.Join(changed, " ") != "acme/active acme/big acme/dormant" || rep.Coverage[0].Method != "scan" {
		t.Errorf("auto after an incomplete search: %v, coverage %+v", changed, rep.Coverage)
	}
	if len(rep.Notes) == 0 || !strings.Contains(strings.Join(rep.Notes, "\n"), "code search could not be trusted") {
		t.Errorf("notes = %q, want the fallback explained", rep.Notes)
	}
}

// TestIncrementalScan: all mode scans (auto); a rerun with nothing changed
// lists the repositories and reads nothing else; a push is picked up; a
// corrupt index costs one full scan and gives the same result.
func TestIncrementalScan(t *testing.T) {
	t.Parallel()
	o := newBlindOrg(t)
	st := memStore{"acme/base": "1.0", "debian": "13"}
	opts := o.options(update.ModeAll, update.DiscoverAuto, "")

	changed, rep := o.run(opts, st)
	if len(changed) != 1 || changed[0] != "acme/other" || rep.Coverage[0].Scanned != 5 {
		t.Fatalf("first run: changed %v (want acme/other: debian), coverage %+v", changed, rep.Coverage)
	}
	if _, _, err := o.c.GetContents(context.Background(), "acme", "config", "store.scan-index.json", ""); err != nil {
		t.Fatalf("no index written: %v", err)
	}

	// Nothing changed: one listing page and the index, nothing else.
	before := o.srv.Stats()
	changed, rep = o.run(opts, st)
	after := o.srv.Stats()
	if trees := after.Endpoints[treesEndpoint] - before.Endpoints[treesEndpoint]; trees != 1 {
		t.Errorf("rerun read %d trees, want 1 (acme/config, which holds the index)", trees)
	}
	if gql := after.Endpoints["POST /graphql"] - before.Endpoints["POST /graphql"]; gql != 4 {
		// the preflight, the listing, and acme/other's files and pull
		// request (twice: it is not settled while its pull request is open)
		t.Errorf("rerun sent %d GraphQL requests, want 4 (the preflight, the listing and two reads of acme/other)", gql)
	}
	if cov := rep.Coverage[0]; cov.Unchanged != 4 || cov.Scanned != 1 || !cov.Complete {
		t.Errorf("rerun coverage = %+v", cov)
	}
	if after.Writes-before.Writes != 0 {
		t.Errorf("rerun wrote %d times, want 0", after.Writes-before.Writes)
	}

	// A push to the dormant repository: one tree, and the change found.
	put := func(repo, path, content string) {
		t.Helper()
		if err := o.c.PutContents(context.Background(), "acme", repo, path, "", []byte(content), sha(t, o, repo, path), "edit"); err != nil {
			t.Fatal(err)
		}
	}
	put("dormant", "svc/Dockerfile", "FROM acme/base:0.9\n")
	before = o.srv.Stats()
	changed, _ = o.run(opts, st)
	if trees := o.srv.Stats().Endpoints[treesEndpoint] - before.Endpoints[treesEndpoint]; trees != 2 {
		t.Errorf("after one push the scan read %d trees, want 2 (acme/dormant and acme/config)", trees)
	}
	if !strings.Contains(strings.Join(changed, " "), "acme/dormant") {
		t.Errorf("after the push changed %v, want acme/dormant", changed)
	}

	// A corrupt index: a full scan and the same verdicts.
	put("config", "store.scan-index.json", `{"version":1,"checksum":"sha256:00","repos":{"acme/active":{"head":"x"}}}`)
	before = o.srv.Stats()
	opts.DryRun = true
	changed, rep = o.run(opts, st)
	if trees := o.srv.Stats().Endpoints[treesEndpoint] - before.Endpoints[treesEndpoint]; trees != 5 {
		t.Errorf("with a corrupt index the scan read %d trees, want 5", trees)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "scan index was not used") {
		t.Errorf("notes = %q, want the corrupt index reported", rep.Notes)
	}
	opts.Index = nil
	_, full := o.run(opts, st)
	if got, want := outcomes(rep), outcomes(full); got != want || !strings.Contains(got, "acme/dormant acme/base") {
		t.Errorf("with a corrupt index:\n%s\nwithout an index:\n%s", got, want)
	}
}

func outcomes(rep *update.Report) string {
	var b strings.Builder
	for _, r := range rep.Results() {
		b.WriteString(r.Repository + " " + r.Image + " " + string(r.Action) + " " + r.Reason + "\n")
	}
	return b.String()
}

func sha(t *testing.T, o *blindOrg, repo, path string) string {
	t.Helper()
	_, s, err := o.c.GetContents(context.Background(), "acme", repo, path, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChildModeReportsTooLargeFiles: a Dockerfile over 1 MiB is reported
// with its size, not as "no file references".
func TestChildModeReportsTooLargeFiles(t *testing.T) {
	t.Parallel()
	o := newBlindOrg(t)
	huge := "FROM acme/base:1.0\n" + strings.Repeat("#", dockerfile.MaxSize)
	if err := o.c.PutContents(context.Background(), "acme", "active", "Dockerfile", "", []byte(huge), sha(t, o, "active", "Dockerfile"), "grow"); err != nil {
		t.Fatal(err)
	}
	opts := o.options(update.ModeChild, "", "1.1")
	opts.Repository = "acme/active"
	opts.DryRun = true
	_, rep := o.run(opts, nil)
	res := rep.Results()
	want := "Dockerfile: too large to read (1048595 bytes, over 1048576)"
	if len(res) != 1 || res[0].Action != update.Skipped || !strings.Contains(res[0].Reason, want) || strings.HasPrefix(res[0].Reason, "no file references") {
		t.Errorf("results = %+v, want skipped with %q", res, want)
	}
	if rep.Images[0].Complete {
		t.Errorf("image report complete despite an unread file")
	}
}
