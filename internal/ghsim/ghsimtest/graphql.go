package ghsimtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	ghgraphql "github.com/dfiu/dfiu/internal/ghsim/graphql"

	"github.com/dfiu/dfiu/internal/testshared"
)

// SchemaFile is the path of GitHub's GraphQL schema inside ../shared.
const SchemaFile = "github-api/schema.graphql"

// GraphQLSchema is GitHub's GraphQL schema, used to check that the answers
// to GraphQL documents have the shape the schema gives them: every selected
// field present under its alias in selection order and nothing else, no null
// where the schema says non-null, enum values from the enum, scalars of the
// right JSON type (and GitObjectID, DateTime and URI in their formats), and
// __typename naming a type the field can hold.
type GraphQLSchema struct {
	schema *ast.Schema

	mu   sync.Mutex
	docs map[string]parsedDoc // by query text; validating a document costs more than checking its answer
}

type parsedDoc struct {
	doc  *ast.QueryDocument
	errs gqlerror.List
}

// maxCachedDocs bounds the document cache; when it is full it starts afresh.
const maxCachedDocs = 512

// load parses and validates a document, or returns it from the cache.
func (g *GraphQLSchema) load(query string) (*ast.QueryDocument, gqlerror.List) {
	g.mu.Lock()
	p, ok := g.docs[query]
	g.mu.Unlock()
	if ok {
		return p.doc, p.errs
	}
	doc, errs := gqlparser.LoadQuery(g.schema, query)
	g.mu.Lock()
	if g.docs == nil || len(g.docs) >= maxCachedDocs {
		g.docs = make(map[string]parsedDoc)
	}
	g.docs[query] = parsedDoc{doc: doc, errs: errs}
	g.mu.Unlock()
	return doc, errs
}

var (
	gqlOnce   sync.Once
	gqlSchema *GraphQLSchema
	gqlErr    error
)

// LoadGraphQL returns GitHub's GraphQL schema, loading it on first use from
// SchemaFile beside the clone. The two fields the upstream file defines
// twice are dropped before validation (see the README beside it).
func LoadGraphQL() (*GraphQLSchema, error) {
	gqlOnce.Do(func() {
		gqlSchema, gqlErr = loadGraphQL()
	})
	return gqlSchema, gqlErr
}

func loadGraphQL() (*GraphQLSchema, error) {
	path, err := testshared.Path(SchemaFile)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading GraphQL schema: %w", err)
	}
	schema, err := ghgraphql.ParseSchema(string(src))
	if err != nil {
		return nil, fmt.Errorf("GraphQL schema %q: %w", path, err)
	}
	return &GraphQLSchema{schema: schema}, nil
}

// GraphQLRequest is the body of a GraphQL POST.
type GraphQLRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// ValidateResponse checks a GraphQL answer (HTTP 200) to req. An invalid
// document must be answered with errors and no data; a valid one with
// "data" shaped by the selection set (or null) and, if present, "errors"
// each with a message. It returns every problem found, joined.
func (g *GraphQLSchema) ValidateResponse(req GraphQLRequest, body []byte) error {
	resp, err := decodeOrdered(body)
	if err != nil {
		return fmt.Errorf("decoding answer: %w", err)
	}
	top, ok := resp.(*orderedObject)
	if !ok {
		return fmt.Errorf("answer is %s, want an object", jsonKind(resp))
	}
	var problems []string
	for _, k := range top.keys {
		if k != "data" && k != "errors" && k != "extensions" {
			problems = append(problems, fmt.Sprintf("unexpected top-level key %q", k))
		}
	}
	errs, hasErrors := top.m["errors"]
	if hasErrors {
		problems = append(problems, checkGraphQLErrors(errs)...)
	}
	data, hasData := top.m["data"]
	doc, gerrs := g.load(req.Query)
	switch {
	case len(gerrs) > 0:
		if hasData && data != nil {
			problems = append(problems, fmt.Sprintf("invalid document (%v) answered with data", gerrs[0]))
		}
		if !hasErrors {
			problems = append(problems, fmt.Sprintf("invalid document (%v) answered without errors", gerrs[0]))
		}
	case !hasData || data == nil:
		if !hasErrors {
			problems = append(problems, "no data and no errors")
		}
	default:
		op, err := operation(doc, req.OperationName)
		if err != nil {
			return err
		}
		root := g.schema.Query
		if op.Operation == ast.Mutation {
			root = g.schema.Mutation
		}
		c := gqlCheck{g: g, vars: req.Variables}
		c.object("data", root, data, []ast.SelectionSet{op.SelectionSet})
		problems = append(problems, c.problems...)
		if hasErrors {
			problems = append(problems, checkErrorPaths(errs, data)...)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > 10 {
		problems = append(problems[:10], fmt.Sprintf("… and %d more", len(problems)-10))
	}
	return errors.New(strings.Join(problems, "; "))
}

func operation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, fmt.Errorf("document has no operation %q", name)
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("document has %d operations and no operationName", len(doc.Operations))
	}
	return doc.Operations[0], nil
}

