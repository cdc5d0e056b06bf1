package update

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// Default templates.
const (
	DefaultPRTitle       = "Bump {{.Image}} to {{.Tag}}"
	DefaultPRBody        = "This pull request updates `{{.Image}}` to `{{.Ref}}` in:\n\n{{range .Files}}- `{{.}}`\n{{end}}{{with .From}}\nPrevious tags: {{join . \", \"}}.\n{{end}}\nOpened by dfiu. A newer tag updates this pull request instead of opening another one."
	DefaultCommitMessage = "Bump {{.Image}} to {{.Tag}}"
)

// TemplateFuncs are the functions pr-title, pr-body and commit-message
// may call besides text/template's built-ins.
var TemplateFuncs = template.FuncMap{
	"join": strings.Join,
}

// TemplateData is what pr-title, pr-body and commit-message templates see.
type TemplateData struct {
	Image      string   // the image as given, e.g. "ghcr.io/acme/base"
	Tag        string   // the new tag
	Digest     string   // the new digest, or ""
	Ref        string   // Image:Tag, with @Digest when given
	From       []string // the distinct tags being replaced, sorted ("" for references without a tag is left out)
	Repository string   // owner/name
	Files      []string // the files changed, sorted
	Branch     string   // our branch, e.g. "dfiu/ghcr.io-acme-base"
}

// Templates are the parsed pr-title, pr-body and commit-message.
type Templates struct {
	Title, Body, Commit *template.Template
}

// TemplateError is a template that does not parse or cannot be executed.
// Input names the template's input.
type TemplateError struct {
	Input string
	Err   error
}

func (e *TemplateError) Error() string { return fmt.Sprintf("input %q: %v", e.Input, e.Err) }

func (e *TemplateError) Unwrap() error { return e.Err }

// NewTemplates parses the three templates and tries each on sample data, so
// that an unknown field is an error before any request. The error joins a
// *TemplateError for each template that fails.
func NewTemplates(title, body, commit string) (*Templates, error) {
	sample := TemplateData{
		Image: "ghcr.io/acme/base", Tag: "1.3", Ref: "ghcr.io/acme/base:1.3", From: []string{"1.2"},
		Repository: "acme/svc", Files: []string{"Dockerfile"}, Branch: "dfiu/ghcr.io-acme-base",
	}
	parse := func(name, text string) (*template.Template, error) {
		t, err := template.New(name).Funcs(TemplateFuncs).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, &TemplateError{Input: name, Err: err}
		}
		if err := t.Execute(new(strings.Builder), sample); err != nil {
			return nil, &TemplateError{Input: name, Err: err}
		}
		return t, nil
	}
	var ts Templates
	var errs [3]error
	ts.Title, errs[0] = parse("pr-title", title)
	ts.Body, errs[1] = parse("pr-body", body)
	ts.Commit, errs[2] = parse("commit-message", commit)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return &ts, nil
}

func execute(t *template.Template, d TemplateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	return b.String(), nil
}
