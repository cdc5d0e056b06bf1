package config

// Input describes one action input. The same table drives the environment
// reader, the command-line flags, action.yml and the documentation, so they
// cannot drift apart (a test compares them).
type Input struct {
	Name        string
	Description string
	// Default is the value used when the input is empty. ActionDefault, when
	// set, is what action.yml declares instead (a workflow expression the
	// runner evaluates, such as "${{ github.token }}").
	Default       string
	ActionDefault string
	Bool          bool // a flag that may be given without a value
}

// Output describes one action output.
type Output struct {
	Name        string
	Description string
}

// Inputs lists every input, in the order action.yml declares them.
var Inputs = []Input{
	{Name: "mode", Default: "parent", Description: "What to do: parent (record image:tag in the store and open PRs wherever the image is used), child (bump one repository, given by repository) or all (open PRs wherever a file deviates from the store)."},
	{Name: "image", Description: "The image repository to bump, without tag or digest, e.g. ubuntu or ghcr.io/acme/base. Required in parent and child mode."},
	{Name: "tag", Description: "The new tag, e.g. 24.04. Required in parent and child mode."},
	{Name: "digest", Description: "Optional sha256:<64 hex> digest of the new tag. References pinned by digest are re-pinned as name:tag@digest; without it they are skipped with a warning."},
	{Name: "repository", Description: "child mode only: the repository to bump, as owner/name."},
	{Name: "store", Description: "The image-to-tag store: owner/repo[/path][@branch], path defaulting to store.json. Optional in parent and child mode (recorded when given), required in all mode."},
	{Name: "orgs", Description: "Organisations (or users) to search, separated by commas or newlines. Defaults to GITHUB_REPOSITORY_OWNER."},
	{Name: "exclude-repos", Description: "Repositories to leave alone: globs on owner/name (path.Match syntax, case-insensitive), separated by commas or newlines, e.g. acme/legacy-*."},
	{Name: "include-forks", Default: "false", Bool: true, Description: "Also open PRs in forks."},
	{Name: "file-types", Default: "dockerfile,compose", Description: "Which files to rewrite: dockerfile, compose, or both, separated by commas."},
	{Name: "dry-run", Default: "false", Bool: true, Description: "Make no changes at all: print the plan with diffs and report what would be created or updated."},
	{Name: "branch-prefix", Default: "dfiu", Description: "Branches are named <branch-prefix>/<image-slug>, e.g. dfiu/ghcr.io-acme-base."},
	{Name: "pr-title", Default: DefaultPRTitle, Description: "Pull request title, a Go text/template (fields: .Image, .Tag, .Digest, .Ref, .From, .Repository, .Files, .Branch)."},
	{Name: "pr-body", Default: DefaultPRBody, Description: "Pull request body, a Go text/template with the same fields as pr-title."},
	{Name: "commit-message", Default: DefaultCommitMessage, Description: "Commit message, a Go text/template with the same fields as pr-title; the first line is the headline."},
	{Name: "labels", Description: "Labels to add to new pull requests, separated by commas or newlines. Labels that do not exist in a repository are skipped and reported."},
	{Name: "reviewers", Description: "Users to request reviews from on new pull requests, separated by commas or newlines."},
	{Name: "team-reviewers", Description: "Teams to request reviews from, as slugs of the repository's organisation (or org/slug), separated by commas or newlines."},
	{Name: "assignees", Description: "Users to assign to new pull requests, separated by commas or newlines."},
	{Name: "draft", Default: "false", Bool: true, Description: "Open pull requests as drafts."},
	{Name: "auto-merge", Default: "off", Description: "Enable auto-merge on new pull requests: off, merge, squash or rebase. A PR that is already mergeable (clean status) or a repository that does not allow auto-merge is reported, not failed."},
	{Name: "ignore-comment", Default: "no-dfiu", Description: "A comment line # <ignore-comment> directly above an instruction or image: key opts it out."},
	{Name: "allow-downgrade", Default: "false", Bool: true, Description: "Let a lower version tag replace a higher one (child mode always allows it)."},
	{Name: "tag-filter", Description: "A regular expression: only references whose current tag matches it are changed, e.g. -slim$."},
	{Name: "max-prs", Default: "0", Description: "The most pull requests to create or update in one run; 0 means no limit. The rest are reported skipped with reason \"max-prs reached\"."},
	{Name: "concurrency", Default: "4", Description: "How many repositories are processed at once (1 to 32)."},
	{Name: "github-token", ActionDefault: "${{ github.token }}", Description: "A token that can push to the target repositories and open pull requests: a personal access token or a GitHub App installation token (GITHUB_TOKEN can only write to the repository running the workflow). On the command line GITHUB_TOKEN is used when the flag is absent."},
	{Name: "github-api-url", Description: "The REST API base URL. Defaults to GITHUB_API_URL, then https://api.github.com (set https://HOST/api/v3 for GitHub Enterprise Server)."},
	{Name: "github-graphql-url", Description: "The GraphQL endpoint. Defaults to GITHUB_GRAPHQL_URL, then https://api.github.com/graphql (https://HOST/api/graphql on GitHub Enterprise Server)."},
	{Name: "fail-on-error", Default: "true", Bool: true, Description: "Exit non-zero when any repository failed (after processing all the others)."},
}

// Outputs lists every output, in the order action.yml declares them.
var Outputs = []Output{
	{Name: "pull-requests", Description: "A JSON array with one object per repository and image: {repository, image, number, url, action (created, updated, unchanged, skipped, failed; in a dry run \"would create\" or \"would update\"), files, from, to, reason}."},
	{Name: "changed-count", Description: "How many pull requests were created or updated (or would be, in a dry run)."},
	{Name: "skipped-count", Description: "How many repositories were skipped."},
	{Name: "failed-count", Description: "How many repositories failed."},
}

// Default templates.
const (
	DefaultPRTitle       = "Bump {{.Image}} to {{.Tag}}"
	DefaultPRBody        = "This pull request updates `{{.Image}}` to `{{.Ref}}` in:\n\n{{range .Files}}- `{{.}}`\n{{end}}{{with .From}}\nPrevious tags: {{join . \", \"}}.\n{{end}}\nOpened by dfiu. A newer tag updates this pull request instead of opening another one."
	DefaultCommitMessage = "Bump {{.Image}} to {{.Tag}}"
)

// lookupInput returns the table entry for name.
func lookupInput(name string) (Input, bool) {
	for _, in := range Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}
