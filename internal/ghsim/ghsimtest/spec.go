// Package ghsimtest checks that HTTP traffic between a client and the GitHub
// simulator is what GitHub would exchange, against GitHub's own
// machine-readable descriptions beside the repository clone
// (../shared/github-api/): the REST OpenAPI description api.github.com.json
// and the GraphQL schema schema.graphql. It also reads the recorded
// api.github.com sessions there (LoadFixture) and compares JSON shapes
// (ShapeDiff).
//
// Any package's tests can put the validator in the path, on the client side
// with NewTransport or on the server side with Validator.Middleware:
//
//	tr := ghsimtest.NewTransport(t, nil)
//	client := github.NewClient(&http.Client{Transport: tr})
//
//	v := ghsimtest.NewValidator(t)
//	srv := ghsim.New(ghsim.Options{Middleware: v.Middleware})
//
// Every REST exchange it sees is checked: the method and path must be an
// operation of the description (/api/v3/… is GitHub Enterprise's layout of
// the same paths), the request parameters and body must validate, the
// response must validate against the schema documented for its status, and
// a Location header the description declares must be there. Every GraphQL
// POST (/graphql, /api/graphql) is checked against the schema: the answer's
// data must have exactly the fields the document selects, in order, with
// the schema's nullability, enums and scalars (see GraphQLSchema). The
// simulator's admin API (/_sim/) is passed over.
//
// Statuses the description does not list for an operation fail, except
// those GitHub answers on any endpoint: 401 (bad credentials), 403 and 429
// (rate limits), 404 (a resource the token cannot see), 500, 502, 503 and
// 504; their bodies must still be GitHub's {"message": …} error shape.
// Where the description contradicts what GitHub documents in prose or was
// recorded sending, the description is amended at load time, each case
// explained in amend and load.
//
// Failures are reported with t.Errorf, naming the method, path, status and
// schema error, and are also kept for inspection (Failures); Validated and
// ValidatedGraphQL count what was checked, so that a test can prove its
// traffic went through the validator. Nothing panics.
//
// The REST description takes about a second to load (more under -race); it
// is loaded once per test binary, routes are cached, and a check costs a few
// hundred microseconds, so a suite of a few thousand requests stays quick.
// When the descriptions are absent (a clone without ../shared), the
// constructors skip the test with a message saying where they looked.
package ghsimtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/dfiu/dfiu/internal/testshared"
)

// DescriptionFile is the path of the REST description inside ../shared.
const DescriptionFile = "github-api/api.github.com.json"

// canonicalBase is the server the description declares; requests are
// re-addressed to it before routing so that one router serves every test
// server, whatever its port or path prefix.
const canonicalBase = "https://api.github.com"

// enterprisePrefix is the path prefix of GitHub Enterprise's REST API, which
// the simulator also serves.
const enterprisePrefix = "/api/v3"

// ErrNoDescription is returned when a file of ../shared/github-api (the REST
// description, the GraphQL schema, the recorded sessions) is absent.
var ErrNoDescription = testshared.ErrAbsent

// Spec is GitHub's REST description, loaded and routed. It is safe for
// concurrent use.
type Spec struct {
	doc      *openapi3.T
	router   routers.Router
	path     string
	examples map[string]json.RawMessage

	mu     sync.Mutex
	routes map[string]routeHit // method + " " + path → route
}

type routeHit struct {
	route  *routers.Route
	params map[string]string
	err    error
}

// maxCachedRoutes bounds the route cache; when it is full it starts afresh.
const maxCachedRoutes = 20000

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load returns the REST description, loading it on first use. It looks for
// DescriptionFile in the parent of the directory holding go.mod, walking up
// from the working directory. The result is shared by the whole test binary.
func Load() (*Spec, error) {
	loadOnce.Do(func() {
		loaded, loadErr = load()
	})
	return loaded, loadErr
}

