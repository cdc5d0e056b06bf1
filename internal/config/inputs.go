package config

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/gitref"
	"github.com/dfiu/dfiu/internal/update"
)

// Input describes one action input. The same table drives the environment
// reader, the command-line flags, action.yml, the documentation and the
// Config the inputs fill, so they cannot drift apart (a test compares
// them).
type Input struct {
	Name        string
	Description string
	// Default is the value used when the input is empty. ActionDefault, when
	// set, is what action.yml declares instead (a workflow expression the
	// runner evaluates, such as "${{ github.token }}").
	Default       string
	ActionDefault string
	Bool          bool // a flag that may be given without a value
	// Set stores the value (after defaults) in c, or says why it cannot;
	// the error becomes this input's *InputError. Inputs whose check needs
	// other inputs (the mode's, say) have none: resolve reads them.
	Set func(c *Config, v string) error
}

// Output describes one action output.
type Output struct {
	Name        string
	Description string
}

// Inputs lists every input, in the order action.yml declares them.
var Inputs = []Input{
	{Name: "mode", Set: func(c *Config, v string) error { return setMode(c, v) }, Default: "parent", Description: "What to do: parent (record image:tag in the store and open PRs wherever the image is used), child (bump one repository, given by repository), all (open PRs wherever a file deviates from the store) or report (write nothing: report every consumer of image, or of every image of the store, its state, dfiu's open PRs, the opt-outs and the adoption)."},
	{Name: "image", Description: "The image repository to bump, without tag or digest, e.g. ubuntu or ghcr.io/acme/base. Required in parent and child mode; in report mode, the one image to report on (default: every image of the store)."},
	{Name: "tag", Description: "The new tag, e.g. 24.04. Required in parent and child mode; in report mode, the tag to report against (default: the store's for image)."},
	{Name: "digest", Description: "Optional sha256:<64 hex> digest of the new tag. References pinned by digest are re-pinned as name:tag@digest; without it (and without resolve-digest) they are skipped with a warning."},
	{Name: "repository", Description: "child mode only: the repository to bump, as owner/name."},
	{Name: "store", Description: "The image-to-tag store: owner/repo[/path][@branch], path defaulting to store.json. Optional in parent and child mode (recorded when given), required in all mode, read (never written) in report mode."},
	{Name: "orgs", Set: list(func(c *Config) *[]string { return &c.Orgs }), Description: "Organisations (or users) to search, separated by commas or newlines. Defaults to GITHUB_REPOSITORY_OWNER."},
	{Name: "exclude-repos", Set: setExcludeRepos, Description: "Repositories to leave alone: globs on owner/name (path.Match syntax, case-insensitive), separated by commas or newlines, e.g. acme/legacy-*."},
	{Name: "include-forks", Set: boolean(func(c *Config) *bool { return &c.IncludeForks }), Default: "false", Bool: true, Description: "Also open PRs in forks."},
	{Name: "file-types", Set: setFileTypes, Default: "dockerfile,compose", Description: "Which files to rewrite: dockerfile, compose, or both, separated by commas."},
	{Name: "discovery", Set: setDiscovery, Default: "auto", Description: "How parent and all mode find the files: search (code search: fast, but blind to repositories without a push for a year, forks, files of 384 KB or more and past 4,000 repositories), scan (list every repository and its tree; a scan index beside the store file makes reruns read only what moved) or auto (parent mode searches and scans when the search is incomplete or capped; all mode scans)."},
	{Name: "dry-run", Set: boolean(func(c *Config) *bool { return &c.DryRun }), Default: "false", Bool: true, Description: "Make no changes at all: print the plan with diffs and report what would be created or updated."},
	{Name: "branch-prefix", Set: setBranchPrefix, Default: "dfiu", Description: "Branches are named <branch-prefix>/<image-slug>, e.g. dfiu/ghcr.io-acme-base; the whole name must pass git check-ref-format --branch, and the prefix must not start with refs/. One trailing / is dropped."},
	{Name: "pr-title", Default: update.DefaultPRTitle, Description: "Pull request title, a Go text/template (fields: .Image, .Tag, .Tags, .Digest, .Ref, .Refs, .From, .Rebuilt, .OldDigests, .Repository, .Files, .Branch)."},
	{Name: "pr-body", Default: update.DefaultPRBody, Description: "Pull request body, a Go text/template with the same fields as pr-title."},
	{Name: "commit-message", Default: update.DefaultCommitMessage, Description: "Commit message, a Go text/template with the same fields as pr-title; the first line is the headline."},
	{Name: "labels", Set: list(func(c *Config) *[]string { return &c.Labels }), Description: "Labels to add to new pull requests, separated by commas or newlines. Labels that do not exist in a repository are skipped and reported."},
	{Name: "reviewers", Set: list(func(c *Config) *[]string { return &c.Reviewers }), Description: "Users to request reviews from on new pull requests, separated by commas or newlines."},
	{Name: "team-reviewers", Set: setTeamReviewers, Description: "Teams to request reviews from, as slugs of the repository's organisation (or org/slug), separated by commas or newlines."},
	{Name: "assignees", Set: list(func(c *Config) *[]string { return &c.Assignees }), Description: "Users to assign to new pull requests, separated by commas or newlines."},
	{Name: "draft", Set: boolean(func(c *Config) *bool { return &c.Draft }), Default: "false", Bool: true, Description: "Open pull requests as drafts."},
	{Name: "auto-merge", Set: setAutoMerge, Default: "off", Description: "Enable auto-merge on new pull requests: off, merge, squash or rebase. A PR that is already mergeable (clean status) or a repository that does not allow auto-merge is reported, not failed."},
	{Name: "ignore-comment", Set: func(c *Config, v string) error { c.IgnoreComment = v; return nil }, Default: "no-dfiu", Description: "A comment line # <ignore-comment> directly above an instruction or image: key opts it out."},
	{Name: "allow-downgrade", Set: boolean(func(c *Config) *bool { return &c.AllowDowngrade }), Default: "false", Bool: true, Description: "Let a lower version tag replace a higher one (child mode always allows it)."},
	{Name: "floating-tags", Set: setFloatingTags, Default: string(dockerfile.FloatingSkip), Description: "What happens to references with a floating tag (no tag, latest, or a channel name such as lts or stable): skip leaves them alone; pin replaces a missing tag and latest (only those) with the new tag."},
	{Name: "tag-filter", Set: setTagFilter, Description: "A regular expression: only references whose current tag matches it are changed, e.g. -slim$."},
	{Name: "max-prs", Set: integer(0, 1<<20, func(c *Config) *int { return &c.MaxPRs }), Default: "0", Description: "The most pull requests to create or update in one run; 0 means no limit. The rest are reported skipped with reason \"max-prs reached\"."},
	{Name: "max-images", Set: integer(0, 1<<30, func(c *Config) *int { return &c.MaxImages }), Default: "1000", Description: "all mode: the most images the store may hold; a larger store is refused before any search (0 means no limit). Over 3 images, files are found by name once per organisation and matched to every image, so the code searches do not grow with the store."},
	{Name: "concurrency", Set: integer(1, MaxConcurrency, func(c *Config) *int { return &c.Concurrency }), Default: "4", Description: "How many repositories are processed at once (1 to 32)."},
	{Name: "write-limits", Set: setWriteLimits, Default: "80/1m,500/1h", Description: "The token's content-creation budget, shared by every worker: COUNT/DURATION items separated by commas. Each mutation of a GraphQL document and each REST write counts one. The default is GitHub's secondary limit; GitHub Enterprise Server admins configure their own, and a lower budget leaves headroom for other automation using the same token."},
	{Name: "time-budget", Set: setTimeBudget, Default: "5h30m", Description: "How long the run may take (a Go duration, e.g. 45m or 5h30m; under a hosted job's 6-hour limit by default). When the next write would have to wait past it, the run stops cleanly: repositories not yet done are reported deferred, for the next run to pick up."},
	{Name: "github-token", ActionDefault: "${{ github.token }}", Description: "A token that can push to the target repositories and open pull requests: a personal access token or a GitHub App installation token (GITHUB_TOKEN can only write to the repository running the workflow). On the command line GITHUB_TOKEN is used when the flag is absent."},
	{Name: "github-api-url", Description: "The REST API base URL. Defaults to GITHUB_API_URL, then https://api.github.com (set https://HOST/api/v3 for GitHub Enterprise Server)."},
	{Name: "github-graphql-url", Description: "The GraphQL endpoint. Defaults to GITHUB_GRAPHQL_URL, then https://api.github.com/graphql (https://HOST/api/graphql on GitHub Enterprise Server)."},
	{Name: "verify-tag", Set: boolean(func(c *Config) *bool { return &c.VerifyTag }), Default: "true", Bool: true, Description: "Before any write, check in the image's registry that image:tag exists (in all mode, each image of the store): a missing tag, refused credentials or an unreachable registry stops the run (in all mode, that image) with an error. Set false on runners that cannot reach the registry."},
	{Name: "resolve-digest", Set: boolean(func(c *Config) *bool { return &c.ResolveDigest }), Default: "true", Bool: true, Description: "When digest is not given, take the digest of image:tag from its registry (the index's for a multi-platform image), so that references pinned by digest are re-pinned and a rebuild of the same tag is followed; in all mode the registry's digest wins over the store's. A registry that cannot be asked is a warning, not an error, unless verify-tag is on."},
	{Name: "registry-username", Description: "The user name for the image's registry (parent and child mode; in all mode log in with docker/login-action). Tried after the Docker config's credentials and only with the image's own registry."},
	{Name: "registry-password", Description: "The password or token for registry-username; masked like github-token and never printed."},
	{Name: "report-file", Set: func(c *Config, v string) error { c.ReportFile = v; return nil }, Description: "The file to write the full report to, as JSON: report mode's (the schema is internal/report/report.schema.json in dfiu's repository; default dfiu-report.json), or the other modes' {pull_requests, coverage} (default: a new file in RUNNER_TEMP). The report-file output names it."},
	{Name: "fail-on-error", Set: boolean(func(c *Config) *bool { return &c.FailOnError }), Default: "true", Bool: true, Description: "Exit non-zero when any repository failed (after processing all the others)."},
}

