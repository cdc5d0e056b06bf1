// Package state is the in-memory model behind the GitHub simulator: users,
// organisations, teams and tokens; repositories with real git objects (blob,
// tree and commit ids are the SHA-1 values git itself computes); refs; pull
// requests with labels, reviewers, assignees and auto-merge; forks that appear
// after a delay; and a code-search index that lags behind the default branch.
// It knows nothing of HTTP: the REST server (package ghsim) and the GraphQL
// handler (package ghsim/graphql) are two views over one World.
//
// # Concurrency
//
// One World is guarded by one mutex; every exported method is safe for
// concurrent use. Methods return copies (Repo, Ref, Commit, PullRequest, …),
// never pointers into the model, so callers may keep and read them freely.
//
// # Identity and permissions
//
// Every request acts as a *Token: its login names the user the token belongs
// to, Repos maps "owner/name" (any case) to a Permission, and Default applies
// to every other repository. Public repositories are readable by every token;
// a private one is invisible (NotFound) below PermRead. Writes need PermWrite
// (Forbidden when the token can read, NotFound when it cannot). The HTTP layer
// authenticates and stores the token in the request context with WithActor;
// handlers read it back with ActorFrom.
//
// Methods that act on a repository take its database id (Repo.ID), which
// survives renames; find it with RepoByName (owner/name, case-insensitive) or
// ResolveNode / RepoByNodeID (GraphQL node ids).
//
// # Errors
//
// Every failure is an *Error with a Kind (NotFound, Forbidden, Conflict,
// Invalid, Stale) and GitHub's message. REST maps the kinds to 404, 403, 409,
// 422 and 409; GraphQL maps them to the error types NOT_FOUND, FORBIDDEN,
// UNPROCESSABLE, UNPROCESSABLE and STALE_DATA (see Kind.GraphQLType).
//
// # Operations for GraphQL
//
//   - look-ups: RepoByName, RepoByNodeID, ResolveNode (repo, ref, pull request,
//     label, user, organisation, team, commit), Account, Team, Viewer.
//   - git: Ref, Refs, CreateRef, UpdateRef, DeleteRef, Object (rev-parse style
//     "HEAD:path", "branch:path", "<oid>", "<branch>"), Commit, Tree, Blob,
//     FileAt, CommitOnBranch.
//   - pull requests: CreatePullRequest (cross-repository with HeadRepoID),
//     UpdatePullRequest, ClosePullRequest, PullRequest, PullRequestByNodeID,
//     FindPullRequests, AddLabels / SetLabels, Labels / Label / CreateLabel,
//     RequestReviewers (union or replace), AddAssignees / SetAssignees,
//     EnableAutoMerge, MergePullRequest; CreateIssue, Issue and Issues
//     (issues share numbers with pull requests and resolve as node type
//     "Issue"). Every ref move or delete settles the open pull requests it
//     touches as GitHub does: closed when the head has no commits over the
//     base, merged when the base comes to contain the head.
//   - ViewerPermission gives ADMIN/MAINTAIN/WRITE/TRIAGE/READ via
//     Permission.GraphQL.
//
// # Stats and limits hooks for the GraphQL handler
//
// The server (package ghsim) authenticates and runs package limiter in front
// of the GraphQL handler: primary and secondary rate limits, faults and the
// per-field counters of GET /_sim/stats (the limiter parses each document
// and counts its top-level fields itself). A rate-limited GraphQL request
// never reaches the handler: the limiter answers with the RATE_LIMITED shape.
// RecordField and WithRecorder remain as an optional hook for a handler that
// wants to report executed fields to a Recorder of its own; without a
// recorder in the context RecordField does nothing.
package state
