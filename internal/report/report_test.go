package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/config"
	"github.com/dfiu/dfiu/internal/update"
)

func sample() *update.Report {
	return &update.Report{Mode: "parent", Notes: []string{"recorded acme/base:1.3 in the store"}, Images: []*update.ImageReport{{
		Image: "acme/base", Tag: "1.3", Complete: false, Notes: []string{"query over the 1,000 cap"},
		Results: []update.Result{
			{Repository: "acme/a", Image: "acme/base", Number: 4, URL: "http://x/acme/a/pull/4", Action: update.Created, Files: []string{"Dockerfile", "compose.yaml"}, From: "1.2", To: "1.3", Uses: []update.Use{{Tag: "1.3"}}},
			{Repository: "acme/b", Image: "acme/base", Action: update.Unchanged, Files: []string{"Dockerfile"}, From: "", To: "1.3", Uses: []update.Use{{Tag: "1.3", Current: true}}},
			{Repository: "acme/c", Image: "acme/base", Action: update.Skipped, Files: []string{"Dockerfile"}, From: "", To: "1.3", Reason: "Dockerfile:1: pinned by digest | x", Uses: []update.Use{{Tag: "1.3"}},
				Warnings: []string{"acme/c: Dockerfile:1: pinned by digest"}},
			{Repository: "acme/d", Image: "acme/base", Action: update.Failed, Files: []string{}, To: "1.3", Reason: "422"},
		},
	}}}
}