// Outputs lists every output, in the order action.yml declares them.
var Outputs = []Output{
	{Name: "pull-requests", Description: "A JSON array with one object per repository and image: {repository, image, number, url, action (created, updated, unchanged, skipped, failed, deferred; in a dry run \"would create\" or \"would update\"), files, from, to, reason}."},
	{Name: "changed-count", Description: "How many pull requests were created or updated (or would be, in a dry run)."},
	{Name: "skipped-count", Description: "How many repositories were skipped."},
	{Name: "failed-count", Description: "How many repositories failed."},
	{Name: "deferred-count", Description: "How many repositories were left for a later run because the time-budget ran out."},
	{Name: "report", Description: "report mode: the totals as JSON: per image its tag and adoption (repositories and files on the tag, percent), references by state, opt-outs and open pull requests."},
	{Name: "report-file", Description: "The path of the JSON file holding the full report, whatever its size, for actions/upload-artifact: in report mode the rollout report, in the other modes {pull_requests, coverage}. pull-requests and the job summary are shortened to stay within GitHub's limits (1 MB for a job's outputs, 1 MiB per step summary): past about 400 KB, pull-requests keeps the failed, then the changed results."},
	{Name: "coverage", Description: "A JSON array with one object per org saying what discovery saw: {org, method (search or scan), repositories_listed, repositories_searched, repositories_scanned, repositories_unchanged, repositories_not_scanned, files_read, files_skipped (by reason: too large, binary or not UTF-8, not UTF-8), unseen (what could not be seen, and why), complete}. A search is never complete: code search has blind spots no answer reveals."},
}

