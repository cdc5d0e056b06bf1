package ghsimtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/dfiu/dfiu/internal/testshared"
)

// Validator reports exchanges that do not match the description to a test.
// It counts what it checked so that a test can prove traffic went through
// it. It is safe for concurrent use.
type Validator struct {
	t    testing.TB
	spec *Spec
	gql  *GraphQLSchema // nil when schema.graphql is absent

	mu               sync.Mutex
	validated        int
	validatedGraphQL int
	skipped          int
	failures         []string
}

// NewValidator returns a validator reporting to t. It skips t when the
// REST description is absent (see Require). GraphQL answers are checked
// against schema.graphql when it is present beside the description.
func NewValidator(t testing.TB) *Validator {
	t.Helper()
	v := &Validator{t: t, spec: Require(t)}
	gql, err := LoadGraphQL()
	if err != nil && (testshared.Required() || !errors.Is(err, ErrNoDescription)) {
		testshared.Absent(t, err)
	}
	v.gql = gql
	return v
}

// isGraphQL reports whether a request path is one of GitHub's GraphQL
// endpoints.
func isGraphQL(path string) bool { return path == "/graphql" || path == "/api/graphql" }

// Check validates one exchange, reports a mismatch with t.Errorf and
// returns it. REST exchanges are checked against the REST description,
// GraphQL POSTs against the GraphQL schema (see GraphQLSchema), and the
// simulator's admin API is passed over.
func (v *Validator) Check(ex Exchange) error {
	if ex.Request == nil || ex.Request.URL == nil {
		return errors.New("exchange has no request")
	}
	path := ex.Request.URL.Path
	var err error
	switch {
	case isGraphQL(path) && v.gql != nil && ex.Request.Method == http.MethodPost:
		err = v.checkGraphQL(ex)
		v.mu.Lock()
		v.validatedGraphQL++
		v.mu.Unlock()
	case Skipped(path):
		v.mu.Lock()
		v.skipped++
		v.mu.Unlock()
		return nil
	default:
		err = v.spec.Validate(ex)
		v.mu.Lock()
		v.validated++
		v.mu.Unlock()
	}
	v.mu.Lock()
	if err != nil {
		msg := fmt.Sprintf("%s %s → %d: %v", ex.Request.Method, ex.Request.URL.RequestURI(), ex.Status, err)
		v.failures = append(v.failures, msg)
		v.mu.Unlock()
		v.t.Errorf("OpenAPI conformance: %s", msg)
		return err
	}
	v.mu.Unlock()
	return nil
}

// checkGraphQL checks a GraphQL exchange: a 200 answer against the schema
// and the document sent, any other status (401, secondary-limit 403,
// faults) for GitHub's {"message": …} error shape.
func (v *Validator) checkGraphQL(ex Exchange) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("GraphQL validator panicked: %v", r)
		}
	}()
	var req GraphQLRequest
	if err := json.Unmarshal(ex.RequestBody, &req); err != nil || req.Query == "" {
		return fmt.Errorf("request body is not a GraphQL request {query, variables, operationName}: %s", truncate(ex.RequestBody))
	}
	if ex.Status != http.StatusOK {
		if err := checkBasicError(ex.Header, ex.Body); err != nil {
			return fmt.Errorf("GraphQL answer %d: %w", ex.Status, err)
		}
		return nil
	}
	if err := v.gql.ValidateResponse(req, ex.Body); err != nil {
		return fmt.Errorf("GraphQL answer: %w", err)
	}
	return nil
}

// ValidatedGraphQL returns how many GraphQL exchanges were checked.
func (v *Validator) ValidatedGraphQL() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.validatedGraphQL
}

// Validated returns how many REST exchanges were checked.
func (v *Validator) Validated() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.validated
}

// Skipped returns how many exchanges were passed through unchecked: the
// simulator's admin API, and GraphQL when schema.graphql is absent.
func (v *Validator) Skipped() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.skipped
}

