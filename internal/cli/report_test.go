package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/report"
)

// reportJSON is the part of the report file the tests read.
type reportJSON struct {
	Images []struct {
		Image    string `json:"image"`
		Tag      string `json:"tag"`
		Adoption struct {
			Repositories        int     `json:"repositories"`
			CurrentRepositories int     `json:"current_repositories"`
			Files               int     `json:"files"`
			CurrentFiles        int     `json:"current_files"`
			Percent             float64 `json:"percent"`
		} `json:"adoption"`
		States    map[string]int `json:"states"`
		Consumers []consumerJSON `json:"consumers"`
		OptOuts   []consumerJSON `json:"opt_outs"`
		PRs       []struct {
			Repository string    `json:"repository"`
			Number     int       `json:"number"`
			OpenedAt   time.Time `json:"opened_at"`
			AgeDays    int       `json:"age_days"`
			CI         string    `json:"ci"`
			Mergeable  string    `json:"mergeable"`
		} `json:"pull_requests"`
		Skipped []struct {
			Repository string `json:"repository"`
			Reason     string `json:"reason"`
		} `json:"skipped_repositories"`
	} `json:"images"`
}

type consumerJSON struct {
	Repository string `json:"repository"`
	Path       string `json:"path"`
	Line       int    `json:"line"`
	Reference  string `json:"reference"`
	State      string `json:"state"`
	Reason     string `json:"reason"`
	OptOut     string `json:"opt_out"`
}

// validate checks data against one of the report's schemas.
func validate(t *testing.T, schema string, data []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for name, s := range map[string][]byte{"report.schema.json": report.Schema, "totals.schema.json": report.TotalsSchema} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(s))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource("https://github.com/dfiu/dfiu/internal/report/"+name, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("https://github.com/dfiu/dfiu/internal/report/" + schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", schema, err, data)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s: %v", schema, err)
	}
}

// reportHarness is the demo organisation with one more repository whose
// Dockerfile cannot be read (it is binary).
func reportHarness(t *testing.T, hostile bool) *harness {
	t.Helper()
	h := newHarness(t)
	if hostile {
		h = newHostileHarness(t)
	}
	if err := h.srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: demo.Org + "/blob",
		Files: map[string]string{"Dockerfile": "FROM " + demo.Image + ":1.2\n\x00\x01\x02"}}}}); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestReportMode runs report mode as the action on the demo organisation:
