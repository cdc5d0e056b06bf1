// Package report renders a run's outcome: the action outputs, the job
// summary (Markdown), a plain-text summary for terminals, and the
// annotations that ask a person to look at something.
package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dfiu/dfiu/internal/safe"
	"github.com/dfiu/dfiu/internal/update"
)

// GitHub's size limits. A job's outputs share 1 MB, "approximated based
// on UTF-16 encoding" (github/docs data/reusables/actions/
// output-limitations.md), so an ASCII byte may count twice; a step summary
// over 1024k is refused whole ("$GITHUB_STEP_SUMMARY upload aborted,
// supports content up to a size of 1024k", as runs report it).
const (
	// OutputBudget bounds the pull-requests output: twice it, with the
	// other outputs, stays under 1 MB.
	OutputBudget = 400 << 10
	// SummaryBudget bounds the job summary.
	SummaryBudget = 900 << 10
)

// Outputs returns the action outputs by name: pull-requests (a JSON array),
// changed-count, skipped-count, failed-count, deferred-count, coverage (a
// JSON array) and report-file (reportFile, the path of the full report),
// the names config.Outputs declares (a test ties them). Past OutputBudget,
// pull-requests keeps the failed, then the changed, then the other results
// as far as they fit.
func Outputs(rep *update.Report, reportFile string) (map[string]string, error) {
	kept, _ := trimmed(rep)
	prs, err := json.Marshal(kept)
	if err != nil {
		return nil, fmt.Errorf("encoding pull-requests: %w", err)
	}
	covs := rep.Coverage
	if covs == nil {
		covs = []*update.OrgCoverage{}
	}
	cov, err := json.Marshal(covs)
	if err != nil {
		return nil, fmt.Errorf("encoding coverage: %w", err)
	}
	changed, skipped, failed := rep.Counts()
	var totals []byte
	if rep.Rollout != nil {
		if totals, err = RolloutTotals(rep.Rollout); err != nil {
			return nil, err
		}
	}
	return map[string]string{
		"coverage":       string(cov),
		"pull-requests":  string(prs),
		"changed-count":  strconv.Itoa(changed),
		"skipped-count":  strconv.Itoa(skipped),
		"failed-count":   strconv.Itoa(failed),
		"deferred-count": strconv.Itoa(rep.Deferred()),
		"report":         string(totals),
		"report-file":    reportFile,
	}, nil
}

// FullReport is the report file's content: every result and the coverage,
// whatever their size.
func FullReport(rep *update.Report) ([]byte, error) {
	covs := rep.Coverage
	if covs == nil {
		covs = []*update.OrgCoverage{}
	}
	b, err := json.MarshalIndent(struct {
		PullRequests []update.Result       `json:"pull_requests"`
		Coverage     []*update.OrgCoverage `json:"coverage"`
	}{rep.Results(), covs}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encoding the report: %w", err)
	}
	return append(b, '\n'), nil
}

// trimmed returns the results the pull-requests output holds and how many
// were left out to keep it within OutputBudget.
func trimmed(rep *update.Report) ([]update.Result, int) {
	all := rep.Results()
	size := 2
	sizes := make([]int, len(all))
	for i, r := range all {
		b, _ := json.Marshal(r)
		sizes[i] = len(b) + 1
		size += sizes[i]
	}
	if size <= OutputBudget {
		return all, 0
	}
	rank := func(a update.Action) int {
		switch {
		case a == update.Failed:
			return 0
		case a.Changed() || a == update.Deferred:
			return 1
		}
		return 2
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rank(all[order[i]].Action) < rank(all[order[j]].Action) })
	keep := make([]bool, len(all))
	size = 2
	for _, i := range order {
		if size+sizes[i] > OutputBudget {
			break
		}
		keep[i] = true
		size += sizes[i]
	}
	kept := []update.Result{}
	for i, r := range all {
		if keep[i] {
			kept = append(kept, r)
		}
	}
	return kept, len(all) - len(kept)
}

// Annotation is a warning, or an error, for the workflow run's
// annotations.
type Annotation struct {
	Error   bool // an error annotation: a repository failed
	Title   string
	Message string
}

