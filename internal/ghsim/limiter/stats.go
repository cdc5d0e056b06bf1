package limiter

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
)

// Stats counts the requests a Middleware has seen since it was made or
// since ResetStats. Every request is counted in Requests, Reads or Writes,
// ContentCreating, Endpoints, Resources, Tokens and GraphQLFields, whether
// it was served, refused or faulted, since a client's retry is another API
// call; Served counts those that reached the wrapped handler.
type Stats struct {
	// Requests is every request received.
	Requests int64 `json:"requests"`
	// Reads are REST GET/HEAD/OPTIONS and GraphQL queries.
	Reads int64 `json:"reads"`
	// Writes are REST POST/PATCH/PUT/DELETE and GraphQL mutations.
	Writes int64 `json:"writes"`
	// ContentCreating counts REST writes and GraphQL mutation fields.
	ContentCreating int64 `json:"contentCreating"`
	// Served is the requests that reached the wrapped handler.
	Served int64 `json:"served"`
	// RateLimited is PrimaryRateLimited + SecondaryRateLimited.
	RateLimited          int64 `json:"rateLimited"`
	PrimaryRateLimited   int64 `json:"primaryRateLimited"`
	SecondaryRateLimited int64 `json:"secondaryRateLimited"`
	// RefusedFields counts the GraphQL mutation fields refused as "was
	// submitted too quickly" (Limits.ContentRefusal "field"); each request
	// with any is also one SecondaryRateLimited.
	RefusedFields int64 `json:"refusedFields"`
	// Faults is the faults injected, latency included; FaultsByKind splits
	// them by kind.
	Faults       int64            `json:"faults"`
	FaultsByKind map[string]int64 `json:"faultsByKind"`
	// Endpoints counts requests by endpoint key, e.g.
	// "GET /repos/{owner}/{repo}/git/ref/{ref}" or "POST /graphql".
	Endpoints map[string]int64 `json:"endpoints"`
	// Resources counts requests by rate-limit resource (core, search,
	// code_search, graphql).
	Resources map[string]int64 `json:"resources"`
	// GraphQLFields counts top-level GraphQL fields by operation type and
	// field name (not alias), e.g. "query.repository" or
	// "mutation.createCommitOnBranch".
	GraphQLFields map[string]int64 `json:"graphqlFields"`
	// Tokens counts requests by caller. A token is never shown: it is
	// named by "token:" and the first 12 hex digits of its SHA-256, so that
	// stats can be logged. Unauthenticated callers are "ip:<address>".
	Tokens map[string]int64 `json:"tokens"`
}

// stats is the live counterpart of Stats, guarded by Middleware.mu.
type stats struct {
	requests, reads, writes, content, served int64
	primaryLimited, secondaryLimited         int64
	refusedFields                            int64
	faults                                   int64
	faultsByKind                             map[string]int64
	endpoints, resources, fields, tokens     map[string]int64
}

func (s *stats) reset() {
	*s = stats{
		faultsByKind: map[string]int64{},
		endpoints:    map[string]int64{},
		resources:    map[string]int64{},
		fields:       map[string]int64{},
		tokens:       map[string]int64{},
	}
}

func (s *stats) count(q *request) {
	s.requests++
	if q.write {
		s.writes++
	} else {
		s.reads++
	}
	s.content += int64(q.content)
	s.endpoints[q.key]++
	s.resources[string(resourceNames[q.resource])]++
	s.tokens[callerLabel(q)]++
	prefix := "query."
	if q.mutation {
		prefix = "mutation."
	}
	for _, f := range q.fields {
		s.fields[prefix+f]++
	}
}

func (s *stats) fault(k FaultKind) {
	s.faults++
	s.faultsByKind[string(k)]++
}

// Stats returns a snapshot of the counters. Its maps are never nil.
func (m *Middleware) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.stats
	return Stats{
		Requests:             s.requests,
		Reads:                s.reads,
		Writes:               s.writes,
		ContentCreating:      s.content,
		Served:               s.served,
		RateLimited:          s.primaryLimited + s.secondaryLimited,
		PrimaryRateLimited:   s.primaryLimited,
		SecondaryRateLimited: s.secondaryLimited,
		RefusedFields:        s.refusedFields,
		Faults:               s.faults,
		FaultsByKind:         maps.Clone(s.faultsByKind),
		Endpoints:            maps.Clone(s.endpoints),
		Resources:            maps.Clone(s.resources),
		GraphQLFields:        maps.Clone(s.fields),
		Tokens:               maps.Clone(s.tokens),
	}
}

// ResetStats sets every counter to zero. Rate-limit usage is kept (see
// ResetLimits).
func (m *Middleware) ResetStats() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.reset()
}

// callerLabel names a caller in the stats without revealing its token.
func callerLabel(q *request) string {
	if q.token == "" {
		return q.caller
	}
	sum := sha256.Sum256([]byte(q.token))
	return "token:" + hex.EncodeToString(sum[:6])
}

// TokenLabel is how Stats.Tokens names the caller using token.
func TokenLabel(token string) string { return callerLabel(&request{token: token}) }