func TestOutputs(t *testing.T) {
	t.Parallel()
	out, err := Outputs(sample(), "")
	if err != nil {
		t.Fatal(err)
	}
	if out["changed-count"] != "1" || out["skipped-count"] != "1" || out["failed-count"] != "1" {
		t.Errorf("counts = %v", out)
	}
	var prs []map[string]any
	if err := json.Unmarshal([]byte(out["pull-requests"]), &prs); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"repository": "acme/a", "image": "acme/base", "number": 4.0, "url": "http://x/acme/a/pull/4",
		"action": "created", "files": []any{"Dockerfile", "compose.yaml"}, "from": "1.2", "to": "1.3"}
	if diff := cmp.Diff(want, prs[0]); diff != "" {
		t.Errorf("pull-requests[0] (-want +got):\n%s", diff)
	}
	if len(prs) != 4 {
		t.Errorf("len = %d", len(prs))
	}
	var keys []string
	for k := range out {
		keys = append(keys, k)
	}
	var declared []string
	for _, o := range config.Outputs {
		declared = append(declared, o.Name)
	}
	if diff := cmp.Diff(sortStrings(declared), sortStrings(keys)); diff != "" {
		t.Errorf("outputs filled vs config.Outputs (-declared +filled):\n%s", diff)
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := Markdown(sample())
	for _, want := range []string{
		"### `acme/base` → `1.3`",
		"| Repository | Files | From → To | Pull request | Status | Reason |",
		"| acme/a | `Dockerfile`<br>`compose.yaml` | 1.2 → 1.3 | [#4](http://x/acme/a/pull/4) | created |  |",
		`pinned by digest \| x`,
		"Coverage is incomplete",
		"query over the 1,000 cap",
		"**Totals:** 1 created, 1 unchanged, 1 skipped, 1 failed.",
		"**Adoption:** 1 of 3 repositories using `acme/base` are on `1.3` (33%).",
		"recorded acme/base:1.3 in the store",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	txt := Text(sample())
	for _, want := range []string{"acme/base -> 1.3", "REPOSITORY", "http://x/acme/a/pull/4", "1.2 -> 1.3", "adoption: 1 of 3", "WARNING: coverage is incomplete"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
}

func TestAnnotations(t *testing.T) {
	t.Parallel()
	as := Annotations(sample())
	if len(as) != 3 || as[0].Error || !strings.Contains(as[0].Message, "pinned by digest") ||
		!as[1].Error || as[1].Message != "acme/d: acme/base not updated to 1.3: 422" || !strings.Contains(as[1].Title, "acme/d") ||
		as[2].Error || !strings.Contains(as[2].Title, "incomplete") {
		t.Errorf("annotations = %+v", as)
	}
}

// TestDeferredIsReported: a repository left for the next run by the
// time-budget is counted in deferred-count (not failed-count), listed as
// deferred in pull-requests, and in the summary's totals.
func TestDeferredIsReported(t *testing.T) {
	t.Parallel()
	rep := sample()
	rep.Images[0].Results = append(rep.Images[0].Results, update.Result{Repository: "acme/e", Image: "acme/base", Action: update.Deferred,
		Files: []string{"Dockerfile"}, From: "1.2", To: "1.3", Reason: "time-budget reached before this repository's writes; left for the next run"})
	out, err := Outputs(rep, "")
	if err != nil {
		t.Fatal(err)
	}
	if out["deferred-count"] != "1" || out["failed-count"] != "1" {
		t.Errorf("deferred-count %q failed-count %q, want 1 and 1", out["deferred-count"], out["failed-count"])
	}
	if !strings.Contains(out["pull-requests"], `"repository":"acme/e","image":"acme/base","action":"deferred"`) {
		t.Errorf("pull-requests lacks acme/e as deferred: %s", out["pull-requests"])
	}
	if md := Markdown(rep); !strings.Contains(md, "**Totals:** 1 created, 1 unchanged, 1 skipped, 1 deferred, 1 failed.") ||
		!strings.Contains(md, "| acme/e | `Dockerfile` | 1.2 → 1.3 |  | deferred |") {
		t.Errorf("summary does not show the deferred repository:\n%s", md)
	}
	if txt := Text(rep); !strings.Contains(txt, "1 deferred") {
		t.Errorf("text lacks the deferred total:\n%s", txt)
	}
}

// TestAdoptionPerLineage: each lineage has its own figure, and a
// repository counts only for the lineages it uses.
func TestAdoptionPerLineage(t *testing.T) {
	t.Parallel()
	rep := &update.Report{Mode: "all", Images: []*update.ImageReport{{
		Image: "node", Tag: "22", Also: []string{"22-alpine", "22-slim"}, Complete: true,
		Results: []update.Result{
			{Repository: "acme/a", Image: "node", Action: update.Created, To: "22, 22-alpine", Uses: []update.Use{{Tag: "22"}, {Tag: "22-alpine", Current: true}}},
			{Repository: "acme/b", Image: "node", Action: update.Unchanged, To: "22", Uses: []update.Use{{Tag: "22", Current: true}}},
			{Repository: "acme/c", Image: "node", Action: update.Skipped, To: "22", Reason: "floating tag"},
		},
	}}}
	md := Markdown(rep)
	for _, want := range []string{
		"### `node` → `22`, `22-alpine`, `22-slim`",
		"**Adoption:** 1 of 2 repositories using `node` are on `22` (50%); 1 of 1 using the lineage of `22-alpine` are on it (100%); none uses the lineage of `22-slim`.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	if text := Text(rep); !strings.Contains(text, "node -> 22, 22-alpine, 22-slim\n") {
		t.Errorf("text lacks the lineages' tags:\n%s", text)
	}
}

func TestCoverage(t *testing.T) {
	t.Parallel()
	rep := sample()
	rep.Coverage = []*update.OrgCoverage{{Org: "acme", Method: "scan", Listed: 3, Scanned: 2, Unchanged: 1,
		NotScanned: map[string]int{"archived": 1}, FilesRead: 4, FilesSkipped: map[string]int{"too large": 1},
		Unseen: []string{"acme/x: a|b/Dockerfile not read: too large (2000000 bytes)", "acme/y: \n::error::pwn/Dockerfile not read"}, Complete: false}}
	out, err := Outputs(rep, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out["coverage"]), &got); err != nil || len(got) != 1 || got[0]["complete"] != false ||
		got[0]["repositories_listed"] != 3.0 || got[0]["files_skipped"].(map[string]any)["too large"] != 1.0 {
		t.Errorf("coverage output = %s (%v)", out["coverage"], err)
	}
	md := Markdown(rep)
	if !strings.Contains(md, "acme by scan, incomplete: 3 repositories listed, 2 trees read, 1 unchanged since the last scan, 1 not scanned (archived), 4 files read, 1 files skipped (too large).") ||
		!strings.Contains(md, `- Not seen in acme: acme/x: a\|b/Dockerfile`) {
		t.Errorf("summary has no coverage:\n%s", md)
	}
	if a := Annotations(rep); len(a) == 0 || !strings.Contains(a[len(a)-1].Title, "scan of acme") {
		t.Errorf("annotations = %+v, want the incomplete scan", a)
	}
	for name, text := range map[string]string{"markdown": md, "text": Text(rep), "annotation": Annotations(rep)[len(Annotations(rep))-1].Message} {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") {
				t.Errorf("%s: a path from a repository became a workflow command: %q", name, line)
			}
		}
	}
	if out, _ := Outputs(sample(), ""); out["coverage"] != "[]" {
		t.Errorf("coverage without discovery = %s, want []", out["coverage"])
	}
}