// Annotations returns one error per failed repository, with its reason,
// and one warning per problem that needs a person: a reference pinned by
// digest or invalid, a branch with someone else's commits, incomplete
// search coverage. Titles and messages are neutralised (safe.Text).
func Annotations(rep *update.Report) []Annotation {
	var out []Annotation
	add := func(isErr bool, title, msg string) {
		out = append(out, Annotation{Error: isErr, Title: safe.Text(title), Message: safe.Text(msg)})
	}
	for _, img := range rep.Images {
		for _, res := range img.Results {
			if res.Action == update.Failed {
				add(true, "dfiu: "+res.Repository+" failed",
					fmt.Sprintf("%s: %s not updated to %s: %s", res.Repository, img.Image, res.To, res.Reason))
			}
			for _, w := range res.Warnings {
				add(false, "dfiu: "+img.Image, w)
			}
		}
		if !img.Complete {
			add(false, "dfiu: incomplete coverage for "+img.Image, strings.Join(img.Notes, "; "))
		}
	}
	for _, c := range rep.Coverage {
		if c.Method == "scan" && !c.Complete {
			add(false, "dfiu: the scan of "+c.Org+" could not see everything", strings.Join(c.Unseen, "; "))
		}
	}
	if rep.Rollout != nil {
		for _, ir := range rep.Rollout.Images {
			if !ir.Complete && ir.Error == "" {
				add(false, "dfiu: incomplete coverage for "+ir.Image, strings.Join(ir.Notes, "; "))
			}
		}
	}
	return out
}

// coverageLine is one org's coverage in a sentence.
func coverageLine(c *update.OrgCoverage) string {
	var parts []string
	if c.Method == "scan" {
		parts = append(parts, fmt.Sprintf("%d repositories listed, %d trees read, %d unchanged since the last scan", c.Listed, c.Scanned, c.Unchanged))
		for _, k := range slices.Sorted(maps.Keys(c.NotScanned)) {
			parts = append(parts, fmt.Sprintf("%d not scanned (%s)", c.NotScanned[k], k))
		}
	} else {
		parts = append(parts, fmt.Sprintf("%d repositories with search hits", c.Searched))
	}
	parts = append(parts, fmt.Sprintf("%d files read", c.FilesRead))
	for _, k := range slices.Sorted(maps.Keys(c.FilesSkipped)) {
		parts = append(parts, fmt.Sprintf("%d files skipped (%s)", c.FilesSkipped[k], k))
	}
	state := "complete"
	if !c.Complete {
		state = "incomplete"
	}
	return fmt.Sprintf("%s by %s, %s: %s.", c.Org, c.Method, state, strings.Join(parts, ", "))
}

// Markdown returns the job summary: a table per image (repository, files,
// from → to, pull request, status, reason), the totals and the adoption.
// Every value from a repository or the store is neutralised: names as
// code spans (safe.Code), text escaped (safe.Markdown), so that none can
// add Markdown or HTML or break the structure.
func Markdown(rep *update.Report) string {
	md := markdown(rep, func(update.Result) bool { return true }, "")
	if len(md) <= SummaryBudget {
		return md
	}
	md = markdown(rep, func(r update.Result) bool {
		return r.Action == update.Failed || r.Action == update.Deferred || r.Action.Changed()
	},
		"The summary lists only the changed, deferred and failed repositories, to stay within GitHub's 1 MiB; the report-file output names the full report.")
	if len(md) <= SummaryBudget {
		return md
	}
	return markdown(rep, func(update.Result) bool { return false },
		"The summary gives only the totals, to stay within GitHub's 1 MiB; the report-file output names the full report.")
}

