// Package config turns dfiu's inputs into a validated Config. Inputs come
// either from the environment, as the Actions runner passes them
// (INPUT_<NAME>, upper-cased, hyphens kept: INPUT_EXCLUDE-REPOS), or from
// command-line flags of the same names (--exclude-repos). Both paths share
// one table, Inputs, which action.yml mirrors.
//
// Every error names the input it is about and is returned before any
// request is sent.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
	"github.com/dfiu/dfiu/internal/store"
	"github.com/dfiu/dfiu/internal/update"
)

// Default API endpoints, used when neither the input nor GITHUB_API_URL /
// GITHUB_GRAPHQL_URL is set.
const (
	DefaultAPIURL     = "https://api.github.com"
	DefaultGraphQLURL = "https://api.github.com/graphql"
)

// Limits on numeric inputs.
const (
	MaxConcurrency = 32
)

// Config is a validated set of inputs: the pipeline's options, and what
// only the command needs.
type Config struct {
	update.Options

	Store      *store.Location // nil: no store
	Token      string          // never logged
	APIURL     string
	GraphQLURL string

	// WriteLimits is the token's content-creation budget (write-limits).
	WriteLimits []gh.WriteLimit
	// TimeBudget is how long the run may take (time-budget).
	TimeBudget time.Duration

	FailOnError bool

	// ReportFile is where report mode writes the full report (report-file).
	ReportFile string

	// The explicit registry login (registry-username, registry-password);
	// the password is never logged.
	RegistryUsername string
	RegistryPassword string
}

// InputError is a bad input. Its message names the input.
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return fmt.Sprintf("input %q: %v", e.Input, e.Err) }

func (e *InputError) Unwrap() error { return e.Err }

// FromAction reads the inputs as the Actions runner passes them, through
// go-githubactions (INPUT_<NAME> in the environment given by getenv).
// GITHUB_REPOSITORY_OWNER, GITHUB_API_URL and GITHUB_GRAPHQL_URL supply the
// defaults of orgs and the URLs, and GITHUB_TOKEN that of github-token.
func FromAction(getenv func(string) string) (*Config, error) {
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard))
	raw := make(map[string]string, len(Inputs))
	for _, in := range Inputs {
		raw[in.Name] = a.GetInput(in.Name)
	}
	return build(raw, getenv)
}

