package update

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dfiu/dfiu/internal/imageref"
)

// FuzzTemplates parses any pr-title, pr-body and commit-message and
// renders them for any image and tag: an error names one of the three
// inputs, and what renders is what GitHub accepts (a title on one line,
// neither empty nor over MaxTitle characters, a body within MaxBody, a
// headline that is not empty).
func FuzzTemplates(f *testing.F) {
	f.Add(DefaultPRTitle, DefaultPRBody, DefaultCommitMessage, "ghcr.io/acme/base", "1.3", "acme/svc")
	f.Add("{{.Digest}}", "", "{{if .Digest}}x{{end}}", "ubuntu", "24.04", "a/b")
	f.Add("{{range .Files}}{{.}}\n{{end}}", "{{join .From \", \"}}", "{{.Ref}}\n\n{{.Branch}}", "node", "22", "x/y")
	f.Add("{{.Nope}}", "{{", "{{template \"x\"}}", "alpine", "3", "o/r")
	f.Fuzz(func(t *testing.T, title, body, commit, image, tag, repo string) {
		// A template can ask for any amount of output (printf widths,
		// nested ranges); the fuzzer looks for wrong answers, not for
		// expensive ones.
		for _, s := range []string{title, body, commit} {
			if len(s) > 1024 || strings.Contains(s, "printf") || strings.Count(s, "range") > 2 {
				return
			}
		}
		ts, err := NewTemplates(title, body, commit)
		if err != nil {
			checkTemplateError(t, err)
			return
		}
		name, err := imageref.Parse(image)
		if err != nil || !imageref.ValidTag(tag) {
			return
		}
		d := SampleData(Target{Image: name, Tag: tag}, "dfiu")
		d.Repository = repo
		gotTitle, gotBody, msg, err := ts.Render(d)
		if err != nil {
			checkTemplateError(t, err)
			return
		}
		if n := utf8.RuneCountInString(gotTitle); n == 0 || n > MaxTitle || strings.ContainsAny(gotTitle, "\r\n") {
			t.Fatalf("title %q accepted", gotTitle)
		}
		if utf8.RuneCountInString(gotBody) > MaxBody {
			t.Fatalf("body of %d characters accepted", utf8.RuneCountInString(gotBody))
		}
		if msg.Headline == "" || strings.Contains(msg.Headline, "\n") {
			t.Fatalf("headline %q accepted", msg.Headline)
		}
	})
}

func checkTemplateError(t *testing.T, err error) {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var te *TemplateError
		if !errors.As(e, &te) || (te.Input != "pr-title" && te.Input != "pr-body" && te.Input != "commit-message") {
			t.Fatalf("error %v does not name a template input", e)
		}
	}
}