// markdown writes the summary with the table rows row selects, and note
// as the first item when it is not empty.
func markdown(rep *update.Report, row func(update.Result) bool, note string) string {
	var b strings.Builder
	title := "dfiu " + rep.Mode
	if rep.DryRun {
		title += " (dry run: nothing was changed)"
	}
	fmt.Fprintf(&b, "## %s\n\n", title)
	if note != "" {
		fmt.Fprintf(&b, "- %s\n", note)
	}
	if _, left := trimmed(rep); left > 0 {
		fmt.Fprintf(&b, "- The pull-requests output leaves out %d results (unchanged and skipped first) to stay within GitHub's output limit; the report-file output names the full report.\n", left)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "- %s\n", safe.Markdown(n))
	}
	if len(rep.Notes) > 0 || note != "" {
		b.WriteString("\n")
	}
	// Coverage: one list item a line, like the notes (no heading: the
	// summary's level-3 headings are the images').
	for _, c := range rep.Coverage {
		fmt.Fprintf(&b, "- Coverage: %s\n", safe.Inline(oneLine(coverageLine(c))))
		for _, u := range c.Unseen {
			fmt.Fprintf(&b, "- Not seen in %s: %s\n", safe.Inline(c.Org), safe.Inline(oneLine(u)))
		}
	}
	if len(rep.Coverage) > 0 {
		b.WriteString("\n")
	}
	for _, img := range rep.Images {
		fmt.Fprintf(&b, "### %s → %s\n\n", safe.Code(img.Image), strings.Join(mapStrings(append([]string{img.Tag}, img.Also...), safe.Code), ", "))
		if img.Digest != "" {
			fmt.Fprintf(&b, "Digest: %s\n\n", safe.Code(img.Digest))
		}
		for _, n := range img.Notes {
			if img.Complete {
				fmt.Fprintf(&b, "- %s\n", cell(n))
			}
		}
		if img.Complete && len(img.Notes) > 0 {
			b.WriteString("\n")
		}
		if img.Error != "" {
			fmt.Fprintf(&b, "> [!CAUTION]\n> %s\n\n", cell(img.Error))
			continue
		}
		if !img.Complete {
			fmt.Fprintf(&b, "> [!WARNING]\n> Coverage is incomplete: some files may not have been seen.\n")
			for _, n := range img.Notes {
				fmt.Fprintf(&b, "> - %s\n", safe.Markdown(n))
			}
			b.WriteString("\n")
		}
		rows := 0
		for _, r := range img.Results {
			if row(r) {
				rows++
			}
		}
		if len(img.Results) == 0 {
			b.WriteString("No repository uses this image.\n\n")
		} else if rows > 0 {
			b.WriteString("| Repository | Files | From → To | Pull request | Status | Reason |\n")
			b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
			for _, r := range img.Results {
				if !row(r) {
					continue
				}
				pr := ""
				if r.URL != "" {
					pr = fmt.Sprintf("[#%d](%s)", r.Number, linkURL(r.URL))
				}
				files := make([]string, len(r.Files))
				for i, f := range r.Files {
					files[i] = safe.Cell(safe.Code(f))
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
					cell(r.Repository), strings.Join(files, "<br>"), cell(fromTo(r)), pr, cell(string(r.Action)), cell(r.Reason))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "**Totals:** %s.\n\n", totals(img.Results))
		fmt.Fprintf(&b, "**Adoption:** %s\n\n", adoption(img, safe.Code))
	}
	if len(rep.Images) > 1 {
		changed, skipped, failed := rep.Counts()
		fmt.Fprintf(&b, "**All images:** %d changed, %d skipped, %d failed", changed, skipped, failed)
		if n := rep.Deferred(); n > 0 {
			fmt.Fprintf(&b, ", %d deferred to the next run", n)
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// Text returns the summary for a terminal: the same content as Markdown,
// as aligned columns, every value neutralised (safe.Text).
func Text(rep *update.Report) string {
	var b strings.Builder
	title := "dfiu " + rep.Mode
	if rep.DryRun {
		title += " (dry run: nothing was changed)"
	}
	fmt.Fprintln(&b, title)
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "  %s\n", safe.Text(n))
	}
	for _, c := range rep.Coverage {
		fmt.Fprintf(&b, "  coverage: %s\n", safe.Text(oneLine(coverageLine(c))))
		for _, u := range c.Unseen {
			fmt.Fprintf(&b, "    not seen: %s\n", safe.Text(oneLine(u)))
		}
	}
	for _, img := range rep.Images {
		fmt.Fprintf(&b, "\n%s -> %s\n", safe.Text(img.Image), strings.Join(mapStrings(append([]string{img.Tag}, img.Also...), safe.Text), ", "))
		if img.Digest != "" {
			fmt.Fprintf(&b, "  digest: %s\n", safe.Text(img.Digest))
		}
		if img.Complete {
			for _, n := range img.Notes {
				fmt.Fprintf(&b, "  %s\n", safe.Text(n))
			}
		}
		if img.Error != "" {
			fmt.Fprintf(&b, "  ERROR: %s\n", safe.Text(img.Error))
			continue
		}
		if !img.Complete {
			fmt.Fprintln(&b, "  WARNING: coverage is incomplete:")
			for _, n := range img.Notes {
				fmt.Fprintf(&b, "    %s\n", safe.Text(n))
			}
		}
		if len(img.Results) == 0 {
			fmt.Fprintln(&b, "  no repository uses this image")
		} else {
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  REPOSITORY\tFILES\tFROM -> TO\tPR\tSTATUS\tREASON")
			for _, r := range img.Results {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", safe.Text(r.Repository), safe.Text(strings.Join(r.Files, ",")),
					safe.Text(strings.ReplaceAll(fromTo(r), "→", "->")), safe.Text(r.URL), r.Action, safe.Text(oneLine(r.Reason)))
			}
			tw.Flush()
		}
		fmt.Fprintf(&b, "  totals: %s\n", totals(img.Results))
		fmt.Fprintf(&b, "  adoption: %s\n", adoption(img, safe.Text))
	}
	return b.String()
}

