// Package gh is dfiu's GitHub client: REST code search for discovery,
// batched GraphQL reads, GraphQL mutations for commits and pull requests,
// REST contents for the store, all behind one transport that honours
// GitHub's primary and secondary rate limits and paces content creation.
//
// It knows nothing of Dockerfiles. See the methods for the API pages used.
package gh

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/google/go-github/v60/github"
)

// Errors callers branch on with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict") // contents PUT lost a race (409, or 422 on a stale sha)
	// ErrBranchMoved: the branch is not at the head we read (GraphQL
	// STALE_DATA); nothing was written to it.
	ErrBranchMoved = errors.New("the branch moved")
	// ErrOutcomeUnknown: a mutation's answer was lost (a transport error,
	// 5xx or timeout, which the transport does not resend); it may or may
	// not have been applied.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrContentLimited: GitHub refused a step of a mutation document as
	// "was submitted too quickly" (its content-creation limit) after the
	// steps before it ran. The transport holds every request back for the
	// limit's wait; the caller re-reads and redoes only what did not happen.
	ErrContentLimited = errors.New("content creation refused as submitted too quickly")
	// ErrRefusedByRule: a repository ruleset or branch protection refused
	// a write (a force move, a deletion, an unsigned commit…); more writes
	// to the repository would be refused the same way.
	ErrRefusedByRule = errors.New("refused by a repository rule")
)

// Options configure a Client.
type Options struct {
	Token      string // never logged
	APIURL     string // REST base, e.g. "https://api.github.com/" or "https://ghe.example/api/v3/"
	GraphQLURL string // e.g. "https://api.github.com/graphql" or "https://ghe.example/api/graphql"
	// HTTPClient's transport is wrapped by the rate-limit transport; nil
	// means http.DefaultTransport.
	HTTPClient *http.Client
	Clock      clock.Clock // nil means clock.Real{}
	Logger     *slog.Logger
	// MaxRetries bounds retries of one request after rate limits and
	// transient errors (5xx, resets, GraphQL "Something went wrong").
	MaxRetries int
	// WriteLimits is the token's content-creation budget; nil means
	// DefaultWriteLimits (80 a minute, 500 an hour).
	WriteLimits []WriteLimit
	// Deadline, when set, is the end of the time budget: a request that
	// would have to wait past it is not sent (ErrTimeBudget).
	Deadline time.Time
	// Jitter returns a random duration in [0, d), added to back-offs after
	// secondary limits; nil means math/rand. Tests pass a fixed one.
	Jitter func(d time.Duration) time.Duration
	// Concurrency caps requests in flight; 0 means 8.
	Concurrency int
	UserAgent   string
}

// Client talks to one GitHub (or GitHub Enterprise Server) instance.
type Client struct {
	opts      Options
	http      *http.Client // through transport
	rest      *github.Client
	transport *Transport
}

// CodeQuery is one code search, in GitHub's legacy syntax.
type CodeQuery struct {
	Terms      []string // search terms, ANDed: e.g. ["ghcr", "io", "acme", "base"]
	Qualifiers []string // e.g. ["filename:Dockerfile"]; one query is sent per qualifier set per org
	Orgs       []string // one query per org (org:X); at least one
}

// CodeHit is one search result: a candidate, to be verified by reading the file.
type CodeHit struct {
	Owner, Name string // repository
	Path        string
	SHA         string // blob sha
}

// SearchResult is the union of all pages and split queries.
type SearchResult struct {
	Hits     []CodeHit
	Complete bool     // false when any query stayed over the 1,000 cap or came back incomplete_results
	Notes    []string // human-readable reasons coverage is incomplete, and which queries were split
	// FailedOrgs are the orgs GitHub refused to search (422 "cannot be
	// searched"); the others were searched.
	FailedOrgs []string
	Requests   int // search requests sent
}

// RepoRequest asks Hydrate for one repository's state.
type RepoRequest struct {
	Owner, Name string
	Paths       []string // files to read at the default branch head (and at each branch)
	Branches    []string // dfiu branches to inspect (short names, e.g. "dfiu/ubuntu")
	Labels      []string // label names whose node ids are wanted
	// PRStatus also reads each open pull request's age, mergeability and
	// CI state (report mode).
	PRStatus bool
}

// File is a blob read over GraphQL.
type File struct {
	Text      string
	OID       string
	Size      int
	Binary    bool
	Truncated bool
	// Mode is the git mode at the default branch's head (0o100644 for a
	// regular file, 0o100755 executable, 0o120000 a symbolic link); 0 when
	// not read (files at other branches).
	Mode int
}