func load() (*Spec, error) {
	path, err := testshared.Path(DescriptionFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading REST description: %w", err)
	}
	// GitHub's description writes "oneOf" for alternatives that overlap:
	// the 409 of contents PUT is oneOf basic-error and
	// repository-rule-violation-error, both all-optional, so every real
	// error body matches both and fails "exactly one". The alternatives are
	// read as "anyOf", which still requires one to match.
	data = bytes.ReplaceAll(data, []byte(`"oneOf":`), []byte(`"anyOf":`))
	data, examples, err := prune(data)
	if err != nil {
		return nil, fmt.Errorf("pruning REST description %q: %w", path, err)
	}
	// The loader would parse the JSON with its YAML parser (about 4 s);
	// encoding/json takes a fraction of that, then the loader resolves the
	// $refs.
	doc := &openapi3.T{}
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, fmt.Errorf("decoding REST description %q: %w", path, err)
	}
	loader := openapi3.NewLoader()
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, fmt.Errorf("resolving REST description %q: %w", path, err)
	}
	// doc.Validate is deliberately not called: upstream's description fails
	// it on an example and on two conflicting attestation paths, neither of
	// which matters for routing or schema checks.
	if err := amend(doc); err != nil {
		return nil, fmt.Errorf("amending REST description %q: %w", path, err)
	}
	doc.Servers = openapi3.Servers{{URL: canonicalBase}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing REST description %q: %w", path, err)
	}
	return &Spec{doc: doc, router: router, path: path, examples: examples, routes: make(map[string]routeHit)}, nil
}

var schemaRefRE = regexp.MustCompile(`"#/components/schemas/([^"]+)"`)

// prune drops what validating REST exchanges never reads, so that decoding
// the description takes a third of the time (much less under -race): the
// webhooks, the component schemas no path reaches (most are webhook
// payloads), and the example values, which are kept aside raw (see Example).
func prune(data []byte) ([]byte, map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, nil, fmt.Errorf("decoding: %w", err)
	}
	delete(top, "x-webhooks")
	var comps map[string]json.RawMessage
	if err := json.Unmarshal(top["components"], &comps); err != nil {
		return nil, nil, fmt.Errorf("decoding components: %w", err)
	}
	var schemas map[string]json.RawMessage
	if err := json.Unmarshal(comps["schemas"], &schemas); err != nil {
		return nil, nil, fmt.Errorf("decoding component schemas: %w", err)
	}
	reached := make(map[string]json.RawMessage)
	var visit func(raw []byte)
	visit = func(raw []byte) {
		for _, m := range schemaRefRE.FindAllSubmatch(raw, -1) {
			name := string(m[1])
			if _, done := reached[name]; done {
				continue
			}
			if schema, ok := schemas[name]; ok {
				reached[name] = schema
				visit(schema)
			}
		}
	}
	visit(top["paths"])
	for k, v := range comps {
		if k != "schemas" && k != "examples" {
			visit(v)
		}
	}
	var examples map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(comps["examples"], &examples); err != nil {
		return nil, nil, fmt.Errorf("decoding component examples: %w", err)
	}
	values := make(map[string]json.RawMessage, len(examples))
	empty := make(map[string]json.RawMessage, len(examples))
	for name, ex := range examples {
		values[name] = ex.Value
		empty[name] = json.RawMessage(`{}`)
	}
	comps["schemas"] = rawObject(reached)
	comps["examples"] = rawObject(empty)
	top["components"] = rawObject(comps)
	return rawObject(top), values, nil
}

// rawObject writes a JSON object from already valid JSON values, without
// json.Marshal's re-validation of every value.
func rawObject(m map[string]json.RawMessage) json.RawMessage {
	size := 2
	for k, v := range m {
		size += len(k) + len(v) + 4
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		key, _ := json.Marshal(k) // a string always encodes
		b = append(b, key...)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}')
}

// Example returns the value of a documented example of the description
// (components/examples/<name>), e.g. "code-search-result-item-paginated".
func (s *Spec) Example(name string) (json.RawMessage, error) {
	v, ok := s.examples[name]
	if !ok {
		return nil, fmt.Errorf("no example %q in the REST description", name)
	}
	return v, nil
}

