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
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/distribution/reference"
	"github.com/sethvargo/go-githubactions"

	"github.com/dfiu/dfiu/internal/dockerfile"
)

// Mode picks what a run does.
type Mode string

// The modes.
const (
	ModeParent Mode = "parent"
	ModeChild  Mode = "child"
	ModeAll    Mode = "all"
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

// Config is a validated set of inputs.
type Config struct {
	Mode       Mode
	Image      string // as given, without tag or digest
	Tag        string
	Digest     string
	Repository string // child mode: "owner/name"
	Store      string // "owner/repo[/path][@branch]" or ""; parsed by package store

	Orgs         []string
	ExcludeRepos []string // lower-cased path.Match globs on owner/name
	IncludeForks bool
	FileTypes    []dockerfile.Kind
	DryRun       bool
	BranchPrefix string

	PRTitle       string // text/template sources
	PRBody        string
	CommitMessage string

	Labels        []string
	Reviewers     []string
	TeamReviewers []string
	Assignees     []string
	Draft         bool
	AutoMerge     string // "", "MERGE", "SQUASH" or "REBASE"

	IgnoreComment  string
	AllowDowngrade bool
	TagFilter      *regexp.Regexp

	MaxPRs      int // 0: no limit
	Concurrency int

	Token      string // never logged
	APIURL     string
	GraphQLURL string

	FailOnError bool
}

// InputError is a bad input. Its message names the input.
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return fmt.Sprintf("input %q: %v", e.Input, e.Err) }

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(name string, format string, args ...any) error {
	return &InputError{Input: name, Err: fmt.Errorf(format, args...)}
}

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