// PullRequest is a pull request from one of our branches.
type PullRequest struct {
	ID      string // node id
	Number  int
	URL     string // html url
	Title   string
	Body    string
	HeadOID string // the head commit; for a closed pull request, the head when it was closed

	// Read only with RepoRequest.PRStatus, for open pull requests:
	CreatedAt time.Time
	// Mergeable is MERGEABLE, CONFLICTING or UNKNOWN (GitHub computes it
	// in the background; https://docs.github.com/graphql/reference/enums#mergeablestate).
	Mergeable string
	// CIState is the head commit's statusCheckRollup.state (SUCCESS,
	// FAILURE, PENDING, ERROR, EXPECTED), or "" when the commit has no
	// status or check (GitHub answers null then).
	CIState string
}

// Branch is the state of one of our branches.
type Branch struct {
	RefID      string
	HeadOID    string
	HeadAuthor string // login of the head commit's author ("" if not a GitHub user, as for an App's bot)
	// HeadAuthorName and HeadAuthorEmail are the head commit's git author.
	HeadAuthorName  string
	HeadAuthorEmail string
	Files           map[string]*File // the requested paths at the branch head; nil value when absent
	// InBase: the head is the default branch's head or an ancestor of it,
	// so the branch has no commits of its own (as a createRef whose commit
	// then failed leaves it).
	InBase bool
	PR     *PullRequest // the open PR from this branch into the default branch, or nil
	// ClosedPR is the most recently updated pull request from this branch
	// into the default branch that was closed without being merged, or nil.
	ClosedPR *PullRequest
}

// Repo is one repository's state, from one batched GraphQL query.
type Repo struct {
	Owner, Name      string // canonical spelling
	ID               string // node id
	Archived         bool
	Disabled         bool
	Fork             bool
	Empty            bool
	ViewerPermission string // ADMIN, MAINTAIN, WRITE, TRIAGE, READ, or "" (GitHub Apps)
	DefaultBranch    string
	HeadOID          string // default branch head commit
	AutoMergeAllowed bool
	Files            map[string]*File   // requested paths at HEAD; nil value when absent
	Branches         map[string]*Branch // requested branches; nil value when absent
	Labels           map[string]string  // label name → node id, for the labels that exist
	Err              error              // non-nil when the repository could not be read (wraps ErrNotFound when missing)
}

// HydrateResult holds the repositories and the ids of the people asked for.
type HydrateResult struct {
	Viewer   string            // the token's login ("slug[bot]" for a GitHub App installation token)
	ViewerID int64             // the token's account's databaseId
	Repos    map[string]*Repo  // key: lower-case "owner/name"
	Users    map[string]string // login → node id, for those that exist
	Teams    map[string]string // "org/slug" → node id, for those that exist
	// UsersErr and TeamsErr say why users or teams could not be looked up
	// (in queries of their own, so the rest of the run goes on): teams
	// need read:org for a classic token (INSUFFICIENT_SCOPES) and the
	// "Members: read" organisation permission for a GitHub App
	// (FORBIDDEN).
	UsersErr error
	TeamsErr error
	Requests int // GraphQL requests sent
}

// CommitMessage is a commit's headline and body.
type CommitMessage struct {
	Headline string
	Body     string
}

// ProposeInput is everything needed to put one commit on our branch and
// open or update its pull request: one GraphQL document for a new branch,
// two for an existing one.
type ProposeInput struct {
	RepoID      string
	Owner, Name string
	BaseBranch  string // default branch
	BaseOID     string // its head: the new commit's parent
	Branch      string // our branch, short name
	BranchRefID string // "" when the branch does not exist yet (createRef); else the branch is moved straight to the new commit
	// BranchHeadOID is the head of Branch as read, required when
	// BranchRefID is set: the branch is moved only if it is still there, so
	// a commit pushed meanwhile is never forced over.
	BranchHeadOID string
	Files         map[string][]byte // full new contents by path
	Message       CommitMessage
	ExistingPR    *PullRequest // the open PR on Branch, or nil to create one
	Title, Body   string
	Draft         bool
}

// ProposeResult says what Propose did.
type ProposeResult struct {
	CommitOID string
	PR        PullRequest
	Created   bool // a new PR was opened
	// DraftRefused: a draft was asked for, GitHub does not support drafts
	// in the repository, and a normal pull request was opened instead.
	DraftRefused bool
}

// Decoration is what Decorate adds to a pull request in one document.
type Decoration struct {
	PRID        string
	LabelIDs    []string
	UserIDs     []string // reviewers
	TeamIDs     []string // team reviewers
	AssigneeIDs []string
	AutoMerge   string // "", "MERGE", "SQUASH" or "REBASE"
}

// TreeEntry is one file of a recursive tree listing.
type TreeEntry struct {
	Path string
	SHA  string
	Size int
}