// TestSizeLimits: at 20,000 results the pull-requests output and the
// summary stay within their budgets, the failed and changed results are
// kept first, and the full report holds everything.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	img := &update.ImageReport{Image: "ubuntu", Tag: "24.04", Complete: true}
	for i := range 20000 {
		r := update.Result{Repository: fmt.Sprintf("acme/repository-with-a-long-name-%05d", i), Image: "ubuntu", Action: update.Unchanged,
			Files: []string{"services/some/deep/path/Dockerfile"}, From: "22.04", To: "24.04", Reason: "pull request is up to date"}
		switch {
		case i%1000 == 7:
			r.Action, r.Reason = update.Failed, "boom"
		case i%100 == 3:
			r.Action, r.Number, r.URL = update.Created, i, fmt.Sprintf("https://github.com/acme/r%d/pull/%d", i, i)
		}
		img.Results = append(img.Results, r)
	}
	rep := &update.Report{Mode: "all", Images: []*update.ImageReport{img}}
	out, err := Outputs(rep, "/tmp/r.json")
	if err != nil {
		t.Fatal(err)
	}
	var kept []update.Result
	if err := json.Unmarshal([]byte(out["pull-requests"]), &kept); err != nil {
		t.Fatal(err)
	}
	if n := len(out["pull-requests"]); n > OutputBudget {
		t.Errorf("pull-requests is %d bytes, over %d", n, OutputBudget)
	}
	counts := map[update.Action]int{}
	for _, r := range kept {
		counts[r.Action]++
	}
	if counts[update.Failed] != 20 || counts[update.Created] != 200 || len(kept) >= 20000 {
		t.Errorf("kept %d results (%v), want every failed and created one and not all", len(kept), counts)
	}
	if out["report-file"] != "/tmp/r.json" || out["failed-count"] != "20" {
		t.Errorf("report-file %q, failed-count %q", out["report-file"], out["failed-count"])
	}
	md := Markdown(rep)
	if len(md) > SummaryBudget || !strings.Contains(md, "lists only the changed, deferred and failed") || !strings.Contains(md, "leaves out") {
		t.Errorf("summary is %d bytes (budget %d), shortened: %v", len(md), SummaryBudget, strings.Contains(md, "lists only"))
	}
	full, err := FullReport(rep)
	if err != nil {
		t.Fatal(err)
	}
	var all struct {
		PullRequests []update.Result `json:"pull_requests"`
	}
	if err := json.Unmarshal(full, &all); err != nil || len(all.PullRequests) != 20000 {
		t.Errorf("full report holds %d results, %v", len(all.PullRequests), err)
	}
}