// amend corrects the places where the description contradicts what GitHub
// documents in prose or was recorded sending, so that faithful answers pass:
//
//   - pull-request-simple's label items declare "description" a plain
//     string; GitHub sends null for a label without one (recorded in
//     fixtures/add-labels-to-issue), and every other label schema of the
//     description, pull-request's included, says nullable.
//   - issues/add-labels and issues/set-labels: "You can also pass an array
//     of labels directly" (the operations' own text), which is what
//     go-github v60 sends, but the body schema lists only the object form.
func amend(doc *openapi3.T) error {
	prs := doc.Components.Schemas["pull-request-simple"]
	if prs == nil || prs.Value == nil || prs.Value.Properties["labels"] == nil {
		return errors.New("no pull-request-simple labels schema")
	}
	item := prs.Value.Properties["labels"].Value.Items
	if item == nil || item.Value == nil || item.Value.Properties["description"] == nil {
		return errors.New("no pull-request-simple label description schema")
	}
	desc := *item.Value.Properties["description"].Value
	desc.Nullable = true
	item.Value.Properties["description"] = &openapi3.SchemaRef{Value: &desc}

	labels := doc.Paths.Value("/repos/{owner}/{repo}/issues/{issue_number}/labels")
	if labels == nil {
		return errors.New("no issue labels path")
	}
	for _, op := range []*openapi3.Operation{labels.Post, labels.Put} {
		if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
			return errors.New("no issue labels request body")
		}
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			return errors.New("no issue labels JSON schema")
		}
		body := mt.Schema.Value
		var arrays openapi3.SchemaRefs
		for _, alt := range body.AnyOf {
			if l := alt.Value.Properties["labels"]; l != nil {
				arrays = append(arrays, &openapi3.SchemaRef{Value: &openapi3.Schema{
					Type: &openapi3.Types{openapi3.TypeArray}, Items: l.Value.Items,
				}})
			}
		}
		if len(arrays) == 0 {
			return fmt.Errorf("issue labels body of %s has no labels alternative", op.OperationID)
		}
		body.AnyOf = append(body.AnyOf, arrays...)
	}
	return nil
}

// Require returns the loaded description. It skips the test when the
// description file is absent and fails it when the file cannot be loaded.
func Require(t testing.TB) *Spec {
	t.Helper()
	spec, err := Load()
	return require(t, spec, err)
}

func require(t testing.TB, spec *Spec, err error) *Spec {
	t.Helper()
	if err != nil {
		testshared.Absent(t, err)
		return nil // unreached with a real testing.TB
	}
	return spec
}

// Path returns the file the description was loaded from.
func (s *Spec) Path() string { return s.path }

// Skipped reports whether a request path is outside the REST API and so is
// not validated against the REST description: GraphQL endpoints (see
// GraphQLSchema) and the simulator's admin API.
func Skipped(path string) bool {
	switch {
	case path == "/graphql", path == "/api/graphql":
		return true
	case strings.HasPrefix(path, "/_sim/"), path == "/_sim":
		return true
	}
	return false
}

// Operation returns the operationId and path template of the documented
// operation that serves method and path (with or without /api/v3 and a
// query string), or an error when the description has no such operation.
func (s *Spec) Operation(method, path string) (operationID, template string, err error) {
	u, err := url.Parse(path)
	if err != nil {
		return "", "", fmt.Errorf("parsing path %q: %w", path, err)
	}
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	route, _, err := s.findRoute(req)
	if err != nil {
		return "", "", err
	}
	return route.Operation.OperationID, route.Path, nil
}

// findRoute routes a request (already or not yet canonicalised) and caches
// the answer per method and path.
func (s *Spec) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	escaped := strings.TrimPrefix(req.URL.EscapedPath(), enterprisePrefix)
	if escaped == "" {
		escaped = "/"
	}
	key := req.Method + " " + escaped
	s.mu.Lock()
	hit, ok := s.routes[key]
	s.mu.Unlock()
	if !ok {
		hit = s.route(req.Method, escaped)
		s.mu.Lock()
		if len(s.routes) >= maxCachedRoutes {
			s.routes = make(map[string]routeHit)
		}
		s.routes[key] = hit
		s.mu.Unlock()
	}
	if hit.err != nil {
		return nil, nil, hit.err
	}
	params := make(map[string]string, len(hit.params))
	for k, v := range hit.params {
		params[k] = v
	}
	return hit.route, params, nil
}

