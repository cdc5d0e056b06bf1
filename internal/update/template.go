package update

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
)

// Default templates. With one lineage (the usual case) they read
// "Bump node to 22"; with several, "Bump node to 22, 22-alpine".
const (
	DefaultPRTitle       = "{{if .Rebuilt}}Re-pin {{.Image}}:{{.Tag}} (rebuilt){{else}}Bump {{.Image}} to {{join .Tags \", \"}}{{end}}"
	DefaultPRBody        = "{{if .Rebuilt}}`{{.Image}}:{{.Tag}}` was rebuilt. This pull request re-pins it from {{range $i, $d := .OldDigests}}{{if $i}}, {{end}}`{{$d}}`{{end}} to `{{.Digest}}` in:{{else}}This pull request updates `{{.Image}}` to {{range $i, $t := .Tags}}{{if $i}}, {{end}}`{{$t}}`{{end}}{{with .OldDigests}} (references pinned by digest to `{{$.Digest}}`){{end}} in:{{end}}\n\n{{range .Files}}- `{{.}}`\n{{end}}{{with .From}}\nPrevious tags: {{join . \", \"}}.\n{{end}}{{if and .OldDigests (not .Rebuilt)}}\nPrevious digests: {{join .OldDigests \", \"}}.\n{{end}}\nOpened by dfiu. A newer tag (or a rebuild of this one) updates this pull request instead of opening another one."
	DefaultCommitMessage = "{{if .Rebuilt}}Re-pin {{.Image}}:{{.Tag}} (rebuilt)\n\nFrom {{join .OldDigests \", \"}}\nto {{.Digest}}{{else}}Bump {{.Image}} to {{join .Tags \", \"}}{{end}}"
)

// TemplateFuncs are the functions pr-title, pr-body and commit-message
// may call besides text/template's built-ins.
var TemplateFuncs = template.FuncMap{
	"join": strings.Join,
}

// TemplateData is what pr-title, pr-body and commit-message templates see.
type TemplateData struct {
	Image      string   // the image as given, e.g. "ghcr.io/acme/base"
	Tag        string   // the new tag (the first of Tags)
	Tags       []string // every new tag the pull request moves references to, one per lineage (22, 22-alpine); usually one
	Digest     string   // the new digest of Tag, or ""
	Ref        string   // Image:Tag, with @Digest when given
	Refs       []string // Image:tag for each of Tags, with the digest where given
	From       []string // the distinct tags being replaced, sorted ("" for references without a tag is left out; a rebuild's own tag too)
	Rebuilt    bool     // the change only re-pins references already at Tag to Digest: the same tag rebuilt
	OldDigests []string // the distinct digests being replaced, sorted
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
	sample := SampleData(Target{Image: imageref.MustParse("ghcr.io/acme/base"), Tag: "1.3"}, "dfiu")
	sample.OldDigests = []string{"sha256:0"} // both sides of the templates that mention them
	parse := func(name, text string) (*template.Template, error) {
		t, err := template.New(name).Funcs(TemplateFuncs).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, &TemplateError{Input: name, Err: err}
		}
		// Both branches of a template that tells a rebuild from a bump.
		rebuilt := sample
		rebuilt.Rebuilt, rebuilt.From, rebuilt.Digest = true, nil, "sha256:1"
		for _, d := range []TemplateData{sample, rebuilt} {
			if err := t.Execute(new(strings.Builder), d); err != nil {
				return nil, &TemplateError{Input: name, Err: err}
			}
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

// SampleData is what the templates would see for target in a typical
// repository, to try them before any request.
func SampleData(t Target, branchPrefix string) TemplateData {
	d := templateData(t, nil)
	d.From, d.Repository, d.Files, d.Branch = []string{"1.2"}, "acme/svc", []string{"Dockerfile"}, branchPrefix+"/"+Slug(t.Image)
	return d
}

// GitHub's limits on a pull request, as its API states them in a 422:
// "title is too long (maximum is 256 characters)" and "body is too long
// (maximum is 65536 characters)" (quoted in, e.g.,
// googleapis/repo-automation-bots#1895 and renovatebot/renovate#2032).
// Characters, not bytes.
const (
	MaxTitle = 256
	MaxBody  = 65536
)

// Render renders the title (white space collapsed), the body and the
// commit message (headline and body) for d, and checks them against what
// GitHub accepts before anything is written: a title and a commit
// headline that are not empty, a title and a body within GitHub's
// limits. An error is a *TemplateError naming the input.
func (ts *Templates) Render(d TemplateData) (title, body string, msg gh.CommitMessage, err error) {
	fail := func(input string, err error) (string, string, gh.CommitMessage, error) {
		return "", "", gh.CommitMessage{}, &TemplateError{Input: input, Err: err}
	}
	if title, err = execute(ts.Title, d); err != nil {
		return fail("pr-title", err)
	}
	title = strings.Join(strings.Fields(title), " ")
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return fail("pr-title", fmt.Errorf("renders an empty title for %s", d.Repository))
	case n > MaxTitle:
		return fail("pr-title", fmt.Errorf("renders a title of %d characters for %s; GitHub allows %d", n, d.Repository, MaxTitle))
	}
	if body, err = execute(ts.Body, d); err != nil {
		return fail("pr-body", err)
	}
	if n := utf8.RuneCountInString(body); n > MaxBody {
		return fail("pr-body", fmt.Errorf("renders a body of %d characters for %s; GitHub allows %d", n, d.Repository, MaxBody))
	}
	m, err := execute(ts.Commit, d)
	if err != nil {
		return fail("commit-message", err)
	}
	head, rest, _ := strings.Cut(strings.TrimSpace(m), "\n")
	msg = gh.CommitMessage{Headline: strings.TrimSpace(head), Body: strings.TrimSpace(rest)}
	if msg.Headline == "" {
		return fail("commit-message", fmt.Errorf("renders an empty headline for %s", d.Repository))
	}
	return title, body, msg, nil
}

// templateData returns the fields of a proposal's template data that come
// from the tags it moves references to: moved, in the target's order (its
// own tag first).
func templateData(t Target, moved []string) TemplateData {
	if len(moved) == 0 {
		moved = []string{t.Tag}
	}
	d := TemplateData{Image: t.Image.String(), Tag: moved[0], Tags: moved}
	for _, tag := range moved {
		ref := d.Image + ":" + tag
		if tag == t.Tag && t.Digest != "" {
			ref += "@" + t.Digest
		}
		d.Refs = append(d.Refs, ref)
	}
	d.Ref = d.Refs[0]
	if d.Tag == t.Tag {
		d.Digest = t.Digest
	}
	return d
}

func execute(t *template.Template, d TemplateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	return b.String(), nil
}
