package graphql

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// budget is one token's primary GraphQL window as rateLimit reports it.
// The limiter middleware enforces the real limits; this only keeps the
// numbers a client reads consistent from one document to the next.
type budget struct {
	reset time.Time
	used  int
	limit int // from the limiter's headers; 0 otherwise
}

type budgets struct {
	mu sync.Mutex
	m  map[string]*budget
}

// charge adds cost to the actor's window and returns a copy of it.
func (b *budgets) charge(key string, now time.Time, cost int) budget {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*budget{}
	}
	cur := b.m[key]
	if cur == nil || !now.Before(cur.reset) {
		cur = &budget{reset: now.Add(time.Hour).Truncate(time.Second)}
		b.m[key] = cur
	}
	cur.used += cost
	return *cur
}

// budgetFromHeaders reads the window the limiter middleware has already
// charged this request to, from the x-ratelimit-* headers it sets before
// calling the handler, so that rateLimit agrees with the headers exactly.
func budgetFromHeaders(h http.Header) (budget, bool) {
	if h == nil || h.Get("X-Ratelimit-Resource") != "graphql" {
		return budget{}, false
	}
	limit, err1 := strconv.Atoi(h.Get("X-Ratelimit-Limit"))
	used, err2 := strconv.Atoi(h.Get("X-Ratelimit-Used"))
	reset, err3 := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return budget{}, false
	}
	return budget{reset: time.Unix(reset, 0), used: used, limit: limit}, true
}

// rateLimit is the value of Query.rateLimit for this document.
func (h *Handler) rateLimit(ec *execCtx) map[string]any {
	b := ec.budget
	return map[string]any{
		"cost":      ec.cost,
		"limit":     ec.limit,
		"remaining": max(ec.limit-b.used, 0),
		"used":      b.used,
		"resetAt":   b.reset.UTC().Format(time.RFC3339),
		"nodeCount": ec.nodeCount,
	}
}

// measure computes GitHub's node count and cost of the operation: every
// connection may return first/last nodes for each parent node, and the cost
// is the number of connection requests divided by 100, at least 1.
// teamField returns the name of the first field of a Team the operation
// selects, or "".
func (ec *execCtx) teamField() string {
	found := ""
	w := walker[int]{schema: ec.schema, doc: ec.doc,
		field: func(parent *ast.Definition, f *ast.Field, st int) (*ast.Definition, int, bool) {
			if parent.Name == "Team" && found == "" {
				found = f.Name
			}
			_, child, ok := fieldType(ec.schema, parent, f)
			return child, st, ok
		}}
	w.walk(rootType(ec.schema, ec.op.Operation), ec.op.SelectionSet, 0)
	return found
}

func (ec *execCtx) measure() {
	requests := 0
	nodes := 0
	w := walker[int]{schema: ec.schema, doc: ec.doc,
		field: func(parent *ast.Definition, f *ast.Field, mult int) (*ast.Definition, int, bool) {
			fdef, child, ok := fieldType(ec.schema, parent, f)
			if !ok {
				return nil, 0, false
			}
			if !isConnection(child) {
				return child, mult, true
			}
			args, err := ec.coerceArgs(fdef.Arguments, f.Arguments)
			if err != nil {
				return child, mult, true
			}
			n, ok := args["first"].(int)
			if !ok {
				n, _ = args["last"].(int)
			}
			requests += mult
			nodes += mult * max(n, 1)
			return child, mult * max(n, 1), true
		}}
	w.walk(rootType(ec.schema, ec.op.Operation), ec.op.SelectionSet, 1)
	ec.nodeCount = nodes
	ec.cost = max(1, (requests+50)/100)
}