// FromFlags parses "--name value" flags, one per input, for the given mode
// ("parent", "child" or "all"). Inputs not given take their defaults, with
// the same environment fallbacks as FromAction. Usage text goes to usage.
func FromFlags(mode string, args []string, getenv func(string) string, usage io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("dfiu "+mode, flag.ContinueOnError)
	fs.SetOutput(usage)
	vals := make(map[string]*flagValue, len(Inputs))
	for _, in := range Inputs {
		if in.Name == "mode" {
			continue
		}
		v := &flagValue{bool: in.Bool}
		vals[in.Name] = v
		def := in.Default
		if in.Name == "github-token" {
			def = "$GITHUB_TOKEN"
		}
		desc := in.Description
		if def != "" {
			desc += " (default " + strconv.Quote(def) + ")"
		}
		fs.Var(v, in.Name, desc)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &InputError{Input: "flags", Err: err}
	}
	if fs.NArg() > 0 {
		return nil, &InputError{Input: "flags", Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	raw := map[string]string{"mode": mode}
	for name, v := range vals {
		raw[name] = strings.TrimSpace(v.s)
	}
	return build(raw, getenv)
}

// flagValue is a string flag that, for boolean inputs, may stand alone.
type flagValue struct {
	s    string
	bool bool
}

func (v *flagValue) String() string     { return v.s }
func (v *flagValue) Set(s string) error { v.s = s; return nil }
func (v *flagValue) IsBoolFlag() bool   { return v.bool }

// build applies defaults and validates raw input values. Every error is
// returned, joined.
func build(raw map[string]string, getenv func(string) string) (*Config, error) {
	get := func(name string) string {
		if v := raw[name]; v != "" {
			return v
		}
		in, _ := lookupInput(name)
		return in.Default
	}
	c := &Config{}
	var errs []error
	// bad records err as input name's; each error joined in err is recorded
	// on its own, a template's under its own input.
	var bad func(name string, err error)
	bad = func(name string, err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				bad(name, e)
			}
			return
		}
		if te := (*update.TemplateError)(nil); errors.As(err, &te) {
			name, err = te.Input, te.Err
		}
		errs = append(errs, &InputError{Input: name, Err: err})
	}
	for _, in := range Inputs {
		if in.Set == nil {
			continue
		}
		if err := in.Set(c, get(in.Name)); err != nil {
			bad(in.Name, err)
		}
	}
	c.resolve(get, getenv, bad)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// resolve reads the inputs whose check needs other inputs or the
// environment: the target (per mode), the repository, the store, the
// organisations, the token, the URLs and the templates.
func (c *Config) resolve(get, getenv func(string) string, bad func(string, error)) {
	c.resolveTarget(get, bad)

	switch repo := get("repository"); {
	case c.Mode != update.ModeChild && repo != "":
		bad("repository", errors.New("is only used in child mode"))
	case c.Mode != update.ModeChild:
	case repo == "":
		bad("repository", errors.New("is required in child mode"))
	case !gh.ValidFullName(repo):
		bad("repository", fmt.Errorf("%q is not owner/name", repo))
	default:
		c.Repository = repo
	}

	if s := get("store"); s != "" {
		if loc, err := store.ParseLocation(s); err != nil {
			bad("store", err)
		} else {
			c.Store = &loc
		}
	} else if c.Mode == update.ModeAll {
		bad("store", errors.New("is required in all mode"))
	} else if c.Mode == update.ModeReport && get("image") == "" {
		bad("store", errors.New("is required in report mode when image is not given"))
	}
	if c.Mode == update.ModeReport {
		// A report asks no registry: it measures against the tag (and the
		// store's digest) as recorded.
		c.VerifyTag, c.ResolveDigest = false, false
		if c.ReportFile == "" {
			c.ReportFile = DefaultReportFile
		}
	}

	if len(c.Orgs) == 0 {
		if o := getenv("GITHUB_REPOSITORY_OWNER"); o != "" {
			c.Orgs = []string{o}
		}
	}
	for _, o := range c.Orgs {
		if !gh.ValidOwner(o) {
			bad("orgs", fmt.Errorf("%q is not an organisation or user name", o))
		}
	}
	if c.Mode != update.ModeChild && len(c.Orgs) == 0 {
		bad("orgs", errors.New("is empty and GITHUB_REPOSITORY_OWNER is not set"))
	}

	c.Token = firstNonEmpty(get("github-token"), getenv("GITHUB_TOKEN"))
	if c.Token == "" {
		bad("github-token", errors.New("is empty and GITHUB_TOKEN is not set"))
	}
	c.APIURL = firstNonEmpty(get("github-api-url"), getenv("GITHUB_API_URL"), DefaultAPIURL)
	c.GraphQLURL = firstNonEmpty(get("github-graphql-url"), getenv("GITHUB_GRAPHQL_URL"), graphQLURLFor(c.APIURL))
	for _, name := range []string{"github-api-url", "github-graphql-url"} {
		if err := checkURL(map[string]string{"github-api-url": c.APIURL, "github-graphql-url": c.GraphQLURL}[name]); err != nil {
			bad(name, err)
		}
	}

	c.resolveRegistry(get, bad)

	var err error
	if c.Templates, err = update.NewTemplates(get("pr-title"), get("pr-body"), get("commit-message")); err != nil {
		bad("pr-title", err)
		return
	}
	// Try them on the image given (all mode: a sample, without a digest
	// as the store has none), so that a title that renders empty or too
	// long is an input error before any request.
	sample := update.Target{Image: imageref.MustParse("ghcr.io/acme/base"), Tag: "1.3"}
	if c.Mode != update.ModeAll {
		if c.Target.Image.String() == "" || c.Target.Tag == "" {
			return // reported above
		}
		sample = c.Target
	}
	if _, _, _, err := c.Templates.Render(update.SampleData(sample, c.BranchPrefix)); err != nil {
		bad("pr-title", err)
	}
}

// resolveTarget reads image, tag and digest, which parent and child mode
// need and all mode does not use.
func (c *Config) resolveTarget(get func(string) string, bad func(string, error)) {
	image, tag, digest := get("image"), get("tag"), get("digest")
	if c.Mode == update.ModeReport && image == "" {
		for name, v := range map[string]string{"tag": tag, "digest": digest} {
			if v != "" {
				bad(name, errors.New("needs image in report mode"))
			}
		}
		return
	}
	if c.Mode == update.ModeAll {
		for name, v := range map[string]string{"image": image, "tag": tag, "digest": digest} {
			if v != "" {
				bad(name, errors.New("is not used in all mode (the store supplies the images)"))
			}
		}
		return
	}
	if image == "" {
		bad("image", fmt.Errorf("is required in %s mode", c.Mode))
	} else if name, err := imageref.Parse(image); err != nil {
		bad("image", err)
	} else {
		c.Target.Image = name
		if checkBranch(c.BranchPrefix, "x") == nil {
			if err := checkBranch(c.BranchPrefix, update.Slug(name)); err != nil {
				bad("branch-prefix", err)
			}
		}
	}
	switch {
	case tag == "" && c.Mode == update.ModeReport:
		// The store's tag.
	case tag == "":
		bad("tag", fmt.Errorf("is required in %s mode", c.Mode))
	case !imageref.ValidTag(tag):
		bad("tag", fmt.Errorf("%q is not a valid tag", tag))
	default:
		c.Target.Tag = tag
	}
	if digest != "" && !digestRE.MatchString(digest) {
		bad("digest", fmt.Errorf("%q is not sha256:<64 lower-case hex digits>", digest))
	}
	c.Target.Digest = digest
}

var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// DefaultReportFile is where report mode writes its report when
// report-file names no file.
const DefaultReportFile = "dfiu-report.json"

// List splits a list input on commas and newlines, trimming spaces and
// dropping empty items.
func List(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// graphQLURLFor derives the GraphQL endpoint from the REST base:
// https://HOST/api/v3 gives https://HOST/api/graphql (GitHub Enterprise
// Server), anything else BASE/graphql.
func graphQLURLFor(api string) string {
	api = strings.TrimSuffix(api, "/")
	if strings.HasSuffix(api, "/api/v3") {
		return strings.TrimSuffix(api, "/v3") + "/graphql"
	}
	return api + "/graphql"
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// lookupInput returns the table entry for name.
func lookupInput(name string) (Input, bool) {
	for _, in := range Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

// resolveRegistry reads registry-username and registry-password, which go
// to the image's registry only: all mode has no image input, so an
// explicit login there could only be sent to every registry of the store,
// and is refused (the Docker config's credentials, per registry, serve all
// mode).
func (c *Config) resolveRegistry(get func(string) string, bad func(string, error)) {
	user, pass := get("registry-username"), get("registry-password")
	switch {
	case user == "" && pass == "":
		return
	case c.Mode == update.ModeAll:
		name := "registry-username"
		if user == "" {
			name = "registry-password"
		}
		bad(name, errors.New("is only used in parent and child mode, where it goes to the image's registry; in all mode log in with docker/login-action"))
	case user == "":
		bad("registry-username", errors.New("is required with registry-password"))
	case pass == "":
		bad("registry-password", errors.New("is required with registry-username"))
	case strings.ContainsAny(user, ":\r\n"):
		bad("registry-username", errors.New("must not hold a colon or a line break"))
	}
	c.RegistryUsername, c.RegistryPassword = user, pass
}
