package limiter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Resource is a primary rate-limit bucket, as in x-ratelimit-resource.
type Resource string

// The resources the middleware tells apart.
const (
	Core       Resource = "core"
	Search     Resource = "search"
	CodeSearch Resource = "code_search"
	GraphQL    Resource = "graphql"
)

const (
	resCore = iota
	resSearch
	resCodeSearch
	resGraphQL
	numResources
)

var resourceNames = [numResources]Resource{Core, Search, CodeSearch, GraphQL}

// maxGraphQLBody bounds how much of a GraphQL body is read for
// classification; larger bodies are passed on untouched and count as queries.
const maxGraphQLBody = 8 << 20

// request is what the middleware knows about one request.
type request struct {
	caller   string // token, or "ip:<host>" when unauthenticated
	token    string
	resource int
	path     string // without /api/v3; /api/graphql is /graphql
	key      string // endpoint key
	write    bool
	graphql  bool
	mutation bool
	fields   []string // GraphQL top-level field names
	content  int      // content-creating requests this request is worth
	refused  int      // of those, how many fields a "field" refusal refuses
	rateCall bool     // GET /rate_limit
}

// restPath strips the GitHub Enterprise /api/v3 prefix and maps /api/graphql
// to /graphql.
func restPath(p string) string {
	if p == "/api/graphql" {
		return "/graphql"
	}
	if rest, ok := strings.CutPrefix(p, "/api/v3"); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return p
}

// token returns the token of an Authorization header: "token X" or
// "Bearer X" (any case).
func token(h string) string {
	scheme, t, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return ""
	}
	if strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "bearer") {
		return strings.TrimSpace(t)
	}
	return ""
}

func (m *Middleware) classify(r *http.Request) *request {
	q := &request{path: restPath(r.URL.Path)}
	q.token = token(r.Header.Get("Authorization"))
	q.caller = q.token
	if q.caller == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		q.caller = "ip:" + host
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		q.write = true
	}
	switch {
	case q.path == "/graphql":
		q.resource = resGraphQL
		q.graphql = true
		q.write = false
		if r.Method == http.MethodPost {
			m.classifyGraphQL(r, q)
		}
	case strings.HasPrefix(q.path, "/search/code") && r.Method == http.MethodGet:
		q.resource = resCodeSearch
	case strings.HasPrefix(q.path, "/search/"):
		q.resource = resSearch
	default:
		q.resource = resCore
		q.rateCall = q.path == "/rate_limit" && !q.write
	}
	if !q.graphql && q.write {
		q.content = 1
	}
	if m.hooks.EndpointKey != nil {
		q.key = m.hooks.EndpointKey(r)
	}
	if q.key == "" {
		q.key = r.Method + " " + q.path
	}
	return q
}

// graphqlBody is the part of a GraphQL request body the middleware reads.
type graphqlBody struct {
	Query         string `json:"query"`
	OperationName string `json:"operationName"`
}

// classifyGraphQL reads the body, restores it for the next handler, and
// finds the operation's type and top-level fields. A body it cannot read
// counts as one query with no fields; the GraphQL handler reports the error.
func (m *Middleware) classifyGraphQL(r *http.Request, q *request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxGraphQLBody+1))
	if len(b) > maxGraphQLBody {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return
	}
	var body graphqlBody
	if json.Unmarshal(b, &body) != nil || body.Query == "" {
		return
	}
	op, fields := topLevelFields(body.Query, body.OperationName)
	q.mutation = op == ast.Mutation
	q.write = q.mutation
	q.fields = fields
	if q.mutation {
		q.content = len(fields)
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// topLevelFields parses a GraphQL document without a schema and returns the
// chosen operation's type and the names (not aliases) of its top-level
// fields, in document order, following fragments; a response key (alias)
// counts once, as GraphQL merges such fields.
func topLevelFields(query, operationName string) (ast.Operation, []string) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || doc == nil {
		return ast.Query, nil
	}
	op := doc.Operations.ForName(operationName)
	if op == nil {
		return ast.Query, nil
	}
	// As GraphQL's CollectFields: fields with one response key run once,
	// and each fragment is expanded once.
	var fields []string
	seen := map[string]bool{}
	visited := map[string]bool{}
	var walk func(ss ast.SelectionSet, depth int)
	walk = func(ss ast.SelectionSet, depth int) {
		if depth > 32 {
			return
		}
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if !seen[key] {
					seen[key] = true
					fields = append(fields, s.Name)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				if visited[s.Name] {
					continue
				}
				visited[s.Name] = true
				if f := doc.Fragments.ForName(s.Name); f != nil {
					walk(f.SelectionSet, depth+1)
				}
			}
		}
	}
	walk(op.SelectionSet, 0)
	if op.Operation == "" {
		return ast.Query, fields
	}
	return op.Operation, fields
}

// matcher selects requests for a fault.
type matcher struct {
	any     bool
	method  string // "" or "*" for any
	pattern string
	prefix  string // for a pattern ending in "/**"
}

func parseMatch(s string) (matcher, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return matcher{any: true}, nil
	}
	method, pattern, ok := strings.Cut(s, " ")
	pattern = strings.TrimSpace(pattern)
	if !ok || method == "" || !strings.HasPrefix(pattern, "/") {
		return matcher{}, fmt.Errorf("match %q: want \"METHOD /path/glob\", e.g. \"POST /repos/*/*/pulls\" or \"* /graphql\"", s)
	}
	pattern = restPath(pattern)
	mt := matcher{method: strings.ToUpper(method), pattern: pattern}
	if p, ok := strings.CutSuffix(pattern, "/**"); ok {
		mt.prefix = p + "/"
	} else if _, err := path.Match(pattern, ""); err != nil {
		return matcher{}, fmt.Errorf("match %q: bad path glob: %w", s, err)
	}
	return mt, nil
}

func (mt matcher) match(method string, q *request) bool {
	if mt.any {
		return true
	}
	if mt.method != "*" && mt.method != method {
		return false
	}
	if mt.prefix != "" {
		return strings.HasPrefix(q.path+"/", mt.prefix)
	}
	if ok, _ := path.Match(mt.pattern, q.path); ok {
		return true
	}
	_, keyPath, _ := strings.Cut(q.key, " ")
	return keyPath == mt.pattern
}
