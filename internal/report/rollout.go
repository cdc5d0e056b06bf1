package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/dfiu/dfiu/internal/safe"
	"github.com/dfiu/dfiu/internal/update"
)

// Schema is the JSON Schema of the report file (RolloutJSON).
//
//go:embed report.schema.json
var Schema []byte

// TotalsSchema is the JSON Schema of the report output (RolloutTotals).
//
//go:embed totals.schema.json
var TotalsSchema []byte

// MaxRows is how many rows a table of the report mode's summary shows; the
// rest are counted and left to the report file.
const MaxRows = 50

// reportFile is the report file's JSON.
type reportFile struct {
	Version int                    `json:"version"`
	Images  []*update.ImageRollout `json:"images"`
}

// RolloutJSON returns the full report, as written to report-file.
func RolloutJSON(ro *update.Rollout) ([]byte, error) {
	b, err := json.MarshalIndent(reportFile{Version: 1, Images: ro.Images}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the report: %w", err)
	}
	return append(b, '\n'), nil
}

type imageTotals struct {
	Image        string               `json:"image"`
	Tag          string               `json:"tag"`
	Error        string               `json:"error,omitempty"`
	Adoption     update.Adoption      `json:"adoption"`
	States       map[update.State]int `json:"states"`
	OptOuts      int                  `json:"opt_outs"`
	PullRequests int                  `json:"pull_requests"`
}

type rolloutTotals struct {
	Images       []imageTotals        `json:"images"`
	States       map[update.State]int `json:"states"`
	OptOuts      int                  `json:"opt_outs"`
	PullRequests int                  `json:"pull_requests"`
}

// RolloutTotals returns the report output: per image its adoption, its
// references by state and its counts of opt-outs and open pull requests,
// and the same counts over every image.
func RolloutTotals(ro *update.Rollout) ([]byte, error) {
	t := rolloutTotals{Images: []imageTotals{}, States: map[update.State]int{}}
	for _, ir := range ro.Images {
		t.Images = append(t.Images, imageTotals{Image: ir.Image, Tag: ir.Tag, Error: ir.Error, Adoption: ir.Adoption,
			States: ir.States, OptOuts: len(ir.OptOuts), PullRequests: len(ir.PullRequests)})
		for s, n := range ir.States {
			t.States[s] += n
		}
		t.OptOuts += len(ir.OptOuts)
		t.PullRequests += len(ir.PullRequests)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encoding the report totals: %w", err)
	}
	return b, nil
}

// Bar draws percent as a text bar of ten cells.
func Bar(percent float64) string {
	full := int(percent/10 + 0.5)
	full = max(0, min(10, full))
	return strings.Repeat("█", full) + strings.Repeat("░", 10-full)
}

