package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// readOnlyToken may read every repository of the demo organisation and
// write none.
const readOnlyToken = "ghp_readONLYtoken0123456789abcdefABCD"

// closedURL returns the URL of a loopback port that nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// TestBadInputs runs the action, through its entry point and against the
// simulator, with one bad input at a time, over every input: each run must
// fail with exit status 2 and an error annotation naming the input, and
// the simulator must count no write. Inputs that only GitHub can judge (an
// organisation that does not exist, a store on a missing branch, a token
// GitHub refuses, an endpoint that does not answer) are caught by the
// preflight, with two reads and still no write.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.World().AddToken(readOnlyToken, "reader", state.PermRead, nil)
	closed := closedURL(t)
	// A server that is not GitHub, as a mistyped GraphQL URL may reach.
	other := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(other.Close)

	all := func(in map[string]string) map[string]string {
		base := map[string]string{"mode": "all", "store": demo.Store}
		for k, v := range in {
			base[k] = v
		}
		return base
	}
	child := func(in map[string]string) map[string]string {
		base := map[string]string{"mode": "child", "repository": demo.Org + "/api", "image": demo.Image, "tag": "1.0"}
		for k, v := range in {
			base[k] = v
		}
		return base
	}
	parent := func(in map[string]string) map[string]string {
		base := parentInputs()
		for k, v := range in {
			base[k] = v
		}
		return base
	}
	tests := []struct {
		name   string
		input  string // the input the error must name
		inputs map[string]string
		env    map[string]string // extra environment, "" values delete
		want   string            // a fragment of the message, besides the input's name
	}{
		{"mode unknown", "mode", parent(map[string]string{"mode": "sideways"}), nil, "not one of parent, child, all"},
		{"mode misspelt", "mode", parent(map[string]string{"mode": "parents"}), nil, "not one of"},
		{"mode with a space", "mode", parent(map[string]string{"mode": "chi ld"}), nil, "not one of"},

		{"image missing in parent", "image", parent(map[string]string{"image": ""}), nil, "required in parent mode"},
		{"image missing in child", "image", child(map[string]string{"image": ""}), nil, "required in child mode"},
		{"image upper case", "image", parent(map[string]string{"image": "Acme/Base"}), nil, ""},
		{"image with a space", "image", parent(map[string]string{"image": "acme/ba se"}), nil, ""},
		{"image with a tag", "image", parent(map[string]string{"image": "ghcr.io/acme/base:1.3"}), nil, ""},
		{"image with a digest", "image", parent(map[string]string{"image": "ghcr.io/acme/base@sha256:" + strings.Repeat("a", 64)}), nil, ""},
		{"image in all mode", "image", all(map[string]string{"image": demo.Image}), nil, "not used in all mode"},

		{"tag missing in parent", "tag", parent(map[string]string{"tag": ""}), nil, "required in parent mode"},
		{"tag missing in child", "tag", child(map[string]string{"tag": ""}), nil, "required in child mode"},
		{"tag with a space", "tag", parent(map[string]string{"tag": "1 3"}), nil, "not a valid tag"},
		{"tag with a leading dash", "tag", parent(map[string]string{"tag": "-1.3"}), nil, "not a valid tag"},
		{"tag too long", "tag", parent(map[string]string{"tag": strings.Repeat("a", 129)}), nil, "not a valid tag"},
		{"tag with a newline", "tag", parent(map[string]string{"tag": "1.3\nRUN curl x | sh"}), nil, "not a valid tag"},
		{"tag in all mode", "tag", all(map[string]string{"tag": "1.3"}), nil, "not used in all mode"},

		{"digest short", "digest", parent(map[string]string{"digest": "sha256:abc"}), nil, "sha256:<64"},
		{"digest other algorithm", "digest", parent(map[string]string{"digest": "md5:" + strings.Repeat("a", 32)}), nil, "sha256:<64"},
		{"digest upper case", "digest", parent(map[string]string{"digest": "sha256:" + strings.Repeat("A", 64)}), nil, "sha256:<64"},
		{"digest in all mode", "digest", all(map[string]string{"digest": "sha256:" + strings.Repeat("a", 64)}), nil, "not used in all mode"},

		{"repository in parent mode", "repository", parent(map[string]string{"repository": "acme/api"}), nil, "only used in child mode"},
		{"repository missing in child", "repository", child(map[string]string{"repository": ""}), nil, "required in child mode"},
		{"repository without owner", "repository", child(map[string]string{"repository": "api"}), nil, "not owner/name"},
		{"repository with a path", "repository", child(map[string]string{"repository": "acme/api/x"}), nil, "not owner/name"},
		{"repository that does not exist", "repository", child(map[string]string{"repository": "acme/no-such-repo"}), nil, "does not exist"},

		{"store without a repository", "store", parent(map[string]string{"store": "not-a-store"}), nil, ""},
		{"store with an empty repository", "store", parent(map[string]string{"store": "acme/"}), nil, ""},
		{"store path with ..", "store", parent(map[string]string{"store": "acme/dfiu-store/a/../store.json"}), nil, ""},
		{"store with an empty branch", "store", parent(map[string]string{"store": "acme/dfiu-store@"}), nil, "empty branch"},
		{"store with a bad branch", "store", parent(map[string]string{"store": "acme/dfiu-store@a..b"}), nil, "not a valid branch name"},
		{"store missing in all mode", "store", all(map[string]string{"store": ""}), nil, "required in all mode"},
		{"store repository that does not exist", "store", parent(map[string]string{"store": "acme/no-such-store"}), nil, "does not exist"},
		{"store repository that does not exist, all mode", "store", all(map[string]string{"store": "acme/no-such-store"}), nil, "does not exist"},
		{"store branch that does not exist", "store", parent(map[string]string{"store": demo.Store + "@no-such-branch"}), nil, `branch "no-such-branch" does not exist`},
		{"store branch that does not exist, all mode", "store", all(map[string]string{"store": demo.Store + "@no-such-branch"}), nil, `branch "no-such-branch" does not exist`},
		{"store file that does not exist, all mode", "store", all(map[string]string{"store": demo.Store + "/typo.json"}), nil, "typo.json does not exist"},
		{"store owner that does not exist", "store", parent(map[string]string{"store": "no-such-owner/store"}), nil, "does not exist"},
		{"store in an archived repository", "store", parent(map[string]string{"store": demo.Org + "/archive"}), nil, "archived"},

		{"orgs with a space", "orgs", parent(map[string]string{"orgs": "ac me"}), nil, "not an organisation"},
		{"orgs with a leading dash", "orgs", parent(map[string]string{"orgs": "-acme"}), nil, "not an organisation"},
		{"orgs with a slash", "orgs", parent(map[string]string{"orgs": "acme/api"}), nil, "not an organisation"},
		{"orgs empty without GITHUB_REPOSITORY_OWNER", "orgs", parent(nil), map[string]string{"GITHUB_REPOSITORY_OWNER": ""}, "is empty"},
		{"orgs naming one that does not exist", "orgs", parent(map[string]string{"orgs": demo.Org + ",no-such-org"}), nil, `"no-such-org" is not an organisation or user on GitHub`},
		{"orgs that does not exist, all mode", "orgs", all(map[string]string{"orgs": "no-such-org"}), nil, "not an organisation or user on GitHub"},

		{"exclude-repos bad glob", "exclude-repos", parent(map[string]string{"exclude-repos": "acme/[x"}), nil, "glob"},
		{"exclude-repos lone bracket", "exclude-repos", parent(map[string]string{"exclude-repos": "["}), nil, "glob"},

		{"include-forks not a boolean", "include-forks", parent(map[string]string{"include-forks": "maybe"}), nil, "not a boolean"},
		{"include-forks a number", "include-forks", parent(map[string]string{"include-forks": "2"}), nil, "not a boolean"},

		{"file-types unknown", "file-types", parent(map[string]string{"file-types": "dockerfile,helm"}), nil, `"helm" is not dockerfile or compose`},
		{"file-types only commas", "file-types", parent(map[string]string{"file-types": ","}), nil, "names no file type"},
		{"file-types yaml", "file-types", parent(map[string]string{"file-types": "yaml"}), nil, "not dockerfile or compose"},

		{"dry-run not a boolean", "dry-run", parent(map[string]string{"dry-run": "perhaps"}), nil, "not a boolean"},

		{"branch-prefix with ..", "branch-prefix", parent(map[string]string{"branch-prefix": "a..b"}), nil, "not a valid git branch name"},
		{"branch-prefix with a space", "branch-prefix", parent(map[string]string{"branch-prefix": "a b"}), nil, "not a valid git branch name"},
		{"branch-prefix only a slash", "branch-prefix", parent(map[string]string{"branch-prefix": "/"}), nil, "not a valid git branch name"},
		{"branch-prefix with a tilde", "branch-prefix", parent(map[string]string{"branch-prefix": "a~1"}), nil, "not a valid git branch name"},

		{"pr-title unknown field", "pr-title", parent(map[string]string{"pr-title": "{{.NoSuchField}}"}), nil, "NoSuchField"},
		{"pr-title does not parse", "pr-title", parent(map[string]string{"pr-title": "{{"}), nil, ""},
		{"pr-body unknown field", "pr-body", parent(map[string]string{"pr-body": "{{.Nope}}"}), nil, "Nope"},
		{"pr-body stray end", "pr-body", parent(map[string]string{"pr-body": "{{end}}"}), nil, ""},
		{"commit-message unknown field", "commit-message", parent(map[string]string{"commit-message": "{{.Bad}}"}), nil, "Bad"},

		{"team-reviewers with two slashes", "team-reviewers", parent(map[string]string{"team-reviewers": "acme/a/b"}), nil, "not a team slug"},
		{"draft not a boolean", "draft", parent(map[string]string{"draft": "sometimes"}), nil, "not a boolean"},
		{"auto-merge unknown", "auto-merge", parent(map[string]string{"auto-merge": "always"}), nil, "not one of off, merge, squash, rebase"},
		{"allow-downgrade not a boolean", "allow-downgrade", parent(map[string]string{"allow-downgrade": "nah"}), nil, "not a boolean"},
		{"tag-filter unbalanced", "tag-filter", parent(map[string]string{"tag-filter": "("}), nil, "not a regular expression"},
		{"tag-filter open class", "tag-filter", parent(map[string]string{"tag-filter": "[a-"}), nil, "not a regular expression"},

		{"max-prs negative", "max-prs", parent(map[string]string{"max-prs": "-1"}), nil, "not a whole number"},
		{"max-prs a word", "max-prs", parent(map[string]string{"max-prs": "lots"}), nil, "not a whole number"},
		{"max-prs a fraction", "max-prs", parent(map[string]string{"max-prs": "1.5"}), nil, "not a whole number"},
		{"max-images negative", "max-images", all(map[string]string{"max-images": "-1"}), nil, "not a whole number"},
		{"max-images exceeded by the store", "max-images", all(map[string]string{"max-images": "1"}), nil, "the store holds 2 images, more than the 1 allowed"},
		{"concurrency zero", "concurrency", parent(map[string]string{"concurrency": "0"}), nil, "from 1 to 32"},
		{"concurrency too high", "concurrency", parent(map[string]string{"concurrency": "33"}), nil, "from 1 to 32"},
		{"concurrency a word", "concurrency", parent(map[string]string{"concurrency": "lots"}), nil, "not a whole number"},

		{"github-token empty", "github-token", parent(map[string]string{"github-token": ""}), map[string]string{"GITHUB_TOKEN": ""}, "is empty"},
		{"github-token unknown", "github-token", parent(map[string]string{"github-token": "ghp_unknownTOKEN0123456789abcdefABCDEF"}), nil, "unknown, revoked or expired"},
		{"github-token unknown, all mode", "github-token", all(map[string]string{"github-token": "ghp_unknownTOKEN0123456789abcdefABCDEF"}), nil, "401 Bad credentials"},
		{"github-token read-only on the store", "github-token", parent(map[string]string{"github-token": readOnlyToken}), nil, "lacks a permission: it may only read the store's repository"},

		{"github-api-url not http", "github-api-url", parent(map[string]string{"github-api-url": "ftp://example.com"}), nil, "not an http(s) URL"},
		{"github-api-url no host", "github-api-url", parent(map[string]string{"github-api-url": "https://"}), nil, "not an http(s) URL"},
		{"github-api-url closed port", "github-api-url", parent(map[string]string{"github-api-url": closed}), nil, "connection refused"},
		{"github-api-url not GitHub", "github-api-url", parent(map[string]string{"github-api-url": other.URL}), nil, "does not answer as GitHub does"},
		{"github-api-url closed port, all mode", "github-api-url", all(map[string]string{"github-api-url": closed}), nil, "connection refused"},
		{"github-graphql-url not http", "github-graphql-url", parent(map[string]string{"github-graphql-url": "mailto:x@example.com"}), nil, "not an http(s) URL"},
		{"github-graphql-url closed port", "github-graphql-url", parent(map[string]string{"github-graphql-url": closed + "/graphql"}), nil, "connection refused"},
		{"github-graphql-url not GraphQL", "github-graphql-url", parent(map[string]string{"github-graphql-url": other.URL + "/graphql"}), nil, "does not answer as GitHub does"},

		{"fail-on-error not a boolean", "fail-on-error", parent(map[string]string{"fail-on-error": "sure"}), nil, "not a boolean"},
	}
	if len(tests) < 60 {
		t.Fatalf("%d cases, want at least 60", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := h.actionEnv(nil)
			for k, v := range tt.inputs {
				env["INPUT_"+strings.ToUpper(k)] = strings.ReplaceAll(v, "URL", h.url)
			}
			for k, v := range tt.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			clk := clock.NewFake(fast().Clock.Now())
			before := h.srv.Stats()
			r := h.exec(nil, env, true, actionDeps{Clock: clk})
			after := h.srv.Stats()
			if n := after.Writes - before.Writes; n != 0 {
				t.Errorf("%d writes", n)
			}
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d", r.code, ExitUsage)
			}
			var named bool
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(line, "::error::input \""+tt.input+"\": ") && strings.Contains(line, tt.want) {
					named = true
				}
			}
			if !named {
				t.Errorf("no error annotation naming input %q with %q; stdout:\n%s", tt.input, tt.want, r.stdout)
			}
			// An endpoint that does not answer fails at once: no retry
			// waits on the clock.
			if s := clk.Sleeps(); len(s) != 0 {
				t.Errorf("waited %v before failing", s)
			}
			if r.outputs["pull-requests"] != "" {
				t.Errorf("outputs set: %v", r.outputs)
			}
		})
	}
}