// The setters of the table's inputs.

var (
	setMode      = oneOf(func(c *Config) *update.Mode { return &c.Mode }, update.ModeParent, update.ModeChild, update.ModeAll, update.ModeReport)
	setDiscovery = oneOf(func(c *Config) *update.Discovery { return &c.Discovery }, update.DiscoverSearch, update.DiscoverScan, update.DiscoverAuto)
)

// oneOf sets field to the value, case-insensitively one of values.
func oneOf[T ~string](field func(*Config) *T, values ...T) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, x := range values {
			if strings.EqualFold(v, string(x)) {
				*field(c) = x
				return nil
			}
		}
		names := make([]string, len(values))
		for i, x := range values {
			names[i] = string(x)
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(names, ", "))
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "true", "yes", "1", "on":
			*field(c) = true
		case "false", "no", "0", "off", "":
			*field(c) = false
		default:
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
		return nil
	}
}

func integer(min, max int, field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return fmt.Errorf("%q is not a whole number from %d to %d", v, min, max)
		}
		*field(c) = n
		return nil
	}
}

func list(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = List(v)
		return nil
	}
}

func setExcludeRepos(c *Config, v string) error {
	var errs []error
	for _, g := range List(v) {
		g = strings.ToLower(g)
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("glob %q: %w", g, err))
			continue
		}
		c.ExcludeRepos = append(c.ExcludeRepos, g)
	}
	return errors.Join(errs...)
}