// slashParams are the path parameters GitHub lets hold slashes: file paths
// of the contents API, ref names ("heads/feature/x") of the git refs and
// commits APIs, tree-ish names, and "base...head" of compare.
var slashParams = map[string]bool{"{path}": true, "{ref}": true, "{tree_sha}": true, "{basehead}": true}

// route matches an escaped path against the description. The router matches
// one segment per parameter, so when the path as given does not match, the
// last segments are joined with an escaped slash, one more at a time, until
// a route matches whose last parameter may hold slashes (slashParams). A
// trailing slash ("contents/", the repository root) is an empty last
// parameter.
func (s *Spec) route(method, escaped string) routeHit {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	var firstErr error
	for join := 0; join < len(segs); join++ {
		keep := len(segs) - join
		last := strings.Join(segs[keep-1:], "%2F")
		if join > 0 || last == "" {
			if last == "" || strings.HasSuffix(last, "%2F") {
				last += "%2F" // an empty or slash-ended value still fills the segment
			}
		}
		p := "/" + strings.Join(append(append([]string(nil), segs[:keep-1]...), last), "/")
		u, err := url.Parse(canonicalBase + p)
		if err != nil {
			return routeHit{err: fmt.Errorf("parsing path %q: %w", escaped, err)}
		}
		req := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
		route, params, err := s.router.FindRoute(req)
		if err == nil && (join > 0 || segs[len(segs)-1] == "") && !slashParams[lastSegment(route.Path)] {
			err = fmt.Errorf("%w (only %s)", routers.ErrPathNotFound, route.Path)
		}
		if err == nil {
			for k, v := range params {
				if unescaped, uerr := url.PathUnescape(v); uerr == nil {
					if trimmed := strings.TrimSuffix(unescaped, "/"); trimmed != "" {
						unescaped = trimmed
					}
					params[k] = unescaped
				}
			}
			return routeHit{route: route, params: params}
		}
		if firstErr == nil {
			firstErr = err
		}
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			// The path is documented, but not for this method.
			break
		}
	}
	return routeHit{err: fmt.Errorf("%s %s is not an operation of the REST description: %w", method, escaped, firstErr)}
}

func lastSegment(template string) string {
	return template[strings.LastIndex(template, "/")+1:]
}

// Exchange is one HTTP request and its response as the validator sees them.
type Exchange struct {
	// Request is the request as sent; its Body is ignored (see RequestBody).
	Request     *http.Request
	RequestBody []byte
	Status      int
	Header      http.Header
	Body        []byte
}

// Validate checks one exchange against the description. It returns nil for
// requests outside the REST API (see Skipped) and an error describing the
// first mismatch otherwise. It never panics.
func (s *Spec) Validate(ex Exchange) (err error) {
	if ex.Request == nil || ex.Request.URL == nil {
		return errors.New("exchange has no request")
	}
	if Skipped(ex.Request.URL.Path) {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("validator panicked: %v", r)
		}
	}()
	route, params, err := s.findRoute(ex.Request)
	if err != nil {
		return err
	}
	ctx := ex.Request.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	req := canonicalRequest(ctx, ex.Request, ex.RequestBody)
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
	}
	opts.WithCustomSchemaErrorFunc(schemaErrorMessage)
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    opts,
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return fmt.Errorf("request (operation %s, %s): %w", route.Operation.OperationID, route.Path, err)
	}
	if ex.Status == 0 {
		return nil
	}
	return s.validateResponse(ctx, in, ex)
}

// schemaErrorMessage shortens kin-openapi's schema errors, which otherwise
// quote the whole schema and value, to the JSON path and the reason.
func schemaErrorMessage(err *openapi3.SchemaError) string {
	return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
}

// canonicalRequest re-addresses a copy of req to the description's server,
// without the Enterprise prefix, with body as its body.
func canonicalRequest(ctx context.Context, r *http.Request, body []byte) *http.Request {
	u := *r.URL
	u.Scheme = "https"
	u.Host = "api.github.com"
	u.Path = strings.TrimPrefix(u.Path, enterprisePrefix)
	if u.RawPath != "" {
		u.RawPath = strings.TrimPrefix(u.RawPath, enterprisePrefix)
	}
	req := r.Clone(ctx)
	req.URL = &u
	req.Host = u.Host
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	return req
}