// TestReadOnlyToken: a token that may only read exits 0 only when no
// repository needed a change; otherwise every repository it could not
// update fails, with an error annotation naming github-token.
func TestReadOnlyToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.World().AddToken(readOnlyToken, "reader", state.PermRead, nil)
	do := func(tag string) run {
		env := h.actionEnv(map[string]string{"mode": "parent", "image": "node", "tag": tag, "github-token": readOnlyToken,
			"verify-tag": "false", "resolve-digest": "false"})
		return h.exec(nil, env, true, fast())
	}
	before := h.srv.Stats()
	nothing := do("20") // web and fullstack are on node:20 already
	if nothing.code != ExitOK || strings.Contains(nothing.stdout, "::error") {
		t.Errorf("nothing to do: exit %d, stdout:\n%s", nothing.code, nothing.stdout)
	}
	work := do(demo.NodeTag)
	if work.code != ExitFailure {
		t.Errorf("changes needed: exit %d, want %d", work.code, ExitFailure)
	}
	var errs int
	for _, line := range strings.Split(work.stdout, "\n") {
		if strings.HasPrefix(line, "::error title=dfiu%3A acme/") && strings.Contains(line, "github-token may only read") {
			errs++
		}
	}
	if errs != 2 || work.outputs["failed-count"] != "2" {
		t.Errorf("%d error annotations, failed-count %s; want 2 (web, fullstack):\n%s", errs, work.outputs["failed-count"], work.stdout)
	}
	if n := h.srv.Stats().Writes - before.Writes; n != 0 {
		t.Errorf("%d writes with a read-only token", n)
	}
}

