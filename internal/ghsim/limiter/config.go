package limiter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config holds the limits and faults of a Middleware. Its zero value turns
// everything off: no request is refused and no fault is injected, but every
// answer still carries GitHub's rate-limit headers with GitHub's default
// limits.
type Config struct {
	Limits Limits  `json:"limits,omitzero" yaml:"limits,omitempty"`
	Faults []Fault `json:"faults,omitempty" yaml:"faults,omitempty"`
	// Seed seeds the random source that decides rate-based faults, so that
	// a run is reproducible.
	Seed uint64 `json:"seed,omitempty" yaml:"seed,omitempty"`
}

// Limits are the primary and secondary rate limits, each per token (per
// user). A zero field is off. GitHubDefaults fills every zero field with
// GitHub's documented value (see GitHubLimits).
type Limits struct {
	// GitHubDefaults turns on every limit left at zero with GitHub's value.
	GitHubDefaults bool `json:"githubDefaults,omitempty" yaml:"githubDefaults,omitempty"`

	// Core is the primary limit for REST requests per hour (GitHub: 5000).
	Core int `json:"core,omitempty" yaml:"core,omitempty"`
	// Search is the primary limit for /search/* other than code per minute
	// (GitHub: 30).
	Search int `json:"search,omitempty" yaml:"search,omitempty"`
	// CodeSearch is the primary limit for GET /search/code per minute
	// (GitHub: 10).
	CodeSearch int `json:"codeSearch,omitempty" yaml:"codeSearch,omitempty"`
	// GraphQL is the primary limit for GraphQL points per hour, one point a
	// document (GitHub: 5000).
	GraphQL int `json:"graphql,omitempty" yaml:"graphql,omitempty"`

	// Concurrent is the most requests one token may have in flight, REST
	// and GraphQL together (GitHub: 100).
	Concurrent int `json:"concurrent,omitempty" yaml:"concurrent,omitempty"`
	// RESTPointsPerMinute limits REST points: a read costs 1, a write 5
	// (GitHub: 900).
	RESTPointsPerMinute int `json:"restPointsPerMinute,omitempty" yaml:"restPointsPerMinute,omitempty"`
	// GraphQLPointsPerMinute limits GraphQL points: a query costs 1, a
	// mutation 5 (GitHub: 2000).
	GraphQLPointsPerMinute int `json:"graphqlPointsPerMinute,omitempty" yaml:"graphqlPointsPerMinute,omitempty"`
	// ContentPerMinute limits content-creating requests: every REST
	// POST/PATCH/PUT/DELETE, and every top-level field of a GraphQL mutation
	// (GitHub: 80).
	ContentPerMinute int `json:"contentPerMinute,omitempty" yaml:"contentPerMinute,omitempty"`
	// ContentPerHour is the same per hour (GitHub: 500).
	ContentPerHour int `json:"contentPerHour,omitempty" yaml:"contentPerHour,omitempty"`

	// PrimaryStatus is the HTTP status of a REST primary refusal: 403
	// (default, what go-github v60 understands) or 429.
	PrimaryStatus int `json:"primaryStatus,omitempty" yaml:"primaryStatus,omitempty"`
	// SecondaryStatus is the HTTP status of a REST secondary refusal: 403
	// (default) or 429.
	SecondaryStatus int `json:"secondaryStatus,omitempty" yaml:"secondaryStatus,omitempty"`
	// GraphQLPrimary is the shape of a GraphQL primary refusal.
	GraphQLPrimary GraphQLPrimaryStyle `json:"graphqlPrimary,omitempty" yaml:"graphqlPrimary,omitempty"`
	// GraphQLSecondary is the shape of a GraphQL secondary refusal.
	GraphQLSecondary GraphQLSecondaryStyle `json:"graphqlSecondary,omitempty" yaml:"graphqlSecondary,omitempty"`
	// RetryAfter, when set, is sent as retry-after on every secondary
	// refusal. Otherwise it is the time until the exceeded window resets
	// (at least one second), and one second for the concurrency limit.
	RetryAfter Duration `json:"retryAfter,omitempty" yaml:"retryAfter,omitempty"`
	// ContentRefusal is how a GraphQL mutation over the content-creation
	// limits is refused: "" (the whole request, with SecondaryStatus or
	// GraphQLSecondary) or "field" (HTTP 200; the fields within the budget
	// run and each one past it fails with UNPROCESSABLE "was submitted too
	// quickly"). REST writes are always refused whole.
	ContentRefusal ContentRefusalStyle `json:"contentRefusal,omitempty" yaml:"contentRefusal,omitempty"`
	// TimeScale, when above 1, makes every limit window, reset and
	// retry-after TimeScale times shorter, so that a standalone simulator
	// on the real clock shows an hour of limits in a minute at 60. It is a
	// simulator knob, not a GitHub behaviour.
	TimeScale int `json:"timeScale,omitempty" yaml:"timeScale,omitempty"`
}