// RolloutMarkdown returns the report mode's job summary: per image its
// adoption with a bar, its references by state, a table of the references
// (the first MaxRows; the rest are in reportFile), dfiu's open pull
// requests, the opt-outs and the repositories left out. Every value from a
// repository or the store is neutralised.
func RolloutMarkdown(ro *update.Rollout, reportFile string) string {
	var b strings.Builder
	b.WriteString("## dfiu report\n\n")
	if len(ro.Images) == 0 {
		b.WriteString("The store holds no images.\n")
	}
	more := func(n int, what string) {
		if n > MaxRows {
			fmt.Fprintf(&b, "\n…and %d more %s: see %s.\n", n-MaxRows, what, safe.Code(reportFile))
		}
	}
	for _, ir := range ro.Images {
		fmt.Fprintf(&b, "### %s at %s\n\n", safe.Code(ir.Image), safe.Code(ir.Tag))
		if ir.Error != "" {
			fmt.Fprintf(&b, "> [!CAUTION]\n> %s\n\n", cell(ir.Error))
			continue
		}
		if !ir.Complete {
			b.WriteString("> [!WARNING]\n> Coverage is incomplete: some files may not have been seen.\n")
			for _, n := range ir.Notes {
				fmt.Fprintf(&b, "> - %s\n", safe.Markdown(n))
			}
			b.WriteString("\n")
		}
		a := ir.Adoption
		fmt.Fprintf(&b, "**Adoption:** `%s` %.1f%%: %d of %d repositories and %d of %d files are on %s.\n\n",
			Bar(a.Percent), a.Percent, a.CurrentRepositories, a.Repositories, a.CurrentFiles, a.Files, safe.Code(ir.Tag))
		fmt.Fprintf(&b, "**References:** %s.\n\n", stateCounts(ir.States))
		if len(ir.Consumers) > 0 {
			b.WriteString("| Repository | File | Line | Reference | State | Reason |\n| --- | --- | --- | --- | --- | --- |\n")
			for i, c := range ir.Consumers {
				if i == MaxRows {
					break
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(c.Repository), safe.Cell(safe.Code(c.Path)), line(c.Line),
					code(c.Reference), string(c.State), cell(c.Reason))
			}
			more(len(ir.Consumers), "references")
			b.WriteString("\n")
		}
		if len(ir.PullRequests) > 0 {
			b.WriteString("**Open pull requests:**\n\n| Repository | Pull request | Age | CI | Mergeable |\n| --- | --- | --- | --- | --- |\n")
			for i, p := range ir.PullRequests {
				if i == MaxRows {
					break
				}
				fmt.Fprintf(&b, "| %s | [#%d](%s) | %s | %s | %s |\n", cell(p.Repository), p.Number, linkURL(p.URL), days(p.AgeDays), cell(p.CI), cell(p.Mergeable))
			}
			more(len(ir.PullRequests), "pull requests")
			b.WriteString("\n")
		}
		if len(ir.OptOuts) > 0 {
			b.WriteString("**Opt-outs:**\n\n| Repository | File | Line | Reference | By | Reason |\n| --- | --- | --- | --- | --- | --- |\n")
			for i, c := range ir.OptOuts {
				if i == MaxRows {
					break
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(c.Repository), safe.Cell(safe.Code(c.Path)), line(c.Line),
					code(c.Reference), c.OptOut, cell(c.Reason))
			}
			more(len(ir.OptOuts), "opt-outs")
			b.WriteString("\n")
		}
		if len(ir.Skipped) > 0 {
			b.WriteString("**Not reported:**\n\n")
			for _, s := range ir.Skipped {
				fmt.Fprintf(&b, "- %s: %s\n", safe.Code(s.Repository), safe.Markdown(s.Reason))
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "The full report is in %s.\n", safe.Code(reportFile))
	return b.String()
}

// RolloutText returns the report for a terminal: the same content as
// RolloutMarkdown, every table in full, every value neutralised.
func RolloutText(ro *update.Rollout, reportFile string) string {
	var b strings.Builder
	b.WriteString("dfiu report\n")
	for _, ir := range ro.Images {
		fmt.Fprintf(&b, "\n%s at %s\n", safe.Text(ir.Image), safe.Text(ir.Tag))
		if ir.Error != "" {
			fmt.Fprintf(&b, "  ERROR: %s\n", safe.Text(ir.Error))
			continue
		}
		if !ir.Complete {
			fmt.Fprintln(&b, "  WARNING: coverage is incomplete:")
			for _, n := range ir.Notes {
				fmt.Fprintf(&b, "    %s\n", safe.Text(n))
			}
		}
		a := ir.Adoption
		fmt.Fprintf(&b, "  adoption: %s %.1f%%: %d of %d repositories, %d of %d files\n", Bar(a.Percent), a.Percent,
			a.CurrentRepositories, a.Repositories, a.CurrentFiles, a.Files)
		fmt.Fprintf(&b, "  references: %s\n", stateCounts(ir.States))
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		if len(ir.Consumers) > 0 {
			fmt.Fprintln(tw, "  REPOSITORY\tFILE\tLINE\tREFERENCE\tSTATE\tREASON")
			for _, c := range ir.Consumers {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", safe.Text(c.Repository), safe.Text(c.Path), line(c.Line),
					safe.Text(c.Reference), c.State, safe.Text(oneLine(c.Reason)))
			}
		}
		tw.Flush()
		for _, p := range ir.PullRequests {
			fmt.Fprintf(&b, "  pull request: %s #%d %s, %s old, CI %s, %s\n", safe.Text(p.Repository), p.Number, safe.Text(p.URL),
				days(p.AgeDays), safe.Text(p.CI), safe.Text(p.Mergeable))
		}
		for _, c := range ir.OptOuts {
			fmt.Fprintf(&b, "  opt-out (%s): %s %s:%s %s\n", c.OptOut, safe.Text(c.Repository), safe.Text(c.Path), line(c.Line), safe.Text(oneLine(c.Reason)))
		}
		for _, s := range ir.Skipped {
			fmt.Fprintf(&b, "  not reported: %s: %s\n", safe.Text(s.Repository), safe.Text(oneLine(s.Reason)))
		}
	}
	if reportFile != "" {
		fmt.Fprintf(&b, "\nfull report: %s\n", safe.Text(reportFile))
	}
	return b.String()
}

func stateCounts(m map[update.State]int) string {
	var parts []string
	for _, s := range update.States {
		if n := m[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "none found"
	}
	return strings.Join(parts, ", ")
}

func line(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return safe.Cell(safe.Code(s))
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