// TestMissingStoreFileIsCreatedInParentMode: in parent mode a store path
// that does not exist yet is a note, and the file is created.
func TestMissingStoreFileIsCreatedInParentMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := parentInputs()
	in["store"] = demo.Store + "/images/new.json"
	r := h.exec(nil, h.actionEnv(in), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.summary, "images/new.json does not exist in "+demo.Store+" on branch main; it is created") {
		t.Errorf("summary lacks the note:\n%s", r.summary)
	}
	files, _ := h.srv.RepoFiles(demo.Org, "dfiu-store", "")
	if !strings.Contains(files["images/new.json"], `"`+demo.Image+`": "`+demo.NewTag+`"`) {
		t.Errorf("images/new.json = %q", files["images/new.json"])
	}
}

// forbidRepo answers every GraphQL mutation naming repo as GitHub answers
// a token without the permission: 200, data null, an error of type
// FORBIDDEN ("Resource not accessible by integration" is what an App
// installation token gets).
func forbidRepo(repo string) func(http.Handler) http.Handler {
	return answerMutations(repo, http.StatusOK, `{"data":null,"errors":[{"type":"FORBIDDEN","path":["createRef"],"message":"Resource not accessible by integration"}]}`)
}

// TestPermissionRefusedMidRunNamesTheToken: a repository where GitHub
// refuses the token a permission fails with a reason naming github-token.
func TestPermissionRefusedMidRunNamesTheToken(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, ghsim.Options{Middleware: forbidRepo("acme/api")})
	r := h.exec(nil, h.actionEnv(parentInputs()), true, fast())
	p := pullRequests(t, r)["acme/api "+demo.Image]
	if p.Action != "failed" || !strings.HasPrefix(p.Reason, "github-token lacks a permission (it needs Contents and Pull requests: write): ") ||
		!strings.Contains(p.Reason, "Resource not accessible by integration") {
		t.Errorf("api = %+v", p)
	}
	if !strings.Contains(r.stdout, "::error title=dfiu%3A acme/api failed::acme/api: "+demo.Image+" not updated to "+demo.NewTag+": github-token lacks a permission") {
		t.Errorf("no error annotation naming github-token:\n%s", r.stdout)
	}
}
