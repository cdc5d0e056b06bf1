package limiter

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/clock"
)

// benchServe runs b.N requests made by mk through h in process, without a
// network, so that the numbers are the middleware's own cost.
func benchServe(b *testing.B, h http.Handler, mk func() *http.Request) {
	b.Helper()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, mk())
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

var noop = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

func restGet() *http.Request {
	r := httptest.NewRequest("GET", "/api/v3/repos/acme/app/git/ref/heads/main", nil)
	r.Header.Set("Authorization", "token t1")
	return r
}

const mutationBody = `{"query":"mutation($a: CreateRefInput!, $b: CreateCommitOnBranchInput!) { r: createRef(input: $a) { ref { id } } c: createCommitOnBranch(input: $b) { commit { oid } } }","variables":{"a":{},"b":{}}}`

func graphqlMutation() *http.Request {
	r := httptest.NewRequest("POST", "/graphql", strings.NewReader(mutationBody))
	r.Header.Set("Authorization", "bearer t1")
	return r
}

// BenchmarkBaseline is the cost of the request and recorder alone.
func BenchmarkBaseline(b *testing.B) { benchServe(b, noop, restGet) }

// BenchmarkREST is a REST GET through the middleware with GitHub's limits on.
func BenchmarkREST(b *testing.B) {
	m := New(Config{Limits: Limits{Core: 1 << 30, RESTPointsPerMinute: 1 << 30, Concurrent: 1 << 20}}, clock.Real{}, Hooks{})
	benchServe(b, m.Wrap(noop), restGet)
}

// BenchmarkRESTWithFaults adds three faults that do not fire.
func BenchmarkRESTWithFaults(b *testing.B) {
	m := New(Config{Faults: []Fault{
		{Kind: FaultStatus, Status: 502, Match: "POST /repos/*/*/pulls"},
		{Kind: FaultReset, Rate: 0.0000001},
		{Kind: FaultGraphQLError},
	}}, clock.Real{}, Hooks{})
	benchServe(b, m.Wrap(noop), restGet)
}

// BenchmarkGraphQLMutation parses a two-field mutation per request.
func BenchmarkGraphQLMutation(b *testing.B) {
	m := New(Config{}, clock.Real{}, Hooks{})
	benchServe(b, m.Wrap(noop), graphqlMutation)
}

func BenchmarkGraphQLBaseline(b *testing.B) { benchServe(b, noop, graphqlMutation) }