// ContentRefusalStyle selects how a GraphQL mutation over the
// content-creation limits is refused.
type ContentRefusalStyle string

// ContentRefusalField refuses the mutation fields past the budget one by
// one inside an HTTP 200 answer, after the earlier fields ran.
const ContentRefusalField ContentRefusalStyle = "field"

// GraphQLPrimaryStyle selects how a GraphQL primary refusal looks.
type GraphQLPrimaryStyle string

const (
	// GraphQLRateLimited answers HTTP 200 with
	// {"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID N."}]}.
	// It is the default.
	GraphQLRateLimited GraphQLPrimaryStyle = "RATE_LIMITED"
	// GraphQLRateLimit answers HTTP 200 with the newer shape
	// {"errors":[{"type":"RATE_LIMIT","code":"graphql_rate_limit","message":"API rate limit already exceeded for user ID N."}]}.
	GraphQLRateLimit GraphQLPrimaryStyle = "RATE_LIMIT"
	// GraphQLPrimary403 answers HTTP 403 with the REST body.
	GraphQLPrimary403 GraphQLPrimaryStyle = "403"
)

// GraphQLSecondaryStyle selects how a GraphQL secondary refusal looks.
type GraphQLSecondaryStyle string

const (
	// GraphQLSecondary403 answers HTTP 403 with the REST secondary body and
	// retry-after. It is the default.
	GraphQLSecondary403 GraphQLSecondaryStyle = "403"
	// GraphQLSecondary200 answers HTTP 200 with
	// {"errors":[{"type":"RATE_LIMITED","message":"You have exceeded a secondary rate limit…"}]}
	// and retry-after.
	GraphQLSecondary200 GraphQLSecondaryStyle = "200"
)

// GitHubLimits returns GitHub's documented limits for a personal access
// token: 5000/h core and GraphQL, 30/min search, 10/min code search, 100
// concurrent requests, 900 REST and 2000 GraphQL points a minute, 80
// content-creating requests a minute and 500 an hour.
func GitHubLimits() Limits {
	return Limits{
		Core:                   5000,
		Search:                 30,
		CodeSearch:             10,
		GraphQL:                5000,
		Concurrent:             100,
		RESTPointsPerMinute:    900,
		GraphQLPointsPerMinute: 2000,
		ContentPerMinute:       80,
		ContentPerHour:         500,
	}
}

// effective returns l with GitHub's values in its zero fields when
// GitHubDefaults is set.
func (l Limits) effective() Limits {
	if !l.GitHubDefaults {
		return l
	}
	d := GitHubLimits()
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.Core, d.Core)
	fill(&l.Search, d.Search)
	fill(&l.CodeSearch, d.CodeSearch)
	fill(&l.GraphQL, d.GraphQL)
	fill(&l.Concurrent, d.Concurrent)
	fill(&l.RESTPointsPerMinute, d.RESTPointsPerMinute)
	fill(&l.GraphQLPointsPerMinute, d.GraphQLPointsPerMinute)
	fill(&l.ContentPerMinute, d.ContentPerMinute)
	fill(&l.ContentPerHour, d.ContentPerHour)
	return l
}