// Failures returns the mismatches reported so far, one line each.
func (v *Validator) Failures() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.failures...)
}

// Transport is an http.RoundTripper that validates every exchange it
// carries (see Validator.Check).
type Transport struct {
	*Validator
	base http.RoundTripper
}

// NewTransport returns a RoundTripper that sends requests with base
// (http.DefaultTransport when nil) and validates each exchange, REST and
// GraphQL, reporting mismatches to t. It skips t when the description is absent.
func NewTransport(t testing.TB, base http.RoundTripper) *Transport {
	t.Helper()
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Validator: NewValidator(t), base: base}
}

// RoundTrip sends req and validates the exchange. Transport errors (for
// example an injected connection reset) are returned unchecked.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading body of %s %s: %w", req.Method, req.URL, err)
		}
		reqBody = b
		// RoundTrip must not modify req; send a shallow copy with the body.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading response of %s %s: %w", req.Method, req.URL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	tr.Check(Exchange{Request: req, RequestBody: reqBody, Status: resp.StatusCode, Header: resp.Header, Body: body})
	return resp, nil
}

// Middleware is an http.Handler that validates every exchange served by the
// handler it wraps (see Validator.Check).
type Middleware struct {
	*Validator
	next http.Handler
}

// NewMiddleware returns a handler that serves with next and validates each
// exchange, REST and GraphQL, reporting mismatches to t. It skips t when the description
// is absent.
func NewMiddleware(t testing.TB, next http.Handler) *Middleware {
	t.Helper()
	return &Middleware{Validator: NewValidator(t), next: next}
}

// Middleware wraps next so that every exchange it serves is validated by v. Its signature fits ghsim.Options.Middleware:
//
//	v := ghsimtest.NewValidator(t)
//	srv := ghsim.New(ghsim.Options{Middleware: v.Middleware})
func (v *Validator) Middleware(next http.Handler) http.Handler {
	return &Middleware{Validator: v, next: next}
}

// ServeHTTP serves r with the wrapped handler and validates the exchange.
// Exchanges whose connection the handler hijacked are not checked.
func (m *Middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if Skipped(r.URL.Path) && !isGraphQL(r.URL.Path) {
		m.Check(Exchange{Request: r})
		m.next.ServeHTTP(w, r)
		return
	}
	var reqBody []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			http.Error(w, fmt.Sprintf("reading request body: %v", err), http.StatusBadRequest)
			return
		}
		reqBody = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rec := &recorder{ResponseWriter: w, header: w.Header()}
	m.next.ServeHTTP(rec, r)
	if rec.hijacked {
		return
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	m.Check(Exchange{Request: r, RequestBody: reqBody, Status: rec.status, Header: rec.header, Body: rec.body.Bytes()})
}

// recorder passes a response through while keeping a copy of its status and
// body.
type recorder struct {
	http.ResponseWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Flush passes flushes through when the underlying writer supports them.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets the wrapped handler take over the connection (the simulator's
// connection-reset fault); such exchanges are not validated.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("hijacking: %T is not an http.Hijacker", r.ResponseWriter)
	}
	r.hijacked = true
	return h.Hijack()
}

// ValidateIfPresent returns a validating middleware for
// ghsim.Options.Middleware, so that every exchange of a test that runs on the
// simulator is checked against GitHub's descriptions. Where ../shared is
// absent (a user's clone) it logs that and returns nil, and the test runs
// unvalidated instead of being skipped; where the run requires ../shared
// (testshared.RequireEnv, set by .ci/run) that is a failure instead.
func ValidateIfPresent(t testing.TB) func(http.Handler) http.Handler {
	t.Helper()
	if _, err := Load(); err != nil {
		if errors.Is(err, ErrNoDescription) && !testshared.Required() {
			t.Logf("exchanges not validated against GitHub's API description: %v", err)
			return nil
		}
		testshared.Absent(t, err)
	}
	return NewValidator(t).Middleware
}
