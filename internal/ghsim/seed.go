package ghsim

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// Seed declares simulator state. It is the format of `dfiu sim --seed FILE`
// and of POST /_sim/seed, in YAML or JSON (ParseSeed reads both); Go tests
// build it directly and pass it to Server.Seed. Seeding adds to what exists.
type Seed struct {
	// Orgs and Users are logins to create.
	Orgs  []string `yaml:"orgs,omitempty" json:"orgs,omitempty"`
	Users []string `yaml:"users,omitempty" json:"users,omitempty"`
	// Teams are organisation teams, for review requests.
	Teams []SeedTeam `yaml:"teams,omitempty" json:"teams,omitempty"`
	// Tokens are credentials; a token's user is created if missing.
	Tokens []SeedToken `yaml:"tokens,omitempty" json:"tokens,omitempty"`
	// Repos are repositories with their files, branches, labels and pull
	// requests. A repository's owner is created as an organisation if it is
	// not declared.
	Repos []SeedRepo `yaml:"repos,omitempty" json:"repos,omitempty"`
	// Limits and Faults replace the rate limits and faults when set (see
	// package limiter for their keys); FaultSeed seeds rate-based faults.
	Limits    *limiter.Limits `yaml:"limits,omitempty" json:"limits,omitempty"`
	Faults    []limiter.Fault `yaml:"faults,omitempty" json:"faults,omitempty"`
	FaultSeed uint64          `yaml:"faultSeed,omitempty" json:"faultSeed,omitempty"`
	// IndexLag and ForkDelay, when set, replace the server's ("30s").
	IndexLag  *limiter.Duration `yaml:"indexLag,omitempty" json:"indexLag,omitempty"`
	ForkDelay *limiter.Duration `yaml:"forkDelay,omitempty" json:"forkDelay,omitempty"`
	// IncompleteResults makes code search answer incomplete_results: true.
	IncompleteResults bool `yaml:"incompleteResults,omitempty" json:"incompleteResults,omitempty"`
	// PullRequestLag, when set, is how long after a commit a pull request
	// from it is refused with "No commits between" (see
	// state.World.SetPullRequestLag).
	PullRequestLag *limiter.Duration `yaml:"pullRequestLag,omitempty" json:"pullRequestLag,omitempty"`
	// SearchRepoCap and TreeLimit, when set, lower GitHub's 4,000
	// repositories per code search and 100,000 entries per recursive tree
	// (see Server.SetSearchRepoCap and SetTreeLimit).
	SearchRepoCap int `yaml:"searchRepoCap,omitempty" json:"searchRepoCap,omitempty"`
	TreeLimit     int `yaml:"treeLimit,omitempty" json:"treeLimit,omitempty"`
}

// SeedTeam is a team of an organisation.
type SeedTeam struct {
	Org  string `yaml:"org" json:"org"`
	Slug string `yaml:"slug" json:"slug"`
}

// SeedToken is a token, its user, and its permissions: Default (none, read,
// write or admin) for every repository not in Repos ("owner/name" →
// permission). With Bot, it is a GitHub App installation token: Login is
// the app's bot, "slug[bot]", with DatabaseID (0 for the next free id);
// its commits are authored by the bot's noreply address and GraphQL's
// GitActor.user is null for them.
type SeedToken struct {
	Token      string            `yaml:"token" json:"token"`
	Login      string            `yaml:"login" json:"login"`
	Default    string            `yaml:"default,omitempty" json:"default,omitempty"`
	Repos      map[string]string `yaml:"repos,omitempty" json:"repos,omitempty"`
	Bot        bool              `yaml:"bot,omitempty" json:"bot,omitempty"`
	DatabaseID int64             `yaml:"databaseId,omitempty" json:"databaseId,omitempty"`
	// Teams is how GraphQL answers the token's reads of teams: ""
	// (readable), "insufficientScopes" (a classic token without read:org)
	// or "forbidden" (an App without Members: read); see state.Token.Teams.
	Teams string `yaml:"teams,omitempty" json:"teams,omitempty"`
	// UnsearchableOrgs are organisations the token may not search: code
	// search with org: one of them is refused with GitHub's 422.
	UnsearchableOrgs []string `yaml:"unsearchableOrgs,omitempty" json:"unsearchableOrgs,omitempty"`
}