// Diffs returns the diffs of the pull requests created or updated (or that
// would be, in a dry run), one block per repository and image, neutralised
// line by line (safe.Lines): paths and file contents cannot start a
// workflow command or a new log line.
func Diffs(rep *update.Report) string {
	var b strings.Builder
	for _, img := range rep.Images {
		for _, r := range img.Results {
			if len(r.Diffs) == 0 || !r.Action.Changed() {
				continue
			}
			fmt.Fprintf(&b, "# %s: %s -> %s (%s)\n", safe.Text(r.Repository), safe.Text(img.Image), safe.Text(r.To), r.Action)
			for _, d := range r.Diffs {
				b.WriteString(safe.Lines(d))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func fromTo(r update.Result) string {
	if r.From == "" {
		return r.To
	}
	return r.From + " → " + r.To
}

func totals(rs []update.Result) string {
	counts := map[update.Action]int{}
	for _, r := range rs {
		counts[r.Action]++
	}
	order := []update.Action{update.Created, update.Updated, update.WouldCreate, update.WouldUpdate, update.Unchanged, update.Skipped, update.Deferred, update.Failed}
	var parts []string
	for _, a := range order {
		if n := counts[a]; n > 0 || a == update.Failed {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

func mapStrings(ss []string, f func(string) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// adoption says, for each lineage, how many of the repositories that use
// it are on its new tag; show neutralises the image and the tags for the
// output they go to.
func adoption(img *update.ImageReport, show func(string) string) string {
	var parts []string
	for i, tag := range append([]string{img.Tag}, img.Also...) {
		cur, all := img.AdoptionOf(tag)
		switch {
		case all == 0 && len(img.Also) == 0:
			return fmt.Sprintf("no repository found uses %s.", show(img.Image))
		case all == 0:
			parts = append(parts, fmt.Sprintf("none uses the lineage of %s", show(tag)))
		case i == 0:
			parts = append(parts, fmt.Sprintf("%d of %d repositories using %s are on %s (%d%%)", cur, all, show(img.Image), show(tag), cur*100/all))
		default:
			parts = append(parts, fmt.Sprintf("%d of %d using the lineage of %s are on it (%d%%)", cur, all, show(tag), cur*100/all))
		}
	}
	return strings.Join(parts, "; ") + "."
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return safe.Inline(oneLine(s))
}

// linkURL makes a pull request's URL (GitHub's) safe as a link
// destination: no space, control character, parenthesis or angle bracket
// can end it or add markup.
func linkURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\\", "%5C", "`", "%60").Replace(safe.Text(u))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