// build applies defaults and validates raw input values.
func build(raw map[string]string, getenv func(string) string) (*Config, error) {
	get := func(name string) string {
		if v := raw[name]; v != "" {
			return v
		}
		in, _ := lookupInput(name)
		return in.Default
	}
	var errs []error
	boolean := func(name string) bool {
		s := strings.ToLower(get(name))
		switch s {
		case "true", "yes", "1", "on":
			return true
		case "false", "no", "0", "off", "":
			return false
		}
		errs = append(errs, inputErr(name, "%q is not a boolean (true or false)", get(name)))
		return false
	}
	integer := func(name string, min, max int) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < min || n > max {
			errs = append(errs, inputErr(name, "%q is not a whole number from %d to %d", get(name), min, max))
		}
		return n
	}

	c := &Config{
		Image:         get("image"),
		Tag:           get("tag"),
		Digest:        get("digest"),
		Repository:    get("repository"),
		Store:         get("store"),
		Orgs:          List(get("orgs")),
		IncludeForks:  boolean("include-forks"),
		DryRun:        boolean("dry-run"),
		BranchPrefix:  strings.Trim(get("branch-prefix"), "/"),
		PRTitle:       get("pr-title"),
		PRBody:        get("pr-body"),
		CommitMessage: get("commit-message"),
		Labels:        List(get("labels")),
		Reviewers:     List(get("reviewers")),
		TeamReviewers: List(get("team-reviewers")),
		Assignees:     List(get("assignees")),
		Draft:         boolean("draft"),
		IgnoreComment: get("ignore-comment"),

		AllowDowngrade: boolean("allow-downgrade"),
		MaxPRs:         integer("max-prs", 0, 1<<20),
		Concurrency:    integer("concurrency", 1, MaxConcurrency),
		Token:          get("github-token"),
		APIURL:         get("github-api-url"),
		GraphQLURL:     get("github-graphql-url"),
		FailOnError:    boolean("fail-on-error"),
	}

	switch m := Mode(strings.ToLower(get("mode"))); m {
	case ModeParent, ModeChild, ModeAll:
		c.Mode = m
	default:
		errs = append(errs, inputErr("mode", "%q is not one of parent, child, all", get("mode")))
	}

	if c.Token == "" {
		c.Token = getenv("GITHUB_TOKEN")
	}
	if c.Token == "" {
		errs = append(errs, inputErr("github-token", "is empty and GITHUB_TOKEN is not set"))
	}
	if len(c.Orgs) == 0 {
		if o := getenv("GITHUB_REPOSITORY_OWNER"); o != "" {
			c.Orgs = []string{o}
		}
	}
	for _, o := range c.Orgs {
		if !ownerRE.MatchString(o) {
			errs = append(errs, inputErr("orgs", "%q is not an organisation or user name", o))
		}
	}
	if c.APIURL == "" {
		c.APIURL = firstNonEmpty(getenv("GITHUB_API_URL"), DefaultAPIURL)
	}
	if c.GraphQLURL == "" {
		c.GraphQLURL = firstNonEmpty(getenv("GITHUB_GRAPHQL_URL"), graphQLURLFor(c.APIURL))
	}
	for name, u := range map[string]string{"github-api-url": c.APIURL, "github-graphql-url": c.GraphQLURL} {
		if err := checkURL(u); err != nil {
			errs = append(errs, &InputError{Input: name, Err: err})
		}
	}

	for _, g := range List(get("exclude-repos")) {
		g = strings.ToLower(g)
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, inputErr("exclude-repos", "glob %q: %w", g, err))
			continue
		}
		c.ExcludeRepos = append(c.ExcludeRepos, g)
	}

	for _, t := range List(get("file-types")) {
		switch strings.ToLower(t) {
		case "dockerfile":
			c.FileTypes = appendKind(c.FileTypes, dockerfile.KindDockerfile)
		case "compose":
			c.FileTypes = appendKind(c.FileTypes, dockerfile.KindCompose)
		default:
			errs = append(errs, inputErr("file-types", "%q is not dockerfile or compose", t))
		}
	}
	if len(c.FileTypes) == 0 && raw["file-types"] != "" {
		errs = append(errs, inputErr("file-types", "names no file type"))
	}

	switch a := strings.ToLower(get("auto-merge")); a {
	case "off", "false", "":
	case "merge", "squash", "rebase":
		c.AutoMerge = strings.ToUpper(a)
	default:
		errs = append(errs, inputErr("auto-merge", "%q is not one of off, merge, squash, rebase", get("auto-merge")))
	}

	if s := get("tag-filter"); s != "" {
		re, err := regexp.Compile(s)
		if err != nil {
			errs = append(errs, inputErr("tag-filter", "%q is not a regular expression: %w", s, err))
		}
		c.TagFilter = re
	}
	if c.BranchPrefix == "" || !branchRE.MatchString(c.BranchPrefix) || strings.Contains(c.BranchPrefix, "..") {
		errs = append(errs, inputErr("branch-prefix", "%q is not a valid branch name prefix", get("branch-prefix")))
	}
	for _, name := range []string{"pr-title", "pr-body", "commit-message"} {
		if _, err := template.New(name).Funcs(TemplateFuncs).Parse(get(name)); err != nil {
			errs = append(errs, &InputError{Input: name, Err: err})
		}
	}
	for _, r := range c.TeamReviewers {
		if strings.Count(r, "/") > 1 {
			errs = append(errs, inputErr("team-reviewers", "%q is not a team slug or org/slug", r))
		}
	}

	errs = append(errs, c.checkImage()...)
	if c.Mode == ModeChild {
		if c.Repository == "" {
			errs = append(errs, inputErr("repository", "is required in child mode"))
		} else if !repoRE.MatchString(c.Repository) {
			errs = append(errs, inputErr("repository", "%q is not owner/name", c.Repository))
		}
	} else if c.Repository != "" {
		errs = append(errs, inputErr("repository", "is only used in child mode"))
	}
	if c.Mode == ModeAll && c.Store == "" {
		errs = append(errs, inputErr("store", "is required in all mode"))
	}
	if c.Mode != ModeChild && len(c.Orgs) == 0 {
		errs = append(errs, inputErr("orgs", "is empty and GITHUB_REPOSITORY_OWNER is not set"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// checkImage validates image, tag and digest for the modes that need them.
func (c *Config) checkImage() []error {
	if c.Mode == ModeAll {
		var errs []error
		for _, name := range []string{"image", "tag", "digest"} {
			if v := map[string]string{"image": c.Image, "tag": c.Tag, "digest": c.Digest}[name]; v != "" {
				errs = append(errs, inputErr(name, "is not used in all mode (the store supplies the images)"))
			}
		}
		return errs
	}
	var errs []error
	if c.Image == "" {
		errs = append(errs, inputErr("image", "is required in %s mode", c.Mode))
	} else if named, err := reference.ParseNormalizedNamed(c.Image); err != nil {
		errs = append(errs, inputErr("image", "%q is not an image name: %w", c.Image, err))
	} else if _, ok := named.(reference.NamedTagged); ok {
		errs = append(errs, inputErr("image", "%q has a tag: give the name only and put the tag in tag", c.Image))
	} else if _, ok := named.(reference.Digested); ok {
		errs = append(errs, inputErr("image", "%q has a digest: give the name only and put the digest in digest", c.Image))
	}
	if c.Tag == "" {
		errs = append(errs, inputErr("tag", "is required in %s mode", c.Mode))
	} else if !tagRE.MatchString(c.Tag) {
		errs = append(errs, inputErr("tag", "%q is not a valid tag", c.Tag))
	}
	if c.Digest != "" && !digestRE.MatchString(c.Digest) {
		errs = append(errs, inputErr("digest", "%q is not sha256:<64 lower-case hex digits>", c.Digest))
	}
	return errs
}

var (
	ownerRE  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	branchRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*$`)
	tagRE    = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)
	digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// TemplateFuncs are the functions pr-title, pr-body and commit-message
// may call besides text/template's built-ins.
var TemplateFuncs = template.FuncMap{
	"join": strings.Join,
}

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

func appendKind(ks []dockerfile.Kind, k dockerfile.Kind) []dockerfile.Kind {
	for _, x := range ks {
		if x == k {
			return ks
		}
	}
	return append(ks, k)
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

// Excluded reports whether exclude-repos matches the repository
// "owner/name" (case-insensitive).
func (c *Config) Excluded(fullName string) bool {
	return MatchAny(c.ExcludeRepos, fullName)
}

// MatchAny reports whether any of the lower-case globs matches fullName,
// case-insensitively.
func MatchAny(globs []string, fullName string) bool {
	fullName = strings.ToLower(fullName)
	for _, g := range globs {
		if ok, _ := path.Match(g, fullName); ok {
			return true
		}
	}
	return false
}
