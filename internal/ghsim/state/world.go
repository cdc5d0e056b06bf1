package state

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
)

// Permission is a token's access to a repository, ordered from none to admin.
type Permission int

// Permissions, weakest first; each implies the ones before it.
const (
	PermNone Permission = iota
	PermRead
	PermTriage
	PermWrite
	PermMaintain
	PermAdmin
)

// ParsePermission reads "none", "read" (or "pull"), "triage", "write" (or
// "push"), "maintain" and "admin", in any case.
func ParsePermission(s string) (Permission, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return PermNone, nil
	case "read", "pull":
		return PermRead, nil
	case "triage":
		return PermTriage, nil
	case "write", "push":
		return PermWrite, nil
	case "maintain":
		return PermMaintain, nil
	case "admin":
		return PermAdmin, nil
	}
	return PermNone, fmt.Errorf("unknown permission %q (want none, read, triage, write, maintain or admin)", s)
}

// String returns the lowercase name used in seed files.
func (p Permission) String() string {
	return [...]string{"none", "read", "triage", "write", "maintain", "admin"}[p]
}

// GraphQL returns the RepositoryPermission enum value, or "" for PermNone.
func (p Permission) GraphQL() string {
	if p == PermNone {
		return ""
	}
	return strings.ToUpper(p.String())
}

// Account is a user or an organisation.
type Account struct {
	ID     int64
	NodeID string
	Login  string
	Type   string // "User", "Organization" or "Bot" (a GitHub App's, login "slug[bot]")
	Name   string
	Email  string
}

// IsOrg reports whether the account is an organisation.
func (a Account) IsOrg() bool { return a.Type == "Organization" }

// IsUser reports whether the account is a user: not an organisation and
// not a GitHub App's bot.
func (a Account) IsUser() bool { return a.Type == "User" }

// Team is an organisation's team, for review requests.
type Team struct {
	ID     int64
	NodeID string
	Org    string
	Slug   string
	Name   string
}

// Token is a credential: the user it belongs to and what it may do.
type Token struct {
	Value   string
	Login   string
	UserID  int64
	Default Permission            // for repositories not in Repos
	Repos   map[string]Permission // "owner/name", lowercase
	// Teams is how GraphQL answers the token's reads of a Team's fields:
	// TeamsReadable, TeamsInsufficientScopes or TeamsForbidden.
	Teams string
	// Unsearchable are organisations (lower-case logins) the token may not
	// search: code search naming one in org: is refused as for an
	// organisation that does not exist (see SearchCode).
	Unsearchable []string
}

// How a token may read teams (Token.Teams).
const (
	TeamsReadable = ""
	// TeamsInsufficientScopes: a classic token without read:org. GitHub
	// refuses the whole document (data null) with an INSUFFICIENT_SCOPES
	// error: "Your token has not been granted the required scopes to
	// execute this query. The 'name' field requires one of the following
	// scopes: ['read:org'], but your token has only been granted the:
	// ['repo', 'user'] scopes." (mntnr/name-your-contributors#72,
	// cli/cli#812).
	TeamsInsufficientScopes = "insufficientScopes"
	// TeamsForbidden: a GitHub App installation without the "Members"
	// organisation permission; the team field is null with a FORBIDDEN
	// error "Resource not accessible by integration", the rest of the
	// document runs (cli/cli#6395 for Actions' GITHUB_TOKEN not reading a
	// team; the error's exact shape is a guess).
	TeamsForbidden = "forbidden"
)

// permFor returns the token's explicit permission on full name.
func (t *Token) permFor(fullName string) Permission {
	if p, ok := t.Repos[strings.ToLower(fullName)]; ok {
		return p
	}
	return t.Default
}

type ctxKey int

const (
	actorKey ctxKey = iota
	recorderKey
)

// WithActor returns ctx carrying the authenticated token.
func WithActor(ctx context.Context, t *Token) context.Context {
	return context.WithValue(ctx, actorKey, t)
}

// ActorFrom returns the authenticated token stored by WithActor.
func ActorFrom(ctx context.Context) (*Token, bool) {
	t, ok := ctx.Value(actorKey).(*Token)
	return t, ok && t != nil
}

