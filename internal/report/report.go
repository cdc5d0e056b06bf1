// Package report renders a run's outcome: the action outputs, the job
// summary (Markdown), a plain-text summary for terminals, and the
// annotations that ask a person to look at something.
package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dfiu/dfiu/internal/safe"
	"github.com/dfiu/dfiu/internal/update"
)

// Outputs returns the action outputs by name: pull-requests (a JSON array),
// changed-count, skipped-count, failed-count, deferred-count, report (report
// mode's totals, RolloutTotals) and report-file (empty), the names
// config.Outputs declares (a test ties them).
func Outputs(rep *update.Report) (map[string]string, error) {
	prs, err := json.Marshal(rep.Results())
	if err != nil {
		return nil, fmt.Errorf("encoding pull-requests: %w", err)
	}
	changed, skipped, failed := rep.Counts()
	var totals []byte
	if rep.Rollout != nil {
		if totals, err = RolloutTotals(rep.Rollout); err != nil {
			return nil, err
		}
	}
	return map[string]string{
		"pull-requests":  string(prs),
		"changed-count":  strconv.Itoa(changed),
		"skipped-count":  strconv.Itoa(skipped),
		"failed-count":   strconv.Itoa(failed),
		"deferred-count": strconv.Itoa(rep.Deferred()),
		"report":         string(totals),
		// The command writes the report file and fills in its path.
		"report-file": "",
	}, nil
}

// Annotation is a warning for the workflow run's annotations.
type Annotation struct {
	Title   string
	Message string
}

// Annotations returns one warning per problem that needs a person: a
// reference pinned by digest or invalid, no push permission, a branch with
// someone else's commits, incomplete search coverage. Titles and messages
// are neutralised (safe.Text).
func Annotations(rep *update.Report) []Annotation {
	var out []Annotation
	add := func(title, msg string) {
		out = append(out, Annotation{Title: safe.Text(title), Message: safe.Text(msg)})
	}
	for _, img := range rep.Images {
		for _, res := range img.Results {
			for _, w := range res.Warnings {
				add("dfiu: "+img.Image, w)
			}
		}
		if !img.Complete {
			add("dfiu: incomplete coverage for "+img.Image, strings.Join(img.Notes, "; "))
		}
	}
	if rep.Rollout != nil {
		for _, ir := range rep.Rollout.Images {
			if !ir.Complete && ir.Error == "" {
				add("dfiu: incomplete coverage for "+ir.Image, strings.Join(ir.Notes, "; "))
			}
		}
	}
	return out
}

// Markdown returns the job summary: a table per image (repository, files,
// from → to, pull request, status, reason), the totals and the adoption.
// Every value from a repository or the store is neutralised: names as
// code spans (safe.Code), text escaped (safe.Markdown), so that none can
// add Markdown or HTML or break the structure.
func Markdown(rep *update.Report) string {
	var b strings.Builder
	title := "dfiu " + rep.Mode
	if rep.DryRun {
		title += " (dry run: nothing was changed)"
	}
	fmt.Fprintf(&b, "## %s\n\n", title)
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "- %s\n", safe.Markdown(n))
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n")
	}
	for _, img := range rep.Images {
		fmt.Fprintf(&b, "### %s → %s\n\n", safe.Code(img.Image), safe.Code(img.Tag))
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
		if len(img.Results) == 0 {
			b.WriteString("No repository uses this image.\n\n")
		} else {
			b.WriteString("| Repository | Files | From → To | Pull request | Status | Reason |\n")
			b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
			for _, r := range img.Results {
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
		cur, all := img.Adoption()
		fmt.Fprintf(&b, "**Adoption:** %s\n\n", adoption(safe.Code(img.Image), safe.Code(img.Tag), cur, all))
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
	for _, img := range rep.Images {
		fmt.Fprintf(&b, "\n%s -> %s\n", safe.Text(img.Image), safe.Text(img.Tag))
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
		cur, all := img.Adoption()
		fmt.Fprintf(&b, "  adoption: %s\n", adoption(safe.Text(img.Image), safe.Text(img.Tag), cur, all))
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

// adoption says how many consumers are current; image and tag come
// neutralised for the output they go to.
func adoption(image, tag string, cur, all int) string {
	if all == 0 {
		return fmt.Sprintf("no repository found uses %s.", image)
	}
	return fmt.Sprintf("%d of %d repositories using %s are on %s (%d%%).", cur, all, image, tag, cur*100/all)
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
