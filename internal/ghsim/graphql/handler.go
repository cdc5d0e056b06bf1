package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// DefaultMaxBlobText is the size above which Blob.text is cut and
// Blob.isTruncated is true. GitHub does not document its limit; 512 KiB
// keeps every Dockerfile whole and still shows the behaviour.
const DefaultMaxBlobText = 512 << 10

// Options configures a Handler. The zero value is usable.
type Options struct {
	// Clock gives rateLimit.resetAt; it defaults to clock.Real.
	Clock clock.Clock
	// MaxBlobText overrides DefaultMaxBlobText when positive.
	MaxBlobText int
	// RateLimit is what rateLimit { limit } reports; 5,000 when zero.
	RateLimit int
}

// Handler serves GitHub's GraphQL API over a state.World.
type Handler struct {
	w         *state.World
	opts      Options
	budgets   budgets
	documents documents
}

// NewHandler returns the GraphQL endpoint for w. The server mounts it at
// /graphql and /api/graphql after authenticating the request and storing
// the token with state.WithActor.
func NewHandler(w *state.World, opts Options) *Handler {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.MaxBlobText <= 0 {
		opts.MaxBlobText = DefaultMaxBlobText
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 5000
	}
	return &Handler{w: w, opts: opts}
}

// request is the JSON body GitHub's /graphql endpoint accepts.
type request struct {
	Query         *string        `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// ServeHTTP answers one POSTed GraphQL document.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeMessage(rw, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeMessage(rw, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		writeMessage(rw, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	resp := h.execute(r, &req, rw.Header())
	out, err := resp.MarshalJSON()
	if err != nil {
		writeMessage(rw, http.StatusInternalServerError, "encoding response: "+err.Error())
		return
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(http.StatusOK)
	rw.Write(out)
}

func writeMessage(rw http.ResponseWriter, status int, msg string) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/graphql"})
	rw.Write(b)
}

func onlyError(msg string) *response {
	return &response{Errors: []apiError{{Message: msg}}}
}

// execute parses, validates and runs one request and returns its response.
func (h *Handler) execute(r *http.Request, req *request, hdr http.Header) *response {
	schema, err := Schema()
	if err != nil {
		return onlyError(err.Error())
	}
	if req.Query == nil || strings.TrimSpace(*req.Query) == "" {
		return onlyError("A query attribute must be specified and must be a string.")
	}
	doc, errs := h.documents.get(schema, *req.Query)
	if len(errs) > 0 {
		return &response{Errors: errs}
	}
	op, msg := selectOperation(doc, req.OperationName)
	if op == nil {
		return onlyError(msg)
	}
	if op.Operation == ast.Subscription {
		return onlyError("Subscriptions are not supported over HTTP.")
	}
	vars, verr := validator.VariableValues(schema, op, req.Variables)
	if verr != nil {
		return &response{Errors: []apiError{variableError(op, verr)}}
	}
	ec := &execCtx{ctx: r.Context(), h: h, schema: schema, doc: doc, op: op, vars: vars, req: req}
	root := rootType(schema, op.Operation)
	if errs := ec.checkRootArgs(root); len(errs) > 0 {
		return &response{Errors: errs}
	}
	if errs := ec.checkPagination(); len(errs) > 0 {
		return &response{Errors: errs}
	}
	actor, ok := state.ActorFrom(r.Context())
	if !ok {
		return onlyError("This endpoint requires you to be authenticated.")
	}
	ec.actor = actor
	ec.baseURL = h.w.BaseURL()
	if ec.baseURL == "" {
		ec.baseURL = "http://" + r.Host
	}
	ec.measure()
	if actor.Teams == state.TeamsInsufficientScopes {
		if f := ec.teamField(); f != "" {
			// See state.TeamsInsufficientScopes: nothing runs.
			return &response{Errors: []apiError{{Type: "INSUFFICIENT_SCOPES",
				Message: fmt.Sprintf("Your token has not been granted the required scopes to execute this query. The '%s' field requires one of the following scopes: ['read:org'], but your token has only been granted the: ['repo'] scopes. Please modify your token's scopes at: https://github.com/settings/tokens.", f)}}}
		}
	}
	if ec.nodeCount > maxNodes {
		return &response{Errors: []apiError{{Type: "MAX_NODE_LIMIT_EXCEEDED",
			Message: fmt.Sprintf("This query requests up to %d possible nodes which exceeds the maximum limit of %d.", ec.nodeCount, maxNodes)}}}
	}
	if b, ok := budgetFromHeaders(hdr); ok {
		ec.budget, ec.limit = b, b.limit
	} else {
		ec.budget, ec.limit = h.budgets.charge(actor.Login, h.opts.Clock.Now(), ec.cost), h.opts.RateLimit
	}
	data, _ := ec.executeSelectionSet(root, nil, op.SelectionSet, nil)
	resp := &response{Exec: true, Errors: ec.errs}
	if data != nil {
		resp.Data = data
	}
	return resp
}

func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, string) {
	if name == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0], ""
		}
		return nil, "An operation name is required"
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, ""
	}
	return nil, fmt.Sprintf("No operation named \"%s\"", name)
}

// variableError words a variable coercion failure as graphql-ruby does:
// "Variable $input of type CreateRefInput! was provided invalid value",
// with the problem in extensions.
func variableError(op *ast.OperationDefinition, err error) apiError {
	e := apiError{Message: err.Error()}
	var ge *gqlerror.Error
	if !errors.As(err, &ge) || len(ge.Path) < 2 {
		return e
	}
	name := fmt.Sprint(ge.Path[1])
	vd := op.VariableDefinitions.ForName(name)
	if vd == nil {
		return e
	}
	sub := []any{}
	for _, p := range ge.Path[2:] {
		switch p := p.(type) {
		case ast.PathName:
			sub = append(sub, string(p))
		case ast.PathIndex:
			sub = append(sub, int(p))
		}
	}
	e.Extensions = map[string]any{"problems": []any{map[string]any{"path": sub, "explanation": ge.Message}}}
	e.Message = fmt.Sprintf("Variable $%s of type %s was provided invalid value", name, vd.Type.String())
	e.Locations = loc(vd.Position)
	return e
}

// maxPage is the largest first or last a connection accepts, and maxNodes
// the most nodes one document may ask for, as GitHub documents them.
const (
	maxPage  = 100
	maxNodes = 500_000
)

// checkPagination enforces GitHub's rule that every connection is given
// first or last within 1–100, before anything is executed.
func (ec *execCtx) checkPagination() []apiError {
	var errs []apiError
	w := walker[[]any]{schema: ec.schema, doc: ec.doc,
		field: func(parent *ast.Definition, f *ast.Field, path []any) (*ast.Definition, []any, bool) {
			fdef, child, ok := fieldType(ec.schema, parent, f)
			if !ok {
				return nil, nil, false
			}
			p := append(path, responseKey(f))
			if isConnection(child) {
				if e := ec.checkBoundaries(f, fdef, p); e != nil {
					errs = append(errs, *e)
				}
			}
			return child, p, true
		}}
	w.walk(rootType(ec.schema, ec.op.Operation), ec.op.SelectionSet, nil)
	return errs
}

func isConnection(def *ast.Definition) bool {
	return def.Kind == ast.Object && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("pageInfo") != nil
}

func (ec *execCtx) checkBoundaries(f *ast.Field, fdef *ast.FieldDefinition, path []any) *apiError {
	if fdef.Arguments.ForName("first") == nil && fdef.Arguments.ForName("last") == nil {
		return nil
	}
	args, err := ec.coerceArgs(fdef.Arguments, f.Arguments)
	if err != nil {
		return nil // reported when the field runs
	}
	e := &apiError{Path: append([]any(nil), path...), Locations: loc(f.Position)}
	first, hasFirst := args["first"].(int)
	last, hasLast := args["last"].(int)
	switch {
	case !hasFirst && !hasLast:
		e.Type = "MISSING_PAGINATION_BOUNDARIES"
		e.Message = fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", f.Name)
	case hasFirst && first > maxPage:
		e.Type = "EXCESSIVE_PAGINATION"
		e.Message = fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of %d records.", first, f.Name, maxPage)
	case hasLast && last > maxPage:
		e.Type = "EXCESSIVE_PAGINATION"
		e.Message = fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `last` limit of %d records.", last, f.Name, maxPage)
	case hasFirst && first < 1 || hasLast && last < 1:
		e.Type = "INVALID_PAGINATION"
		e.Message = fmt.Sprintf("`first` and `last` on the `%s` connection must be within 1-%d.", f.Name, maxPage)
	default:
		return nil
	}
	return e
}