// Recorder counts executed GraphQL top-level fields; op is "query" or
// "mutation".
type Recorder interface {
	RecordField(op, field string)
}

// WithRecorder returns ctx carrying rec for RecordField.
func WithRecorder(ctx context.Context, rec Recorder) context.Context {
	return context.WithValue(ctx, recorderKey, rec)
}

// RecordField reports one executed GraphQL top-level field to the recorder in
// ctx, if any. The GraphQL handler calls it once per top-level field.
func RecordField(ctx context.Context, op, field string) {
	if rec, ok := ctx.Value(recorderKey).(Recorder); ok && rec != nil {
		rec.RecordField(op, field)
	}
}

// Options configures a World.
type Options struct {
	Clock     clock.Clock   // defaults to clock.Real
	BaseURL   string        // the server's base URL for html_url values; see SetBaseURL
	ForkDelay time.Duration // how long a new fork stays invisible
	IndexLag  time.Duration // how long a commit takes to reach the search index
}

// World is the whole simulated GitHub.
type World struct {
	mu        sync.Mutex
	clk       clock.Clock
	baseURL   string
	forkDelay time.Duration
	indexLag  time.Duration
	prLag     time.Duration
	// searchRepoCap is how many repositories one code search considers.
	searchRepoCap int

	nextID    int64
	accounts  map[string]*Account // by lowercase login
	accByID   map[int64]*Account
	teams     map[string]*Team // "org/slug", lowercase
	teamByID  map[int64]*Team
	tokens    map[string]*Token
	repos     map[string]*repo // "owner/name", lowercase
	repoByID  map[int64]*repo
	objects   store
	labelByID map[int64]*label
	prByID    map[int64]*pull
	flatCache map[string]map[string]file // tree oid → files
	tokCache  map[string]map[string]struct{}
}

// New returns an empty World.
func New(opts Options) *World {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	return &World{
		clk:           opts.Clock,
		baseURL:       strings.TrimSuffix(opts.BaseURL, "/"),
		forkDelay:     opts.ForkDelay,
		indexLag:      opts.IndexLag,
		searchRepoCap: SearchRepoCap,
		nextID:        1000,
		accounts:      map[string]*Account{},
		accByID:       map[int64]*Account{},
		teams:         map[string]*Team{},
		teamByID:      map[int64]*Team{},
		tokens:        map[string]*Token{},
		repos:         map[string]*repo{},
		repoByID:      map[int64]*repo{},
		objects:       store{},
		labelByID:     map[int64]*label{},
		prByID:        map[int64]*pull{},
		flatCache:     map[string]map[string]file{},
		tokCache:      map[string]map[string]struct{}{},
	}
}

// Now returns the World's clock time.
func (w *World) Now() time.Time { return w.clk.Now() }

// SetBaseURL sets the base URL used in html_url and url values, e.g.
// "http://127.0.0.1:8080"; html_url of a pull request is BASEURL/o/r/pull/N.
func (w *World) SetBaseURL(u string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.baseURL = strings.TrimSuffix(u, "/")
}

// BaseURL returns the base URL set by SetBaseURL.
func (w *World) BaseURL() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.baseURL
}

// SetIndexLag sets how long a commit to a default branch takes to become
// searchable.
func (w *World) SetIndexLag(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.indexLag = d
}

// SetPullRequestLag sets how long after a commit a pull request from it
// cannot be opened yet: GitHub may answer "No commits between" or "Head
// sha can't be blank" right after a push (the createPullRequest answer
// quoted in wso2/mi-vscode#1608; the timing diagnosis in
// microsoft/vscode-pull-request-github#5543). The length of the real lag
// is not documented: 0 (the default) turns it off.
func (w *World) SetPullRequestLag(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prLag = d
}

// SetForkDelay sets how long a new fork stays invisible.
func (w *World) SetForkDelay(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forkDelay = d
}

// newID returns the next id, skipping the databaseIds a seed gave bots.
func (w *World) newID() int64 {
	w.nextID++
	for w.accByID[w.nextID] != nil {
		w.nextID++
	}
	return w.nextID
}

// Node ids look like GitHub's ("R_kgDO…"): a type prefix, "_kgDO", and the
// base64 of a payload from which the object can be found again.
func nodeID(prefix, payload string) string {
	return prefix + "_kgDO" + base64.RawURLEncoding.EncodeToString([]byte(payload))
}