// FaultKind names what a fault does.
type FaultKind string

const (
	// FaultLatency delays the request by Latency on the clock, then lets it
	// go on (to later faults and the handler).
	FaultLatency FaultKind = "latency"
	// FaultStatus answers Status (500, 502, 503 or 504) with a GitHub-like
	// body.
	FaultStatus FaultKind = "status"
	// FaultReset closes the connection without answering.
	FaultReset FaultKind = "reset"
	// FaultGraphQLError answers a GraphQL request with HTTP 200 and GitHub's
	// "Something went wrong while executing your query" error.
	FaultGraphQLError FaultKind = "graphqlError"
	// FaultResourceLimits answers a GraphQL request with HTTP 200, data
	// null and an error of type RESOURCE_LIMITS_EXCEEDED, as GitHub does
	// for a query too costly to run (third-party clients treat it as
	// "make the query smaller": a smaller date window or batch). The
	// message text is a guess.
	FaultResourceLimits FaultKind = "resourceLimits"
	// FaultSSOPartial lets the request through and adds the header
	// "X-GitHub-SSO: partial-results; organizations=…" to its answer, as
	// GitHub does when results from SAML organisations were left out.
	FaultSSOPartial FaultKind = "ssoPartial"
)

// Fault injects a failure into the requests it selects. A fault counts the
// requests that match Match (n = 1, 2, …, after rate limiting) and fires on:
//   - When(r, n), if When is set (Go tests only);
//   - else requests From..To (To 0 means From alone), if From is set;
//   - else each request with probability Rate, if Rate is set;
//   - else every matching request.
//
// Once limits it to firing a single time.
type Fault struct {
	Kind FaultKind `json:"kind" yaml:"kind"`
	// Status is the HTTP status of a FaultStatus: 500, 502, 503 or 504.
	Status int `json:"status,omitempty" yaml:"status,omitempty"`
	// Latency is the delay of a FaultLatency.
	Latency Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
	// Match selects requests: "" (all), "METHOD PATTERN", where METHOD may
	// be "*" and PATTERN is a path glob (path.Match; a trailing "/**"
	// matches everything below) or an endpoint key's path exactly, e.g.
	// "GET /repos/{owner}/{repo}/git/ref/{ref}". The /api/v3 prefix is
	// stripped and /api/graphql is /graphql before matching.
	Match string  `json:"match,omitempty" yaml:"match,omitempty"`
	Rate  float64 `json:"rate,omitempty" yaml:"rate,omitempty"`
	From  int     `json:"from,omitempty" yaml:"from,omitempty"`
	To    int     `json:"to,omitempty" yaml:"to,omitempty"`
	Once  bool    `json:"once,omitempty" yaml:"once,omitempty"`
	// When, if set, decides alone whether a matching request is faulted; n
	// counts matching requests from 1. It is called with the middleware's
	// lock held, so it must not call the Middleware.
	When func(r *http.Request, n int) bool `json:"-" yaml:"-"`
}