// nothing is written, every state appears where the demo puts it, the
// opt-outs (comment and exclude-repos) are listed with file and line, the
// open pull requests with age, CI and mergeability, the adoption is
// counted, and the file and the output validate against their schemas.
func TestReportMode(t *testing.T) {
	t.Parallel()
	h := reportHarness(t, false)
	file := filepath.Join(t.TempDir(), "report.json")
	before := h.srv.Stats().Writes
	deps := fast()
	r := h.exec(nil, h.actionEnv(map[string]string{"mode": "report", "image": demo.Image, "tag": demo.NewTag,
		"exclude-repos": demo.Exclude, "report-file": file}), true, deps)
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.srv.Stats().Writes - before; w != 0 {
		t.Errorf("report mode made %d writes, want none", w)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "report.schema.json", data)
	validate(t, "totals.schema.json", []byte(r.outputs["report"]))
	if r.outputs["report-file"] != file {
		t.Errorf("report-file output = %q, want %q", r.outputs["report-file"], file)
	}
	var rep reportJSON
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Images) != 1 || rep.Images[0].Image != demo.Image || rep.Images[0].Tag != demo.NewTag {
		t.Fatalf("images = %+v", rep.Images)
	}
	img := rep.Images[0]
	state := map[string]string{} // repository/path:line → state
	for _, c := range img.Consumers {
		state[strings.TrimPrefix(c.Repository, "acme/")+"/"+c.Path] = c.State
	}
	for where, want := range map[string]string{
		"current/Dockerfile":                        "current",
		"rebuilt/Dockerfile":                        "current",
		"api/Dockerfile":                            "behind",
		"worker/Dockerfile":                         "behind",
		"services/services/billing/Dockerfile.prod": "behind",
		"floating/compose.yaml":                     "floating",
		"pinned/Dockerfile":                         "pinned-by-digest",
		"optout/Dockerfile":                         "opted-out",
		"legacy-billing/Dockerfile":                 "opted-out",
		"edge/Dockerfile":                           "refused-downgrade",
		"alpine/Dockerfile":                         "other-variant",
		"blob/Dockerfile":                           "unreadable",
	} {
		if got := state[where]; got != want {
			t.Errorf("%s: state %q, want %q", where, got, want)
		}
	}
	for _, s := range []string{"archive", "api-fork", "docs"} {
		for k := range state {
			if strings.HasPrefix(k, s+"/") {
				t.Errorf("%s is reported as a consumer", k)
			}
		}
	}
	skipped := map[string]string{}
	for _, s := range img.Skipped {
		skipped[s.Repository] = s.Reason
	}
	if !strings.Contains(skipped["acme/archive"], "archived") || !strings.Contains(skipped["acme/api-fork"], "fork") {
		t.Errorf("skipped repositories = %v", skipped)
	}

	opt := map[string]consumerJSON{}
	for _, c := range img.OptOuts {
		opt[c.Repository] = c
	}
	if c := opt["acme/optout"]; len(img.OptOuts) != 2 || c.Path != "Dockerfile" || c.Line != 2 || c.OptOut != "comment" || !strings.Contains(c.Reason, "no-dfiu") {
		t.Errorf("opt-outs = %+v", img.OptOuts)
	}
	if c := opt["acme/legacy-billing"]; c.Path != "Dockerfile" || c.Line != 1 || c.OptOut != "exclude-repos" || !strings.Contains(c.Reason, demo.Exclude) {
		t.Errorf("exclude-repos opt-out = %+v", c)
	}

	// supersede holds dfiu's older pull request; handmade a person's on
	// dfiu's branch. The simulator has no CI: GitHub's rollup is null.
	prs := map[string]int{}
	now := deps.Clock.Now()
	for _, p := range img.PRs {
		prs[p.Repository] = p.Number
		if p.CI != "none" || p.Mergeable != "mergeable" || p.OpenedAt.IsZero() || p.AgeDays != int(now.Sub(p.OpenedAt).Hours()/24) {
			t.Errorf("pull request %+v (now %v)", p, now)
		}
	}
	if len(prs) != 2 || prs["acme/supersede"] == 0 || prs["acme/handmade"] == 0 {
		t.Errorf("pull requests = %+v", img.PRs)
	}

	// 19 repositories reference the image (blob's file is unread);
	// acme/current and acme/rebuilt (pinned by digest, at 1.3) are on
	// 1.3. services has three files.
	a := img.Adoption
	if a.Repositories != 19 || a.CurrentRepositories != 2 || a.Files != 21 || a.CurrentFiles != 2 || a.Percent != 10.5 {
		t.Errorf("adoption = %+v", a)
	}
	var totals struct {
		Images []struct {
			Adoption struct{ Repositories int } `json:"adoption"`
		} `json:"images"`
		OptOuts      int `json:"opt_outs"`
		PullRequests int `json:"pull_requests"`
	}
	if err := json.Unmarshal([]byte(r.outputs["report"]), &totals); err != nil || totals.OptOuts != 2 || totals.PullRequests != 2 || totals.Images[0].Adoption.Repositories != 19 {
		t.Errorf("report output = %s (%v)", r.outputs["report"], err)
	}
	for _, want := range []string{"### `ghcr.io/acme/base` at `1.3`", "`█░░░░░░░░░` 10.5%", "2 of 19 repositories", "**Opt-outs:**", "| exclude-repos |", "**Open pull requests:**"} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	checkReportSummary(t, r.summary)
}