func parseNodeID(id string) (prefix, payload string, ok bool) {
	prefix, rest, ok := strings.Cut(id, "_kgDO")
	if !ok {
		return "", "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return "", "", false
	}
	return prefix, string(b), true
}

func idNode(prefix string, id int64) string { return nodeID(prefix, strconv.FormatInt(id, 10)) }

// AddUser adds a user (or returns the existing one with that login).
func (w *World) AddUser(login string) Account {
	w.mu.Lock()
	defer w.mu.Unlock()
	return *w.addAccount(login, "User")
}

// AddOrg adds an organisation (or returns the existing one with that login).
func (w *World) AddOrg(login string) Account {
	w.mu.Lock()
	defer w.mu.Unlock()
	return *w.addAccount(login, "Organization")
}

func (w *World) addAccount(login, typ string) *Account {
	if a := w.accounts[strings.ToLower(login)]; a != nil {
		return a
	}
	return w.addAccountID(login, typ, w.newID())
}

// addAccountID adds an account with the given databaseId, which is free.
func (w *World) addAccountID(login, typ string, id int64) *Account {
	prefix := map[string]string{"User": "U", "Organization": "O", "Bot": "BOT"}[typ]
	a := &Account{ID: id, NodeID: idNode(prefix, id), Login: login, Type: typ, Name: login,
		Email: fmt.Sprintf("%d+%s@users.noreply.github.com", id, login)}
	w.accounts[strings.ToLower(login)] = a
	w.accByID[id] = a
	return a
}

// Account returns the user or organisation with login (any case).
func (w *World) Account(login string) (Account, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.accounts[strings.ToLower(login)]
	if a == nil {
		return Account{}, errorf(NotFound, "Could not resolve to a User with the login of '%s'.", login)
	}
	return *a, nil
}

// AddTeam adds a team to org (created if missing) and returns it.
func (w *World) AddTeam(org, slug string) Team {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addAccount(org, "Organization")
	key := strings.ToLower(org + "/" + slug)
	if t := w.teams[key]; t != nil {
		return *t
	}
	id := w.newID()
	t := &Team{ID: id, NodeID: idNode("T", id), Org: org, Slug: slug, Name: slug}
	w.teams[key] = t
	w.teamByID[id] = t
	return *t
}

// Team returns org's team with slug.
func (w *World) Team(org, slug string) (Team, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.teams[strings.ToLower(org+"/"+slug)]
	if t == nil {
		return Team{}, errorf(NotFound, "Could not resolve to a Team with the slug of '%s'.", slug)
	}
	return *t, nil
}

// AddToken registers a token for login (the user is created if missing).
// repos maps "owner/name" to a permission; def applies to all others.
func (w *World) AddToken(value, login string, def Permission, repos map[string]Permission) *Token {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.addAccount(login, "User")
	t := &Token{Value: value, Login: a.Login, UserID: a.ID, Default: def, Repos: map[string]Permission{}}
	for k, p := range repos {
		t.Repos[strings.ToLower(k)] = p
	}
	w.tokens[value] = t
	return t
}