// Validate reports every problem in c, each naming the field and the value.
func (c Config) Validate() error {
	var errs []error
	l := c.Limits
	for _, f := range []struct {
		name string
		v    int
	}{
		{"core", l.Core}, {"search", l.Search}, {"codeSearch", l.CodeSearch}, {"graphql", l.GraphQL},
		{"concurrent", l.Concurrent}, {"restPointsPerMinute", l.RESTPointsPerMinute},
		{"graphqlPointsPerMinute", l.GraphQLPointsPerMinute}, {"contentPerMinute", l.ContentPerMinute},
		{"contentPerHour", l.ContentPerHour},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("limits.%s is %d: must be 0 (off) or positive", f.name, f.v))
		}
	}
	if s := l.PrimaryStatus; s != 0 && s != 403 && s != 429 {
		errs = append(errs, fmt.Errorf("limits.primaryStatus is %d: must be 403 or 429", s))
	}
	if s := l.SecondaryStatus; s != 0 && s != 403 && s != 429 {
		errs = append(errs, fmt.Errorf("limits.secondaryStatus is %d: must be 403 or 429", s))
	}
	switch l.GraphQLPrimary {
	case "", GraphQLRateLimited, GraphQLRateLimit, GraphQLPrimary403:
	default:
		errs = append(errs, fmt.Errorf("limits.graphqlPrimary is %q: must be %q, %q or %q",
			l.GraphQLPrimary, GraphQLRateLimited, GraphQLRateLimit, GraphQLPrimary403))
	}
	switch l.GraphQLSecondary {
	case "", GraphQLSecondary403, GraphQLSecondary200:
	default:
		errs = append(errs, fmt.Errorf("limits.graphqlSecondary is %q: must be %q or %q",
			l.GraphQLSecondary, GraphQLSecondary403, GraphQLSecondary200))
	}
	switch l.ContentRefusal {
	case "", ContentRefusalField:
	default:
		errs = append(errs, fmt.Errorf("limits.contentRefusal is %q: must be empty (the whole request) or %q", l.ContentRefusal, ContentRefusalField))
	}
	if l.TimeScale < 0 {
		errs = append(errs, fmt.Errorf("limits.timeScale is %d: must be 0 or 1 (real time) or a larger divisor", l.TimeScale))
	}
	if l.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("limits.retryAfter is %s: must not be negative", l.RetryAfter))
	}
	for i, f := range c.Faults {
		if err := f.validate(); err != nil {
			errs = append(errs, fmt.Errorf("faults[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("kind %q needs a positive latency, got %s", f.Kind, f.Latency)
		}
	case FaultStatus:
		switch f.Status {
		case 500, 502, 503, 504:
		default:
			return fmt.Errorf("kind %q needs status 500, 502, 503 or 504, got %d", f.Kind, f.Status)
		}
	case FaultReset, FaultGraphQLError, FaultResourceLimits, FaultSSOPartial:
	default:
		return fmt.Errorf("kind is %q: must be %q, %q, %q, %q, %q or %q", f.Kind, FaultLatency, FaultStatus, FaultReset, FaultGraphQLError, FaultResourceLimits, FaultSSOPartial)
	}
	if f.Rate < 0 || f.Rate > 1 || math.IsNaN(f.Rate) {
		return fmt.Errorf("rate is %v: must be between 0 and 1", f.Rate)
	}
	if f.From < 0 || f.To < 0 {
		return fmt.Errorf("from %d and to %d must not be negative", f.From, f.To)
	}
	if f.To != 0 && f.To < f.From {
		return fmt.Errorf("to %d is before from %d", f.To, f.From)
	}
	if f.To != 0 && f.From == 0 {
		return fmt.Errorf("to %d needs from", f.To)
	}
	if _, err := parseMatch(f.Match); err != nil {
		return err
	}
	return nil
}

// Duration is a time.Duration that reads from JSON and YAML as a Go
// duration string ("60s", "250ms") or as a number of seconds (60), and
// writes as a string.
type Duration time.Duration

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("reading duration %s: %w", b, err)
		}
	} else {
		s = string(b)
	}
	return d.parse(s)
}

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("reading duration at line %d: want a scalar like 60s or 60, got a %s", n.Line, nodeKind(n.Kind))
	}
	if err := d.parse(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

func (d *Duration) parse(s string) error {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return fmt.Errorf("reading duration %q: must be a non-negative number of seconds", s)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("reading duration %q: want a Go duration like 60s or a number of seconds: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

func nodeKind(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	default:
		return "document"
	}
}