func setFileTypes(c *Config, v string) error {
	var errs []error
	for _, t := range List(v) {
		var k dockerfile.Kind
		switch strings.ToLower(t) {
		case "dockerfile":
			k = dockerfile.KindDockerfile
		case "compose":
			k = dockerfile.KindCompose
		default:
			errs = append(errs, fmt.Errorf("%q is not dockerfile or compose", t))
			continue
		}
		if !slices.Contains(c.Kinds, k) {
			c.Kinds = append(c.Kinds, k)
		}
	}
	if len(c.Kinds) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("names no file type"))
	}
	return errors.Join(errs...)
}

// setBranchPrefix drops one trailing "/" (the separator dfiu adds) and
// checks the prefix with a one-letter slug appended; resolve checks it
// again with the image's own slug when there is one.
func setBranchPrefix(c *Config, v string) error {
	c.BranchPrefix = strings.TrimSuffix(v, "/")
	return checkBranch(c.BranchPrefix, "x")
}

// checkBranch checks the branch <prefix>/<slug> as git check-ref-format
// --branch does. A prefix that starts with refs/ is refused too: GitHub
// would create refs/heads/refs/heads/….
func checkBranch(prefix, slug string) error {
	if strings.HasPrefix(prefix, "refs/") {
		return fmt.Errorf("%q starts with refs/: give the branch name only (branches are named <branch-prefix>/<image-slug>)", prefix)
	}
	if err := gitref.CheckBranch(prefix + "/" + slug); err != nil {
		return fmt.Errorf("%q: the branch %q is not a valid git branch name: it %w", prefix, prefix+"/"+slug, err)
	}
	return nil
}

func setTeamReviewers(c *Config, v string) error {
	c.TeamReviewers = List(v)
	var errs []error
	for _, r := range c.TeamReviewers {
		if strings.Count(r, "/") > 1 {
			errs = append(errs, fmt.Errorf("%q is not a team slug or org/slug", r))
		}
	}
	return errors.Join(errs...)
}

func setAutoMerge(c *Config, v string) error {
	switch a := strings.ToLower(v); a {
	case "off", "false", "":
	case "merge", "squash", "rebase":
		c.AutoMerge = strings.ToUpper(a)
	default:
		return fmt.Errorf("%q is not one of off, merge, squash, rebase", v)
	}
	return nil
}

// setWriteLimits reads write-limits: COUNT/DURATION items, e.g.
// "80/1m,500/1h" (a bare unit such as "m" means one of it).
func setWriteLimits(c *Config, v string) error {
	var errs []error
	for _, item := range List(v) {
		n, per, ok := strings.Cut(item, "/")
		count, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || count < 1 {
			errs = append(errs, fmt.Errorf("%q is not COUNT/DURATION with a whole COUNT of at least 1, e.g. 80/1m", item))
			continue
		}
		per = strings.TrimSpace(per)
		if per == "h" || per == "m" || per == "s" {
			per = "1" + per
		}
		d, err := time.ParseDuration(per)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%q: %q is not a positive duration such as 1m or 1h", item, per))
			continue
		}
		if d < time.Millisecond {
			errs = append(errs, fmt.Errorf("%q: a span under a millisecond is not a limit", item))
			continue
		}
		c.WriteLimits = append(c.WriteLimits, gh.WriteLimit{N: count, Per: d})
	}
	if len(c.WriteLimits) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("names no limit; want e.g. 80/1m,500/1h"))
	}
	return errors.Join(errs...)
}

func setTimeBudget(c *Config, v string) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive Go duration such as 45m or 5h30m", v)
	}
	c.TimeBudget = d
	return nil
}

func setFloatingTags(c *Config, v string) error {
	f, err := dockerfile.ParseFloatingTags(strings.ToLower(v))
	if err != nil {
		return fmt.Errorf("%q is not skip or pin", v)
	}
	c.FloatingTags = f
	return nil
}

func setTagFilter(c *Config, v string) error {
	if v == "" {
		return nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		return fmt.Errorf("%q is not a regular expression: %w", v, err)
	}
	c.TagFilter = re
	return nil
}
