// Package graphql is the simulator's GitHub GraphQL API: an http.Handler
// that our real clients (githubv4, the raw JSON poster) talk to exactly as
// they would talk to https://api.github.com/graphql or a GitHub Enterprise
// Server's /api/graphql.
//
// # Use
//
//	h := graphql.NewHandler(world, graphql.Options{Clock: clk})
//	mux.Handle("/graphql", auth(h)) // auth stores the token with state.WithActor
//
// The handler reads the authenticated token with state.ActorFrom; the REST
// server authenticates, and the limiter middleware answers rate-limited and
// faulted requests before the handler runs. Each executed top-level field is
// reported with state.RecordField(ctx, "query"|"mutation", name).
//
// # What it does
//
// Every document is parsed and validated against GitHub's public schema
// (schema.graphql, embedded; loaded once per process by Schema). An invalid
// document is answered with HTTP 200 and only "errors", worded as GitHub's
// graphql-ruby words them for the common codes (undefinedField,
// argumentNotAccepted, missingRequiredArguments,
// argumentLiteralsIncompatible, missingRequiredInputObjectAttribute,
// variableMismatch, selectionMismatch, variableNotUsed, variableNotDefined,
// useAndDefineFragment) and for syntax errors ("Parse error on "}"
// (RCURLY) at [1, 22]"); other findings keep gqlparser's message. Connections must be given first or last within 1–100
// (MISSING_PAGINATION_BOUNDARIES, EXCESSIVE_PAGINATION), and top-level input
// must coerce (Base64String must be padded RFC 4648 base64), before
// anything runs.
//
// Execution follows the GraphQL specification: aliases, fragments, inline
// fragments, @skip/@include, __typename, variables with defaults, input
// objects and lists; mutation fields run serially in document order. A
// field that fails is null and adds an error with GitHub's "type"
// (NOT_FOUND, FORBIDDEN, STALE_DATA, UNPROCESSABLE, …), "path" and
// "locations"; its siblings still run. "data" keeps the order of the
// selection set. A field the simulator does not implement fails with type
// SIMULATOR_UNSUPPORTED, so a test never silently reads a made-up value.
//
// Served: viewer, repository (git refs with their associated pull requests,
// objects, labels, pull requests with commits, reviewers, assignees and
// auto-merge), organization and user (repositories, team), repositoryOwner,
// node and nodes, rateLimit; and the mutations createRef, updateRef,
// updateRefs (atomic), deleteRef, createCommitOnBranch, createPullRequest,
// updatePullRequest, closePullRequest, addLabelsToLabelable,
// addAssigneesToAssignable, requestReviews and enablePullRequestAutoMerge.
// Introspection (__schema, __type) describes the whole schema, so
// GraphiQL-style tools can explore the standalone simulator.
//
// Parsed and validated documents are cached by their text (up to 256), so
// a client that sends one document with new variables pays for parsing
// once. A resolver that panics fails only its own field (type INTERNAL).
// rateLimit reports the window the limiter middleware announced in its
// x-ratelimit-* headers when they are present.
//
// Choices where GitHub documents nothing: Blob.text is cut (at a UTF-8
// boundary) above DefaultMaxBlobText bytes, 512 KiB, and isTruncated is then
// true; a blob is binary, with null text, when it has a NUL byte in its
// first 8,000 bytes (git's rule) or is not UTF-8. rateLimit costs 1 point
// per 100 connection requests (at least 1) and counts points per token in
// hourly windows on the injected clock.
package graphql