func checkGraphQLErrors(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return []string{fmt.Sprintf("errors is %s, want an array", jsonKind(v))}
	}
	if len(list) == 0 {
		return []string{"errors is empty; GitHub leaves the key out instead"}
	}
	var problems []string
	for i, e := range list {
		obj, ok := e.(*orderedObject)
		if !ok {
			problems = append(problems, fmt.Sprintf("errors[%d] is %s, want an object", i, jsonKind(e)))
			continue
		}
		if _, ok := obj.m["message"].(string); !ok {
			problems = append(problems, fmt.Sprintf("errors[%d] has no string message", i))
		}
		if p, ok := obj.m["path"]; ok && p != nil {
			items, ok := p.([]any)
			if !ok {
				problems = append(problems, fmt.Sprintf("errors[%d].path is %s, want an array", i, jsonKind(p)))
			}
			for _, it := range items {
				if k := jsonKind(it); k != "a string" && k != "a number" {
					problems = append(problems, fmt.Sprintf("errors[%d].path holds a %s", i, k))
				}
			}
		}
		if t, ok := obj.m["type"]; ok {
			if _, ok := t.(string); !ok {
				problems = append(problems, fmt.Sprintf("errors[%d].type is %s, want a string", i, jsonKind(t)))
			}
		}
	}
	return problems
}

// checkErrorPaths checks that every error with a path points at a null in
// data (a failed field is null, or its null went up to a nullable parent).
func checkErrorPaths(errs, data any) []string {
	list, _ := errs.([]any)
	var problems []string
	for i, e := range list {
		obj, ok := e.(*orderedObject)
		if !ok {
			continue
		}
		path, _ := obj.m["path"].([]any)
		if len(path) == 0 {
			continue
		}
		v := data
		for _, step := range path {
			if v == nil {
				break // the null went up to a parent
			}
			switch s := step.(type) {
			case string:
				o, ok := v.(*orderedObject)
				if !ok {
					problems = append(problems, fmt.Sprintf("errors[%d].path %v: %q is not an object key here", i, path, s))
					v = nil
					continue
				}
				next, ok := o.m[s]
				if !ok {
					problems = append(problems, fmt.Sprintf("errors[%d].path %v names no field of data", i, path))
				}
				v = next
			case json.Number:
				l, ok := v.([]any)
				n, err := s.Int64()
				if !ok || err != nil || n < 0 || int(n) >= len(l) {
					problems = append(problems, fmt.Sprintf("errors[%d].path %v: %v is not an index here", i, path, s))
					v = nil
					continue
				}
				v = l[n]
			}
		}
		if v != nil {
			problems = append(problems, fmt.Sprintf("errors[%d].path %v points at a value, want null for a failed field", i, path))
		}
	}
	return problems
}

// gqlCheck walks an answer along the selection sets that asked for it.
type gqlCheck struct {
	g        *GraphQLSchema
	vars     map[string]any
	problems []string
}

func (c *gqlCheck) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// collected is the fields asked for under one response key.
type collected struct {
	key    string
	fields []*ast.Field
}