// universalStatuses are statuses GitHub can answer on any operation, whether
// or not the operation documents them:
//   - 401: a missing or bad token ("Bad credentials") is checked before routing;
//   - 403 and 429: primary and secondary rate limits apply to every endpoint
//     (docs: rate-limits-for-the-rest-api, "you will receive a 403 or 429");
//   - 404: GitHub answers 404 for resources the token cannot see, on every
//     repository endpoint ("you will receive a 404 Not Found or 403 Forbidden");
//   - 500, 502, 503, 504: server errors and timeouts (the simulator's faults).
//
// An undocumented status from this set is accepted only when its body is
// GitHub's basic-error shape: a JSON object with a string "message".
// Any other undocumented status (a 409 or 422 nobody documented, a 200 on
// an operation answering 201) is a failure.
var universalStatuses = map[int]bool{
	http.StatusUnauthorized:        true,
	http.StatusForbidden:           true,
	http.StatusNotFound:            true,
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

// rawMediaTypes are GitHub's custom media types that replace the JSON body
// by raw file content or a rendering; the description lists them for some
// operations only, and their bodies have no schema.
var rawMediaTypes = []string{".raw", ".html", ".diff", ".patch", ".sha"}

func (s *Spec) validateResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, ex Exchange) error {
	route := in.Route
	header := ex.Header
	if header == nil {
		header = http.Header{}
	}
	documented := route.Operation.Responses.Status(ex.Status) != nil || route.Operation.Responses.Default() != nil
	if !documented && universalStatuses[ex.Status] {
		if err := checkBasicError(header, ex.Body); err != nil {
			return fmt.Errorf("response %d (operation %s, undocumented status GitHub sends on any endpoint): %w",
				ex.Status, route.Operation.OperationID, err)
		}
		return nil
	}
	if raw := rawMediaType(ex.Request.Header.Get("Accept")); raw != "" && ex.Status/100 == 2 {
		if ct := header.Get("Content-Type"); !strings.Contains(ct, raw) {
			return fmt.Errorf("response %d (operation %s): Accept asked for %q but Content-Type is %q",
				ex.Status, route.Operation.OperationID, raw, ct)
		}
		return nil
	}
	if resp := route.Operation.Responses.Status(ex.Status); resp != nil && resp.Value != nil {
		// GitHub sends the Location its description declares (the new
		// resource's URL on a 201); kin-openapi only checks headers marked
		// required, which GitHub's never are.
		if _, declared := resp.Value.Headers["Location"]; declared && header.Get("Location") == "" {
			return fmt.Errorf("response %d (operation %s): no Location header; the description declares one", ex.Status, route.Operation.OperationID)
		}
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 ex.Status,
		Header:                 header,
		Options:                in.Options,
	}
	rin.SetBodyBytes(ex.Body)
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		return fmt.Errorf("response %d (operation %s, %s): %w", ex.Status, route.Operation.OperationID, route.Path, err)
	}
	return nil
}

// rawMediaType returns the GitHub media type suffix (e.g. "raw") asked for by
// an Accept header, or "".
func rawMediaType(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.ToLower(mt)
		if !strings.HasPrefix(mt, "application/vnd.github") {
			continue
		}
		for _, suffix := range rawMediaTypes {
			if strings.HasSuffix(mt, suffix) {
				return strings.TrimPrefix(suffix, ".")
			}
		}
	}
	return ""
}

// checkBasicError checks a body against GitHub's basic-error shape:
// a JSON object whose "message" is a string and whose "documentation_url",
// when present, is a string.
func checkBasicError(header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("content type is %q, want application/json", ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("body is not a JSON object: %w", err)
	}
	if _, ok := obj["message"].(string); !ok {
		return fmt.Errorf("body has no string \"message\": %s", truncate(body))
	}
	if v, ok := obj["documentation_url"]; ok {
		if _, ok := v.(string); !ok {
			return fmt.Errorf("\"documentation_url\" is not a string: %s", truncate(body))
		}
	}
	return nil
}

func truncate(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
