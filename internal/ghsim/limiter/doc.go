// Package limiter makes the GitHub simulator behave like GitHub under load:
// it is an HTTP middleware that imposes primary and secondary rate limits
// with GitHub's headers and bodies, injects faults, and counts requests so
// that tests can prove API economy ("a rerun makes 0 writes").
//
// # Wiring
//
// Wrap the whole GitHub namespace (REST under / and /api/v3/, GraphQL at
// /graphql and /api/graphql), and nothing else (keep /_sim/ outside):
//
//	lim := limiter.New(cfg, clk, limiter.Hooks{
//		EndpointKey: func(r *http.Request) string { return "GET /repos/{owner}/{repo}" }, // from the router
//		UserID:      func(token string) (int64, bool) { … },
//	})
//	mux.Handle("/", lim.Wrap(github))
//	stats := lim.Stats()
//
// The middleware does not import the other simulator packages.
//
// # What it does with a request
//
// It classifies the request: resource code_search for GET /search/code,
// search for other /search/*, graphql for /graphql and /api/graphql, else
// core (an /api/v3 prefix is ignored). The caller is the token of the
// Authorization header ("token X" or "Bearer X"); limits are per token. GET,
// HEAD and OPTIONS are reads, other methods writes. A POST to the GraphQL
// path is parsed (github.com/vektah/gqlparser/v2/parser, no schema): it is a
// write when its operation is a mutation, and every top-level field of a
// mutation is one content-creating request. The body is restored for the
// next handler.
//
// GraphQL handlers need not report anything: the middleware counts the
// top-level fields of every GraphQL document itself, by field name (not
// alias) and following fragments, as "query.<field>" and
// "mutation.<field>" in Stats.GraphQLFields.
//
// Then, in this order:
//  1. Primary limit: refused when the caller's window for the resource is
//     used up. GET /rate_limit is not counted against the primary limit
//     (only against the secondary ones, as on GitHub) and is answered by
//     the middleware itself with the caller's usage.
//  2. Secondary limits: concurrency, points per minute, content-creating
//     requests per minute and per hour.
//  3. Faults, in configuration order: latencies add up, the first answering
//     fault answers.
//  4. The wrapped handler.
//
// Refused and faulted requests never reach the wrapped handler, so they
// change no state; they are counted in Stats all the same. A request that
// is refused uses up no limit.
//
// Every answer, errors included, carries x-ratelimit-limit, -remaining,
// -used, -reset (UTC epoch seconds from the clock) and -resource, and an
// x-github-request-id unless the wrapped handler sets one. A limit that is
// off is never enforced, but its usage is still counted against GitHub's
// default (core and graphql 5000 an hour, search 30 and code_search 10 a
// minute) for the headers; its remaining never falls below 1, because
// clients that honour the headers (go-github refuses calls itself at
// remaining 0) would otherwise throttle themselves. Windows are fixed: they
// start with a caller's first request and end at the reported reset.
//
// # Answers
//
// A primary refusal over REST is 403 (or 429, Limits.PrimaryStatus) with
// x-ratelimit-remaining: 0 and
//
//	{"message":"API rate limit exceeded for user ID N.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"}
//
// which go-github v60 turns into *github.RateLimitError (only for 403). Over
// GraphQL it is HTTP 200 with {"errors":[{"type":"RATE_LIMITED",…}]}, the
// newer {"type":"RATE_LIMIT","code":"graphql_rate_limit",…} shape, or a 403
// (Limits.GraphQLPrimary).
//
// A secondary refusal is 403 (or 429, Limits.SecondaryStatus) with
// retry-after in seconds and GitHub's "You have exceeded a secondary rate
// limit" body, whose documentation_url ends in "secondary-rate-limits", so
// go-github v60 returns *github.AbuseRateLimitError with RetryAfter. Over
// GraphQL it is a 403 with the same body, or HTTP 200 with an error of type
// RATE_LIMITED (Limits.GraphQLSecondary).
//
// With Limits.ContentRefusal "field", a GraphQL mutation over the
// content-creation limits is not refused whole: it is answered HTTP 200,
// the fields that still fit in the budget run, and each one past it fails
// with {"type":"UNPROCESSABLE","message":"was submitted too quickly"}, as
// GitHub answers (cli/cli#4801, whatwg/spec-factory#55). The middleware
// passes the allowance down in the request's context; the GraphQL executor
// asks TakeContent before each top-level mutation field. Each such request
// counts one SecondaryRateLimited, and its refused fields RefusedFields.
// REST writes are still refused whole.
//
// # Time scale
//
// Limits.TimeScale N (above 1) makes every window, reset and retry-after N
// times shorter, on whatever clock the middleware runs: a standalone
// simulator at 60 shows an hour of limits in a minute (the client's
// write-limits scaled the same way: 80/1s,500/60s). Resets are then
// rounded up to the next epoch second, and retry-after is at least a
// second, as the headers count in whole seconds.
//
// # Configuration
//
// Config reads from YAML (gopkg.in/yaml.v3) and JSON with the same keys.
// Durations are Go duration strings ("60s", "250ms") or numbers of seconds.
// The zero value turns every limit and fault off. Call Config.Validate on
// configuration that comes from a user. For example:
//
//	limits:
//	  githubDefaults: true   # every limit left at 0 takes GitHub's value
//	  codeSearch: 9          # per minute
//	  primaryStatus: 429     # 403 (default) or 429
//	  graphqlPrimary: RATE_LIMIT   # RATE_LIMITED (default), RATE_LIMIT or "403"
//	  graphqlSecondary: "200"      # "403" (default) or "200"
//	  retryAfter: 60s        # default: until the exceeded window resets
//	  contentRefusal: field  # "" (default: the whole request) or field
//	  timeScale: 60          # windows, resets and retry-after 60 times shorter
//	faults:
//	  - kind: status         # latency, status, reset or graphqlError
//	    status: 502
//	    match: POST /repos/*/*/pulls
//	    from: 1
//	    to: 2                # the 1st and 2nd matching requests
//	  - kind: latency
//	    latency: 200ms
//	    rate: 0.1            # 10% of requests, decided by the seed
//	  - kind: graphqlError
//	    match: POST /graphql
//	    once: true
//	seed: 42
//
// The limit keys are core, search, codeSearch and graphql (primary), and
// concurrent, restPointsPerMinute, graphqlPointsPerMinute,
// contentPerMinute and contentPerHour (secondary); see Limits.
//
// Latency is slept on the injected clock: a clock.Fake just advances, the
// real clock really waits.
package limiter