// collect gathers the fields that sets select on an object of type typ, by
// response key in selection order (GraphQL's CollectFields).
func (c *gqlCheck) collect(typ *ast.Definition, sets []ast.SelectionSet) []collected {
	var out []collected
	index := map[string]int{}
	visited := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if c.skipped(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if i, ok := index[key]; ok {
					out[i].fields = append(out[i].fields, s)
					continue
				}
				index[key] = len(out)
				out = append(out, collected{key: key, fields: []*ast.Field{s}})
			case *ast.FragmentSpread:
				if c.skipped(s.Directives) || visited[s.Name] || s.Definition == nil {
					continue
				}
				visited[s.Name] = true
				if c.applies(s.Definition.TypeCondition, typ) {
					walk(s.Definition.SelectionSet)
				}
			case *ast.InlineFragment:
				if c.skipped(s.Directives) {
					continue
				}
				if s.TypeCondition == "" || c.applies(s.TypeCondition, typ) {
					walk(s.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return out
}

func (c *gqlCheck) skipped(dirs ast.DirectiveList) bool {
	if d := dirs.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(c.vars)["if"].(bool); v {
			return true
		}
	}
	if d := dirs.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(c.vars)["if"].(bool); !v {
			return true
		}
	}
	return false
}

// applies reports whether a fragment on cond applies to an object of type typ.
func (c *gqlCheck) applies(cond string, typ *ast.Definition) bool {
	if cond == typ.Name {
		return true
	}
	def := c.g.schema.Types[cond]
	if def == nil || !def.IsAbstractType() {
		return false
	}
	for _, p := range c.g.schema.GetPossibleTypes(def) {
		if p.Name == typ.Name {
			return true
		}
	}
	return false
}

// object checks v, an object of the composite type typ selected by sets.
func (c *gqlCheck) object(path string, typ *ast.Definition, v any, sets []ast.SelectionSet) {
	obj, ok := v.(*orderedObject)
	if !ok {
		c.fail(path, "got %s, want an object of type %s", jsonKind(v), typ.Name)
		return
	}
	if typ.IsAbstractType() {
		concrete := c.concrete(path, typ, obj, sets)
		if concrete == nil {
			return
		}
		typ = concrete
	}
	fields := c.collect(typ, sets)
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	if strings.Join(keys, ",") != strings.Join(obj.keys, ",") {
		c.fail(path, "keys %v, want %v (selection order) on %s", obj.keys, keys, typ.Name)
	}
	for _, f := range fields {
		val, present := obj.m[f.key]
		if !present {
			continue // reported above
		}
		first := f.fields[0]
		if first.Name == "__typename" {
			if s, _ := val.(string); s != typ.Name {
				c.fail(path+"."+f.key, "__typename %v, want %s", val, typ.Name)
			}
			continue
		}
		def := typ.Fields.ForName(first.Name)
		if def == nil {
			c.fail(path+"."+f.key, "%s has no field %s", typ.Name, first.Name)
			continue
		}
		var subs []ast.SelectionSet
		for _, ff := range f.fields {
			if len(ff.SelectionSet) > 0 {
				subs = append(subs, ff.SelectionSet)
			}
		}
		c.value(path+"."+f.key, def.Type, val, subs)
	}
}

// concrete finds the object type of an answer to an abstract type: the one
// __typename names, or else the possible type whose selected keys are the
// answer's keys.
func (c *gqlCheck) concrete(path string, typ *ast.Definition, obj *orderedObject, sets []ast.SelectionSet) *ast.Definition {
	possible := c.g.schema.GetPossibleTypes(typ)
	if name, ok := obj.m["__typename"].(string); ok {
		for _, p := range possible {
			if p.Name == name {
				return p
			}
		}
		c.fail(path, "__typename %q is not a possible type of %s", name, typ.Name)
		return nil
	}
	got := strings.Join(obj.keys, ",")
	for _, p := range possible {
		fields := c.collect(p, sets)
		keys := make([]string, len(fields))
		for i, f := range fields {
			keys[i] = f.key
		}
		if strings.Join(keys, ",") == got {
			return p
		}
	}
	c.fail(path, "keys %v fit no possible type of %s", obj.keys, typ.Name)
	return nil
}

func (c *gqlCheck) value(path string, t *ast.Type, v any, subs []ast.SelectionSet) {
	if v == nil {
		if t.NonNull {
			c.fail(path, "null for non-null %s", t.String())
		}
		return
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			c.fail(path, "got %s, want a list %s", jsonKind(v), t.String())
			return
		}
		for i, item := range list {
			c.value(fmt.Sprintf("%s[%d]", path, i), t.Elem, item, subs)
		}
		return
	}
	def := c.g.schema.Types[t.NamedType]
	if def == nil {
		c.fail(path, "unknown type %s", t.NamedType)
		return
	}
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		c.object(path, def, v, subs)
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			c.fail(path, "%v is not a value of enum %s", v, def.Name)
		}
	case ast.Scalar:
		if msg := checkScalar(def.Name, v); msg != "" {
			c.fail(path, "%s", msg)
		}
	default:
		c.fail(path, "field of input type %s", def.Name)
	}
}

var gitOIDRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func checkScalar(name string, v any) string {
	s, isString := v.(string)
	switch name {
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Sprintf("Int is %s", jsonKind(v))
		}
		i, err := n.Int64()
		if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			return fmt.Sprintf("Int %s is not a 32-bit integer", n)
		}
	case "Float":
		if _, ok := v.(json.Number); !ok {
			return fmt.Sprintf("Float is %s", jsonKind(v))
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("Boolean is %s", jsonKind(v))
		}
	case "String", "ID", "Base64String", "HTML", "GitSSHRemote", "X509Certificate", "BigInt", "GitRefname":
		if !isString {
			return fmt.Sprintf("%s is %s", name, jsonKind(v))
		}
	case "GitObjectID":
		if !isString || !gitOIDRE.MatchString(s) {
			return fmt.Sprintf("GitObjectID %v is not 40 lowercase hex digits", v)
		}
	case "DateTime", "GitTimestamp", "PreciseDateTime":
		if !isString {
			return fmt.Sprintf("%s is %s", name, jsonKind(v))
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Sprintf("%s %q is not ISO-8601: %v", name, s, err)
		}
	case "Date":
		if _, err := time.Parse("2006-01-02", s); !isString || err != nil {
			return fmt.Sprintf("Date %v is not YYYY-MM-DD", v)
		}
	case "URI":
		u, err := url.Parse(s)
		if !isString || err != nil || u.Scheme == "" {
			return fmt.Sprintf("URI %v is not an absolute URL", v)
		}
	default:
		if _, ok := v.(*orderedObject); ok {
			return fmt.Sprintf("scalar %s is an object", name)
		}
	}
	return ""
}

// orderedObject is a JSON object with its keys in document order.
type orderedObject struct {
	keys []string
	m    map[string]any
}

// decodeOrdered decodes JSON keeping object key order and numbers exact.
func decodeOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &orderedObject{m: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := obj.m[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				obj.keys = append(obj.keys, k)
				obj.m[k] = v
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token() // ']'
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *orderedObject:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
