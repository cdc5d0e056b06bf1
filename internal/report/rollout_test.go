package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/update"
)

func TestBar(t *testing.T) {
	t.Parallel()
	for p, want := range map[float64]string{0: "░░░░░░░░░░", 4.9: "░░░░░░░░░░", 5.3: "█░░░░░░░░░", 50: "█████░░░░░", 100: "██████████"} {
		if got := Bar(p); got != want {
			t.Errorf("Bar(%v) = %s, want %s", p, got, want)
		}
	}
}

// TestRolloutMarkdownLongList shows the first MaxRows references and
// points to the report file for the rest.
func TestRolloutMarkdownLongList(t *testing.T) {
	t.Parallel()
	ir := &update.ImageRollout{Image: "acme/base", Tag: "1.3", Complete: true, States: map[update.State]int{update.StateBehind: MaxRows + 7}}
	for i := range MaxRows + 7 {
		ir.Consumers = append(ir.Consumers, update.Consumer{Repository: fmt.Sprintf("acme/r%03d", i), Path: "Dockerfile", Line: 1, Reference: "acme/base:1.2", State: update.StateBehind})
	}
	md := RolloutMarkdown(&update.Rollout{Images: []*update.ImageRollout{ir}}, "out/report.json")
	if n := strings.Count(md, "| behind |"); n != MaxRows {
		t.Errorf("%d rows, want %d", n, MaxRows)
	}
	if !strings.Contains(md, "…and 7 more references: see `out/report.json`.") || strings.Contains(md, "acme/r050") {
		t.Errorf("summary:\n%s", md)
	}
	if txt := RolloutText(&update.Rollout{Images: []*update.ImageRollout{ir}}, "r.json"); !strings.Contains(txt, "acme/r056") {
		t.Error("the text report is not complete")
	}
}

// TestRolloutAnnotations warns of an image whose discovery was incomplete.
func TestRolloutAnnotations(t *testing.T) {
	t.Parallel()
	rep := &update.Report{Mode: "report", Rollout: &update.Rollout{Images: []*update.ImageRollout{
		{Image: "acme/base", Complete: true},
		{Image: "acme/other", Notes: []string{"search capped\n::error::x"}},
	}}}
	a := Annotations(rep)
	if len(a) != 1 || !strings.Contains(a[0].Title, "acme/other") || strings.Contains(a[0].Message, "\n::") {
		t.Errorf("annotations = %+v", a)
	}
}