// SeedRepo is a repository. Name is "owner/name". Files (path → content)
// form the first commit on DefaultBranch ("main" if empty); without files
// the repository is empty unless AutoInit.
type SeedRepo struct {
	Name             string `yaml:"name" json:"name"`
	Description      string `yaml:"description,omitempty" json:"description,omitempty"`
	DefaultBranch    string `yaml:"defaultBranch,omitempty" json:"defaultBranch,omitempty"`
	Private          bool   `yaml:"private,omitempty" json:"private,omitempty"`
	Archived         bool   `yaml:"archived,omitempty" json:"archived,omitempty"`
	Disabled         bool   `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	ForkOf           string `yaml:"forkOf,omitempty" json:"forkOf,omitempty"`
	AutoMergeAllowed bool   `yaml:"autoMergeAllowed,omitempty" json:"autoMergeAllowed,omitempty"`
	RequiredChecks   bool   `yaml:"requiredChecks,omitempty" json:"requiredChecks,omitempty"`
	// Executables are paths of Files with mode 100755.
	Executables []string `yaml:"executables,omitempty" json:"executables,omitempty"`
	// DraftsUnsupported refuses draft pull requests, as GitHub does on a
	// plan without them (see state.Repo.DraftsUnsupported).
	DraftsUnsupported bool `yaml:"draftsUnsupported,omitempty" json:"draftsUnsupported,omitempty"`
	// Rules is a ruleset on every branch, applied after the seed's
	// branches and pull requests exist (see state.Rules).
	Rules    state.Rules       `yaml:"rules,omitempty" json:"rules,omitempty"`
	AutoInit bool              `yaml:"autoInit,omitempty" json:"autoInit,omitempty"`
	Files    map[string]string `yaml:"files,omitempty" json:"files,omitempty"`
	Branches []SeedBranch      `yaml:"branches,omitempty" json:"branches,omitempty"`
	Labels   []string          `yaml:"labels,omitempty" json:"labels,omitempty"`
	Pulls    []SeedPull        `yaml:"pulls,omitempty" json:"pulls,omitempty"`
	// Indexed: false leaves the repository out of the code-search index;
	// so does a PushedAt more than a year before the simulator's clock
	// (state/index.go cites GitHub). Nothing else about it changes.
	Indexed  *bool      `yaml:"indexed,omitempty" json:"indexed,omitempty"`
	PushedAt *time.Time `yaml:"pushedAt,omitempty" json:"pushedAt,omitempty"`
}

// SeedBranch is a branch made of one commit with Files on top of From (the
// default branch if empty).
type SeedBranch struct {
	Name  string            `yaml:"name" json:"name"`
	From  string            `yaml:"from,omitempty" json:"from,omitempty"`
	Files map[string]string `yaml:"files,omitempty" json:"files,omitempty"`
}

// SeedPull is an open pull request; Head is a branch of the repository or
// "owner:branch" of a fork.
type SeedPull struct {
	Head      string   `yaml:"head" json:"head"`
	Base      string   `yaml:"base,omitempty" json:"base,omitempty"`
	Title     string   `yaml:"title" json:"title"`
	Body      string   `yaml:"body,omitempty" json:"body,omitempty"`
	Draft     bool     `yaml:"draft,omitempty" json:"draft,omitempty"`
	Labels    []string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Author    string   `yaml:"author,omitempty" json:"author,omitempty"`
	Reviewers []string `yaml:"reviewers,omitempty" json:"reviewers,omitempty"`
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// ParseSeed reads a seed in YAML or JSON; unknown keys are errors.
func ParseSeed(data []byte) (Seed, error) {
	var s Seed
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Seed{}, fmt.Errorf("parsing seed: %w", err)
	}
	return s, nil
}

// Seed adds the declared state. It stops at the first error, which names
// the offending item.
func (s *Server) Seed(seed Seed) error {
	w := s.world
	for _, o := range seed.Orgs {
		w.AddOrg(o)
	}
	for _, u := range seed.Users {
		w.AddUser(u)
	}
	for _, t := range seed.Teams {
		if t.Org == "" || t.Slug == "" {
			return fmt.Errorf("seed team %+v: org and slug are required", t)
		}
		w.AddTeam(t.Org, t.Slug)
	}
	for _, t := range seed.Tokens {
		if t.Token == "" || t.Login == "" {
			return fmt.Errorf("seed token for %q: token and login are required", t.Login)
		}
		def, err := state.ParsePermission(t.Default)
		if err != nil {
			return fmt.Errorf("seed token for %q: %w", t.Login, err)
		}
		repos := map[string]state.Permission{}
		for name, p := range t.Repos {
			perm, err := state.ParsePermission(p)
			if err != nil {
				return fmt.Errorf("seed token for %q, repository %q: %w", t.Login, name, err)
			}
			repos[name] = perm
		}
		switch t.Teams {
		case state.TeamsReadable, state.TeamsInsufficientScopes, state.TeamsForbidden:
		default:
			return fmt.Errorf("seed token for %q: teams %q: want %q or %q", t.Login, t.Teams, state.TeamsInsufficientScopes, state.TeamsForbidden)
		}
		if !t.Bot {
			if t.DatabaseID != 0 {
				return fmt.Errorf("seed token for %q: databaseId is only for a bot token", t.Login)
			}
			tok := w.AddToken(t.Token, t.Login, def, repos)
			tok.Teams, tok.Unsearchable = t.Teams, lower(t.UnsearchableOrgs)
			continue
		}
		tok, err := w.AddBotToken(t.Token, t.Login, t.DatabaseID, def, repos)
		if err != nil {
			return fmt.Errorf("seed token for %q: %w", t.Login, err)
		}
		tok.Teams, tok.Unsearchable = t.Teams, lower(t.UnsearchableOrgs)
	}
	for _, r := range seed.Repos {
		if err := s.seedRepo(r); err != nil {
			return fmt.Errorf("seed repository %q: %w", r.Name, err)
		}
	}
	if seed.IndexLag != nil {
		w.SetIndexLag(time.Duration(*seed.IndexLag))
	}
	if seed.ForkDelay != nil {
		w.SetForkDelay(time.Duration(*seed.ForkDelay))
	}
	if seed.PullRequestLag != nil {
		w.SetPullRequestLag(time.Duration(*seed.PullRequestLag))
	}
	if seed.IncompleteResults {
		s.SetIncompleteResults(true)
	}
	if seed.SearchRepoCap < 0 || seed.TreeLimit < 0 {
		return fmt.Errorf("seed: searchRepoCap and treeLimit must not be negative")
	}
	if seed.SearchRepoCap > 0 {
		s.SetSearchRepoCap(seed.SearchRepoCap)
	}
	if seed.TreeLimit > 0 {
		s.SetTreeLimit(seed.TreeLimit)
	}
	if seed.Limits != nil || seed.Faults != nil {
		cfg := s.lim.Config()
		if seed.Limits != nil {
			cfg.Limits = *seed.Limits
		}
		if seed.Faults != nil {
			cfg.Faults = seed.Faults
			cfg.Seed = seed.FaultSeed
		}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("seed limits and faults: %w", err)
		}
		s.lim.SetConfig(cfg)
	}
	return nil
}

func toBytes(files map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for p, c := range files {
		out[strings.TrimPrefix(p, "/")] = []byte(c)
	}
	return out
}

func (s *Server) seedRepo(sr SeedRepo) error {
	w := s.world
	owner, name, ok := strings.Cut(sr.Name, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("name must be \"owner/name\"")
	}
	if _, err := w.Account(owner); err != nil {
		w.AddOrg(owner)
	}
	var repo state.Repo
	var err error
	if sr.ForkOf != "" {
		po, pn, _ := strings.Cut(sr.ForkOf, "/")
		parent, err := w.RepoByName(nil, po, pn)
		if err != nil {
			return fmt.Errorf("fork parent %q: %w", sr.ForkOf, err)
		}
		if repo, err = w.SeedFork(parent.ID, owner, name); err != nil {
			return err
		}
		if len(sr.Files) > 0 {
			if _, err := w.SeedBranch(repo.ID, repo.DefaultBranch, "", toBytes(sr.Files), ""); err != nil {
				return err
			}
		}
	} else {
		repo, err = w.CreateRepo(nil, state.NewRepo{Owner: owner, Name: name, Description: sr.Description,
			Private: sr.Private, AutoMergeAllowed: sr.AutoMergeAllowed, RequiredChecks: sr.RequiredChecks,
			DefaultBranch: sr.DefaultBranch, AutoInit: sr.AutoInit, Files: toBytes(sr.Files)})
		if err != nil {
			return err
		}
	}
	if len(sr.Executables) > 0 {
		if err := w.SeedExecutable(repo.ID, repo.DefaultBranch, sr.Executables); err != nil {
			return fmt.Errorf("executables: %w", err)
		}
	}
	for _, b := range sr.Branches {
		if b.Name == "" {
			return fmt.Errorf("branch without a name")
		}
		if _, err := w.SeedBranch(repo.ID, b.Name, b.From, toBytes(b.Files), ""); err != nil {
			return fmt.Errorf("branch %q: %w", b.Name, err)
		}
	}
	for _, l := range sr.Labels {
		if _, err := w.CreateLabel(nil, repo.ID, l, "", ""); err != nil {
			return fmt.Errorf("label %q: %w", l, err)
		}
	}
	for _, p := range sr.Pulls {
		base := p.Base
		if base == "" {
			base = repo.DefaultBranch
		}
		var actor *state.Token
		if p.Author != "" {
			a := w.AddUser(p.Author)
			actor = &state.Token{Login: a.Login, UserID: a.ID, Default: state.PermAdmin}
		}
		pr, err := w.CreatePullRequest(actor, repo.ID, state.NewPullRequest{Base: base, Head: p.Head, Title: p.Title, Body: p.Body, Draft: p.Draft})
		if err != nil {
			return fmt.Errorf("pull request %q: %w", p.Head, err)
		}
		if len(p.Labels) > 0 {
			if _, err := w.AddLabels(nil, repo.ID, pr.Number, p.Labels, true); err != nil {
				return fmt.Errorf("pull request %q labels: %w", p.Head, err)
			}
		}
		if len(p.Reviewers) > 0 {
			if _, err := w.RequestReviewers(nil, repo.ID, pr.Number, p.Reviewers, nil, true); err != nil {
				return fmt.Errorf("pull request %q reviewers: %w", p.Head, err)
			}
		}
	}
	if sr.DraftsUnsupported || sr.Rules != (state.Rules{}) {
		drafts, rules := sr.DraftsUnsupported, sr.Rules
		if _, err := w.UpdateRepo(nil, repo.ID, state.RepoPatch{DraftsUnsupported: &drafts, Rules: &rules}); err != nil {
			return err
		}
	}
	if sr.Archived || sr.Disabled {
		archived, disabled := sr.Archived, sr.Disabled
		if _, err := w.UpdateRepo(nil, repo.ID, state.RepoPatch{Archived: &archived, Disabled: &disabled}); err != nil {
			return err
		}
	}
	if sr.Indexed != nil {
		if err := w.SetIndexed(repo.ID, *sr.Indexed); err != nil {
			return err
		}
	}
	if sr.PushedAt != nil { // last: seeding commits moves it
		if err := w.SetPushedAt(repo.ID, *sr.PushedAt); err != nil {
			return err
		}
	}
	return nil
}

// RepoFiles returns every file of owner/name at ref (a branch, tag or
// commit; "" for the default branch), for assertions in tests.
func (s *Server) RepoFiles(owner, name, ref string) (map[string]string, error) {
	r, err := s.world.RepoByName(nil, owner, name)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", owner, name, err)
	}
	if ref == "" {
		ref = r.DefaultBranch
	}
	_, entries, err := s.world.Tree(nil, r.ID, ref, true)
	if err != nil {
		return nil, fmt.Errorf("tree of %s/%s at %q: %w", owner, name, ref, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.Type == state.TypeBlob {
			b, err := s.world.Blob(nil, r.ID, e.OID)
			if err != nil {
				return nil, err
			}
			out[e.Path] = string(b)
		}
	}
	return out, nil
}

// Branches returns the branch names of owner/name, sorted.
func (s *Server) Branches(owner, name string) ([]string, error) {
	r, err := s.world.RepoByName(nil, owner, name)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", owner, name, err)
	}
	refs, err := s.world.Refs(nil, r.ID, "refs/heads/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ref := range refs {
		out = append(out, ref.ShortName())
	}
	sort.Strings(out)
	return out, nil
}

// PullRequests returns the pull requests of owner/name (all states, newest
// first) with labels, reviewers, assignees and auto-merge, for assertions.
func (s *Server) PullRequests(owner, name string) ([]state.PullRequest, error) {
	r, err := s.world.RepoByName(nil, owner, name)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", owner, name, err)
	}
	return s.world.FindPullRequests(nil, r.ID, state.PRFilter{})
}
