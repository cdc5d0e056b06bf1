package config

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/update"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromActionReadsRunnerEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"INPUT_MODE":               "parent",
		"INPUT_IMAGE":              "ghcr.io/acme/base",
		"INPUT_TAG":                "1.3",
		"INPUT_EXCLUDE-REPOS":      "acme/Legacy-*\nacme/old",
		"INPUT_INCLUDE-FORKS":      "true",
		"INPUT_FILE-TYPES":         "compose",
		"INPUT_LABELS":             "deps, docker",
		"INPUT_AUTO-MERGE":         "squash",
		"INPUT_MAX-PRS":            "5",
		"INPUT_GITHUB-TOKEN":       "tok",
		"INPUT_TAG-FILTER":         "-slim$",
		"INPUT_FLOATING-TAGS":      "Pin",
		"GITHUB_REPOSITORY_OWNER":  "acme",
		"GITHUB_API_URL":           "https://ghe.example/api/v3",
		"GITHUB_GRAPHQL_URL":       "https://ghe.example/api/graphql",
		"INPUT_FAIL-ON-ERROR":      "false",
		"INPUT_TEAM-REVIEWERS":     "platform",
		"INPUT_BRANCH-PREFIX":      "deps/",
		"INPUT_UNRELATED-VARIABLE": "x",
	}
	c, err := FromAction(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"mode", c.Mode, update.ModeParent},
		{"image", c.Target.Image.String(), "ghcr.io/acme/base"},
		{"orgs", c.Orgs, []string{"acme"}},
		{"exclude-repos", c.ExcludeRepos, []string{"acme/legacy-*", "acme/old"}},
		{"include-forks", c.IncludeForks, true},
		{"file-types", c.Kinds, []dockerfile.Kind{dockerfile.KindCompose}},
		{"labels", c.Labels, []string{"deps", "docker"}},
		{"auto-merge", c.AutoMerge, "SQUASH"},
		{"max-prs", c.MaxPRs, 5},
		{"concurrency", c.Concurrency, 4},
		{"api", c.APIURL, "https://ghe.example/api/v3"},
		{"graphql", c.GraphQLURL, "https://ghe.example/api/graphql"},
		{"fail-on-error", c.FailOnError, false},
		{"branch-prefix", c.BranchPrefix, "deps"},
		{"tag-filter", c.TagFilter.String(), "-slim$"},
		{"floating-tags", c.FloatingTags, dockerfile.FloatingPin},
		{"pr-title", c.Templates.Title.Root.String(), update.DefaultPRTitle},
	}
	for _, ck := range checks {
		if diff := cmp.Diff(ck.want, ck.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ck.name, diff)
		}
	}
	if !update.MatchAny(c.ExcludeRepos, "ACME/legacy-web") || update.MatchAny(c.ExcludeRepos, "acme/web") {
		t.Errorf("Excluded: legacy-web should match acme/legacy-*, web should not")
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := FromAction(envOf(map[string]string{
		"INPUT_IMAGE": "ubuntu", "INPUT_TAG": "24.04", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY_OWNER": "acme",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != update.ModeParent || c.APIURL != DefaultAPIURL || c.GraphQLURL != DefaultGraphQLURL || !c.FailOnError ||
		c.BranchPrefix != "dfiu" || c.IgnoreComment != "no-dfiu" || c.AutoMerge != "" || c.Token != "t" ||
		len(c.Kinds) != 2 || c.DryRun || c.Draft || c.FloatingTags != dockerfile.FloatingSkip {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestWriteLimitsAndTimeBudget: the defaults are GitHub's content limits
// and 5h30m; other values are read as given.
func TestWriteLimitsAndTimeBudget(t *testing.T) {
	t.Parallel()
	base := map[string]string{"INPUT_IMAGE": "ubuntu", "INPUT_TAG": "24.04", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY_OWNER": "acme"}
	c, err := FromAction(envOf(base))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(gh.DefaultWriteLimits, c.WriteLimits); diff != "" {
		t.Errorf("default write-limits (-want +got):\n%s", diff)
	}
	if c.TimeBudget != 5*time.Hour+30*time.Minute {
		t.Errorf("default time-budget %s, want 5h30m", c.TimeBudget)
	}
	base["INPUT_WRITE-LIMITS"] = "80/1s, 500/60s,20/m"
	base["INPUT_TIME-BUDGET"] = "45m"
	if c, err = FromAction(envOf(base)); err != nil {
		t.Fatal(err)
	}
	want := []gh.WriteLimit{{N: 80, Per: time.Second}, {N: 500, Per: time.Minute}, {N: 20, Per: time.Minute}}
	if diff := cmp.Diff(want, c.WriteLimits); diff != "" {
		t.Errorf("write-limits (-want +got):\n%s", diff)
	}
	if c.TimeBudget != 45*time.Minute {
		t.Errorf("time-budget %s, want 45m", c.TimeBudget)
	}
}

func TestGraphQLURLDerivedFromAPIURL(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]string{
		"https://ghe.example/api/v3":  "https://ghe.example/api/graphql",
		"https://ghe.example/api/v3/": "https://ghe.example/api/graphql",
		"https://api.github.com":      "https://api.github.com/graphql",
	} {
		c, err := FromFlags("parent", []string{"--image", "x", "--tag", "1", "--orgs", "acme", "--github-token", "t", "--github-api-url", api}, envOf(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.GraphQLURL != want {
			t.Errorf("api %q: GraphQL URL %q, want %q", api, c.GraphQLURL, want)
		}
	}
}

func TestFromFlags(t *testing.T) {
	t.Parallel()
	c, err := FromFlags("child", []string{"--image", "ubuntu", "--tag=24.04", "--repository", "acme/svc", "--dry-run", "--github-token", "x", "--draft=true"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != update.ModeChild || c.Repository != "acme/svc" || !c.DryRun || !c.Draft || c.Token != "x" {
		t.Errorf("flags not applied: %+v", c)
	}
	if _, err := FromFlags("parent", []string{"--nope"}, envOf(nil), io.Discard); err == nil {
		t.Error("unknown flag accepted")
	}
}

// TestBadInputsNameTheInput checks that each bad input gives an
// *InputError naming it.
func TestBadInputsNameTheInput(t *testing.T) {
	t.Parallel()
	base := map[string]string{"INPUT_IMAGE": "ubuntu", "INPUT_TAG": "24.04", "INPUT_GITHUB-TOKEN": "t", "INPUT_ORGS": "acme"}
	tests := []struct {
		input string
		env   map[string]string
	}{
		{"mode", map[string]string{"INPUT_MODE": "sideways"}},
		{"image", map[string]string{"INPUT_IMAGE": "Ubuntu"}},
		{"image", map[string]string{"INPUT_IMAGE": "ubuntu:22.04"}},
		{"image", map[string]string{"INPUT_IMAGE": ""}},
		{"tag", map[string]string{"INPUT_TAG": "bad tag"}},
		{"digest", map[string]string{"INPUT_DIGEST": "sha256:xyz"}},
		{"repository", map[string]string{"INPUT_MODE": "child"}},
		{"repository", map[string]string{"INPUT_REPOSITORY": "acme/x"}},
		{"store", map[string]string{"INPUT_MODE": "all", "INPUT_IMAGE": "", "INPUT_TAG": ""}},
		{"image", map[string]string{"INPUT_MODE": "all", "INPUT_STORE": "acme/s"}},
		{"orgs", map[string]string{"INPUT_ORGS": "not an org"}},
		{"orgs", map[string]string{"INPUT_ORGS": ""}},
		{"exclude-repos", map[string]string{"INPUT_EXCLUDE-REPOS": "acme/[x"}},
		{"include-forks", map[string]string{"INPUT_INCLUDE-FORKS": "maybe"}},
		{"file-types", map[string]string{"INPUT_FILE-TYPES": "helm"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "a b"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "refs/heads/x"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "-x"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "x.lock"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": ".hidden"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "x/.hidden"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "x@{1}"}},
		{"branch-prefix", map[string]string{"INPUT_BRANCH-PREFIX": "x//"}},
		{"auto-merge", map[string]string{"INPUT_AUTO-MERGE": "yes"}},
		{"tag-filter", map[string]string{"INPUT_TAG-FILTER": "("}},
		{"floating-tags", map[string]string{"INPUT_FLOATING-TAGS": "always"}},
		{"max-prs", map[string]string{"INPUT_MAX-PRS": "-1"}},
		{"concurrency", map[string]string{"INPUT_CONCURRENCY": "0"}},
		{"concurrency", map[string]string{"INPUT_CONCURRENCY": "many"}},
		{"github-token", map[string]string{"INPUT_GITHUB-TOKEN": ""}},
		{"github-api-url", map[string]string{"INPUT_GITHUB-API-URL": "ftp://x"}},
		{"github-graphql-url", map[string]string{"INPUT_GITHUB-GRAPHQL-URL": "not a url"}},
		{"pr-title", map[string]string{"INPUT_PR-TITLE": "Bump {{.Image"}},
		{"pr-body", map[string]string{"INPUT_PR-BODY": "{{nosuchfunc .Tag}}"}},
		{"pr-title", map[string]string{"INPUT_PR-TITLE": "{{.Digest}}"}},
		{"pr-title", map[string]string{"INPUT_PR-TITLE": "  {{/* nothing */}}\n "}},
		{"pr-title", map[string]string{"INPUT_PR-TITLE": strings.Repeat("é", 257)}},
		{"pr-title", map[string]string{"INPUT_MODE": "all", "INPUT_IMAGE": "", "INPUT_TAG": "", "INPUT_STORE": "acme/s", "INPUT_PR-TITLE": "{{.Digest}}"}},
		{"pr-body", map[string]string{"INPUT_PR-BODY": "{{range .Files}}{{printf \"%065537d\" 0}}{{end}}"}},
		{"commit-message", map[string]string{"INPUT_COMMIT-MESSAGE": "{{if .Digest}}x{{end}}"}},
		{"team-reviewers", map[string]string{"INPUT_TEAM-REVIEWERS": "a/b/c"}},
		{"write-limits", map[string]string{"INPUT_WRITE-LIMITS": "80"}},
		{"write-limits", map[string]string{"INPUT_WRITE-LIMITS": "0/1m"}},
		{"write-limits", map[string]string{"INPUT_WRITE-LIMITS": "80/1m,500/forever"}},
		{"write-limits", map[string]string{"INPUT_WRITE-LIMITS": "80/-1m"}},
		{"write-limits", map[string]string{"INPUT_WRITE-LIMITS": ", ,"}},
		{"time-budget", map[string]string{"INPUT_TIME-BUDGET": "0s"}},
		{"time-budget", map[string]string{"INPUT_TIME-BUDGET": "5 hours"}},
		{"verify-tag", map[string]string{"INPUT_VERIFY-TAG": "sometimes"}},
		{"resolve-digest", map[string]string{"INPUT_RESOLVE-DIGEST": "maybe"}},
		{"registry-password", map[string]string{"INPUT_REGISTRY-USERNAME": "bot"}},
		{"registry-username", map[string]string{"INPUT_REGISTRY-PASSWORD": "pw"}},
		{"registry-username", map[string]string{"INPUT_REGISTRY-USERNAME": "a:b", "INPUT_REGISTRY-PASSWORD": "pw"}},
		{"registry-username", map[string]string{"INPUT_MODE": "all", "INPUT_IMAGE": "", "INPUT_TAG": "", "INPUT_STORE": "acme/s", "INPUT_REGISTRY-USERNAME": "bot", "INPUT_REGISTRY-PASSWORD": "pw"}},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := FromAction(envOf(env))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("env %v: err = %v, want an *InputError", tt.env, err)
			}
			if !strings.Contains(err.Error(), `input "`+tt.input+`"`) {
				t.Errorf("env %v: error %q does not name input %q", tt.env, err, tt.input)
			}
		})
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	got := List(" a, b\n\nc ,\r\n")
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	_, err := FromAction(envOf(map[string]string{"INPUT_GITHUB-TOKEN": "ghp_secret123", "INPUT_MODE": "bad"}))
	if err == nil || strings.Contains(err.Error(), "ghp_secret123") {
		t.Errorf("err = %v; want an error without the token", err)
	}
}

// TestEveryInputErrorTogether checks that one run reports every bad input,
// the store location's included, not only the first.
func TestEveryInputErrorTogether(t *testing.T) {
	t.Parallel()
	_, err := FromAction(envOf(map[string]string{
		"INPUT_IMAGE": "Ubuntu", "INPUT_TAG": "-x", "INPUT_GITHUB-TOKEN": "t", "INPUT_ORGS": "acme",
		"INPUT_STORE": "acme", "INPUT_CONCURRENCY": "0", "INPUT_PR-TITLE": "{{.Nope}}", "INPUT_PR-BODY": "{{.Nope}}",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"image", "tag", "store", "concurrency", "pr-title", "pr-body"} {
		if !strings.Contains(err.Error(), `input "`+name+`"`) {
			t.Errorf("error does not report input %q:\n%v", name, err)
		}
	}
}

func TestStoreLocationParsed(t *testing.T) {
	t.Parallel()
	c, err := FromAction(envOf(map[string]string{"INPUT_MODE": "all", "INPUT_STORE": "acme/ops/images.json@main", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY_OWNER": "acme"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store == nil || c.Store.String() != "acme/ops/images.json@main" {
		t.Errorf("store = %v, want acme/ops/images.json@main", c.Store)
	}
}

func TestRegistryInputs(t *testing.T) {
	t.Parallel()
	base := map[string]string{"INPUT_IMAGE": "ghcr.io/acme/base", "INPUT_TAG": "1.3", "INPUT_GITHUB-TOKEN": "t", "INPUT_ORGS": "acme"}
	c, err := FromAction(envOf(base))
	if err != nil {
		t.Fatal(err)
	}
	if !c.VerifyTag || !c.ResolveDigest || c.RegistryUsername != "" || c.RegistryPassword != "" {
		t.Errorf("defaults: verify-tag %v, resolve-digest %v, login %q/%q; want true, true and none", c.VerifyTag, c.ResolveDigest, c.RegistryUsername, c.RegistryPassword)
	}
	env := map[string]string{"INPUT_VERIFY-TAG": "false", "INPUT_RESOLVE-DIGEST": "false", "INPUT_REGISTRY-USERNAME": "bot", "INPUT_REGISTRY-PASSWORD": "s3cret"}
	for k, v := range base {
		env[k] = v
	}
	if c, err = FromAction(envOf(env)); err != nil {
		t.Fatal(err)
	}
	if c.VerifyTag || c.ResolveDigest || c.RegistryUsername != "bot" || c.RegistryPassword != "s3cret" {
		t.Errorf("verify-tag %v, resolve-digest %v, login %q; want false, false, bot", c.VerifyTag, c.ResolveDigest, c.RegistryUsername)
	}
}

func TestRegistryPasswordNeverInErrors(t *testing.T) {
	t.Parallel()
	_, err := FromAction(envOf(map[string]string{"INPUT_MODE": "all", "INPUT_STORE": "acme/s", "INPUT_GITHUB-TOKEN": "t", "INPUT_ORGS": "acme",
		"INPUT_REGISTRY-USERNAME": "bot", "INPUT_REGISTRY-PASSWORD": "regSECRET123"}))
	if err == nil || strings.Contains(err.Error(), "regSECRET123") {
		t.Errorf("err = %v; want an error without the password", err)
	}
}