// AddBotToken registers a GitHub App installation token whose account is
// the app's bot, login "slug[bot]" (created if missing; id is its
// databaseId, or 0 for the next free one). Commits the token makes are
// authored by the bot with its noreply address
// "<id>+slug[bot]@users.noreply.github.com", and GraphQL's GitActor.user
// is null for them, as on GitHub. repos and def are as for AddToken.
func (w *World) AddBotToken(value, login string, id int64, def Permission, repos map[string]Permission) (*Token, error) {
	slug, ok := strings.CutSuffix(login, "[bot]")
	if !ok || slug == "" || strings.ContainsAny(slug, "[]/ ") {
		return nil, errorf(Invalid, "bot login %q: want \"slug[bot]\"", login)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.accounts[strings.ToLower(login)]
	switch {
	case a != nil && a.Type != "Bot":
		return nil, errorf(Invalid, "bot login %q: the login belongs to a %s", login, a.Type)
	case a != nil && id != 0 && a.ID != id:
		return nil, errorf(Invalid, "bot %q: has databaseId %d, not %d", login, a.ID, id)
	case a == nil && id != 0:
		if other := w.accByID[id]; other != nil {
			return nil, errorf(Invalid, "bot %q: databaseId %d belongs to %s", login, id, other.Login)
		}
		a = w.addAccountID(login, "Bot", id)
	case a == nil:
		a = w.addAccount(login, "Bot")
	}
	t := &Token{Value: value, Login: a.Login, UserID: a.ID, Default: def, Repos: map[string]Permission{}}
	for k, p := range repos {
		t.Repos[strings.ToLower(k)] = p
	}
	w.tokens[value] = t
	return t, nil
}

// TokenFor returns the token with that value.
func (w *World) TokenFor(value string) (*Token, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.tokens[value]
	return t, ok
}

// Viewer returns the account the token belongs to.
func (w *World) Viewer(actor *Token) (Account, error) {
	if actor == nil {
		return Account{}, errorf(Forbidden, "Requires authentication")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.accByID[actor.UserID]
	if a == nil {
		a = w.addAccount(actor.Login, "User")
	}
	return *a, nil
}

// Node is what a node id resolves to; Type names which field is set: "Repository",
// "Ref", "PullRequest", "Label", "User", "Organization", "Bot", "Team" or "Commit"
// ("Issue" sets PullRequest, with IsIssue).
type Node struct {
	Type        string
	Repo        *Repo
	Ref         *Ref
	PullRequest *PullRequest
	Label       *Label
	Account     *Account
	Team        *Team
	Commit      *Commit
}

// ResolveNode returns the object with node id, as the actor may see it.
func (w *World) ResolveNode(actor *Token, id string) (Node, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	nf := errorf(NotFound, "Could not resolve to a node with the global id of '%s'", id)
	prefix, payload, ok := parseNodeID(id)
	if !ok {
		return Node{}, nf
	}
	num, _ := strconv.ParseInt(payload, 10, 64)
	switch prefix {
	case "R":
		r := w.repoByID[num]
		if r == nil || w.perm(actor, r) < PermRead {
			return Node{}, nf
		}
		s := w.repoSnap(r)
		return Node{Type: "Repository", Repo: &s}, nil
	case "U", "O", "BOT":
		a := w.accByID[num]
		if a == nil {
			return Node{}, nf
		}
		c := *a
		return Node{Type: a.Type, Account: &c}, nil
	case "T":
		t := w.teamByID[num]
		if t == nil {
			return Node{}, nf
		}
		c := *t
		return Node{Type: "Team", Team: &c}, nil
	case "PR", "I":
		p := w.prByID[num]
		if p == nil || p.IsIssue != (prefix == "I") || w.perm(actor, w.repoByID[p.RepoID]) < PermRead {
			return Node{}, nf
		}
		s := w.prSnap(p)
		if p.IsIssue {
			return Node{Type: "Issue", PullRequest: &s}, nil
		}
		return Node{Type: "PullRequest", PullRequest: &s}, nil
	case "LA":
		l := w.labelByID[num]
		if l == nil || w.perm(actor, w.repoByID[l.repoID]) < PermRead {
			return Node{}, nf
		}
		s := l.Label
		return Node{Type: "Label", Label: &s}, nil
	case "REF", "C":
		rid, rest, _ := strings.Cut(payload, ":")
		n, _ := strconv.ParseInt(rid, 10, 64)
		r := w.repoByID[n]
		if r == nil || w.perm(actor, r) < PermRead {
			return Node{}, nf
		}
		if prefix == "C" {
			o := w.objects[rest]
			if o == nil || o.typ != TypeCommit {
				return Node{}, nf
			}
			c := *o.commit
			return Node{Type: "Commit", Commit: &c}, nil
		}
		oid, ok := r.refs[rest]
		if !ok {
			return Node{}, nf
		}
		ref := r.refSnap(rest, oid)
		return Node{Type: "Ref", Ref: &ref}, nil
	}
	return Node{}, nf
}

// CommitNodeID returns the node id of commit oid in repository repoID.
func CommitNodeID(repoID int64, oid string) string {
	return nodeID("C", strconv.FormatInt(repoID, 10)+":"+oid)
}