// TestReportModeStore reports on every image of the store, on the command
// line, at the store's tags.
func TestReportModeStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "r.json")
	before := h.srv.Stats().Writes
	r := h.exec([]string{"report", "--store", demo.Store, "--orgs", demo.Org, "--report-file", file,
		"--github-api-url", h.url, "--github-graphql-url", h.url + "/graphql"}, map[string]string{"GITHUB_TOKEN": testToken}, false, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.srv.Stats().Writes - before; w != 0 {
		t.Errorf("%d writes", w)
	}
	for _, want := range []string{"ghcr.io/acme/base at 1.2", "node at 22", "full report: " + file} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "report.schema.json", data)
	var rep reportJSON
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Images) != 2 {
		t.Fatalf("%v: %s", err, data)
	}
	// At 1.2, acme/api is current and acme/current (1.3) is ahead.
	for _, c := range rep.Images[0].Consumers {
		if c.Repository == "acme/api" && c.State != "current" || c.Repository == "acme/current" && c.State != "refused-downgrade" {
			t.Errorf("%+v", c)
		}
	}
}

// TestReportModeHostileNames runs report mode on the demo's hostile twin:
// no line of the log starts a workflow command dfiu did not issue, and the
// summary keeps its structure.
func TestReportModeHostileNames(t *testing.T) {
	t.Parallel()
	h := reportHarness(t, true)
	file := filepath.Join(t.TempDir(), "report.json")
	r := h.exec(nil, h.actionEnv(map[string]string{"mode": "report", "store": demo.Store, "exclude-repos": demo.Exclude, "report-file": file}), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkNoInjectedCommand(t, "stdout", r.stdout)
	checkNoInjectedCommand(t, "stderr", r.stderr)
	checkReportSummary(t, r.summary)
	if !strings.Contains(r.summary, "INJECTED") {
		t.Error("the hostile names appear nowhere in the summary")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "report.schema.json", data)
}

// checkReportSummary parses the report's summary as GitHub does and fails
// on structure dfiu does not write: HTML, images, links outside the pull
// request column, headings other than its own, table rows whose cells
// moved.
func checkReportSummary(t *testing.T, summary string) {
	t.Helper()
	src := []byte(summary)
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	bad := func(n ast.Node, why string) { t.Errorf("summary: %s: %q\n%s", why, plainText(n, src), summary) }
	states := map[string]bool{}
	for _, s := range []string{"current", "behind", "floating", "pinned-by-digest", "opted-out", "refused-downgrade", "other-variant", "unreadable", "held"} {
		states[s] = true
	}
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			codes := 0
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if c.Kind() == ast.KindCodeSpan {
					codes++
				}
			}
			if !(n.Level == 2 && plainText(n, src) == "dfiu report") && !(n.Level == 3 && codes == 2) {
				bad(n, "a heading dfiu did not write")
			}
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock, *ast.RawHTML, *ast.Image, *ast.AutoLink, *east.Strikethrough, *east.TaskCheckBox:
			bad(n, "markup dfiu does not write: "+n.Kind().String())
		case *ast.Link:
			if n.Parent().Kind() != east.KindTableCell {
				bad(n, "a link outside a table")
			}
		case *east.Table:
			head := n.FirstChild()
			var cols []string
			for c := head.FirstChild(); c != nil; c = c.NextSibling() {
				cols = append(cols, plainText(c, src))
			}
			for row := head.NextSibling(); row != nil; row = row.NextSibling() {
				var cells []ast.Node
				for c := row.FirstChild(); c != nil; c = c.NextSibling() {
					cells = append(cells, c)
				}
				if len(cells) != len(cols) {
					bad(row, "a table row whose cells moved")
					continue
				}
				if cols[4] == "State" && !states[plainText(cells[4], src)] {
					bad(row, "a State cell that is not a state")
				}
				if cols[1] == "File" {
					for c := cells[1].FirstChild(); c != nil; c = c.NextSibling() {
						if c.Kind() != ast.KindCodeSpan {
							bad(cells[1], "a File cell holds more than a code span")
						}
					}
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
}
