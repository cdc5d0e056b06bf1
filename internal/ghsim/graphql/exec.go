package graphql

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// resolver computes one field of one object type. src is the Go value the
// parent object was built from; args are coerced with defaults applied.
type resolver func(ec *execCtx, src any, args map[string]any) (any, error)

// fieldError is an execution error with GitHub's type.
type fieldError struct {
	Type    string
	Message string
}

func (e *fieldError) Error() string { return e.Message }

func errorf(typ, format string, a ...any) *fieldError {
	return &fieldError{Type: typ, Message: fmt.Sprintf(format, a...)}
}

// typed lets a resolver return a value together with its concrete GraphQL
// object type, for fields of interface or union type.
type typed struct {
	Type  string
	Value any
}

// execCtx is the state of executing one operation.
type execCtx struct {
	ctx    context.Context
	h      *Handler
	schema *ast.Schema
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	vars   map[string]any
	errs   []apiError
	req    *request
	actor  *state.Token
	// field is the field being resolved, for resolvers that look at their
	// own selection (e.g. to count nodes).
	field *ast.Field
	path  []any

	baseURL   string
	cost      int
	nodeCount int
	budget    budget
	limit     int
}

func (ec *execCtx) addError(path []any, f *ast.Field, err error) {
	e := apiError{Path: append([]any(nil), path...), Message: err.Error()}
	var fe *fieldError
	if errors.As(err, &fe) {
		e.Type = fe.Type
	}
	if f != nil && f.Position != nil {
		e.Locations = []location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	ec.errs = append(ec.errs, e)
}

// executeSelectionSet runs sel on src whose concrete type is def. It reports
// failed when a non-null field below it was null, so that the object itself
// must become null.
func (ec *execCtx) executeSelectionSet(def *ast.Definition, src any, sel ast.SelectionSet, path []any) (*object, bool) {
	groups := ec.collectFields(def, sel, nil, nil)
	out := &object{}
	failed := false
	for _, g := range groups {
		v, bad := ec.executeField(def, src, g.fields, append(path, g.key))
		if bad {
			failed = true
			continue
		}
		out.set(g.key, v)
	}
	if failed {
		return nil, true
	}
	return out, false
}

type fieldGroup struct {
	key    string
	fields []*ast.Field
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// collectFields implements CollectFields of the GraphQL specification:
// fields with the same response key are merged, fragments and inline
// fragments that apply to def are expanded, @skip and @include honoured.
func (ec *execCtx) collectFields(def *ast.Definition, sel ast.SelectionSet, groups []*fieldGroup, visited map[string]bool) []*fieldGroup {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !ec.included(s.Directives) {
				continue
			}
			key := responseKey(s)
			found := false
			for _, g := range groups {
				if g.key == key {
					g.fields = append(g.fields, s)
					found = true
					break
				}
			}
			if !found {
				groups = append(groups, &fieldGroup{key: key, fields: []*ast.Field{s}})
			}
		case *ast.FragmentSpread:
			if !ec.included(s.Directives) {
				continue
			}
			if visited == nil {
				visited = map[string]bool{}
			}
			if visited[s.Name] {
				continue
			}
			visited[s.Name] = true
			frag := ec.doc.Fragments.ForName(s.Name)
			if frag == nil || !ec.applies(frag.TypeCondition, def) {
				continue
			}
			groups = ec.collectFields(def, frag.SelectionSet, groups, visited)
		case *ast.InlineFragment:
			if !ec.included(s.Directives) {
				continue
			}
			if s.TypeCondition != "" && !ec.applies(s.TypeCondition, def) {
				continue
			}
			groups = ec.collectFields(def, s.SelectionSet, groups, visited)
		}
	}
	return groups
}

func (ec *execCtx) applies(cond string, def *ast.Definition) bool {
	if cond == def.Name {
		return true
	}
	for _, t := range ec.schema.GetPossibleTypes(ec.schema.Types[cond]) {
		if t.Name == def.Name {
			return true
		}
	}
	return false
}

func (ec *execCtx) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		switch d.Name {
		case "skip", "include":
			arg := d.Arguments.ForName("if")
			if arg == nil {
				continue
			}
			v, err := arg.Value.Value(ec.vars)
			if err != nil {
				continue
			}
			b, _ := v.(bool)
			if d.Name == "skip" && b || d.Name == "include" && !b {
				return false
			}
		}
	}
	return true
}

// executeField resolves one response key on src and completes its value.
func (ec *execCtx) executeField(parent *ast.Definition, src any, fields []*ast.Field, path []any) (any, bool) {
	f := fields[0]
	if f.Name == "__typename" {
		return parent.Name, false
	}
	fdef := parent.Fields.ForName(f.Name)
	if fdef == nil {
		fdef = metaField(parent, ec.schema, f.Name)
	}
	if fdef == nil {
		ec.addError(path, f, fmt.Errorf("Field '%s' doesn't exist on type '%s'", f.Name, parent.Name))
		return nil, false
	}
	fn := resolvers[parent.Name][f.Name]
	if m, ok := src.(map[string]any); ok && fn == nil {
		fn = func(*execCtx, any, map[string]any) (any, error) { return m[f.Name], nil }
	}
	if fn == nil {
		ec.addError(path, f, errorf("SIMULATOR_UNSUPPORTED", "The simulator does not implement field '%s' on type '%s'.", f.Name, parent.Name))
		return nil, fdef.Type.NonNull
	}
	args, err := ec.coerceArgs(fdef.Arguments, f.Arguments)
	if err != nil {
		ec.addError(path, f, err)
		return nil, fdef.Type.NonNull
	}
	if len(path) == 1 {
		state.RecordField(ec.ctx, string(ec.op.Operation), f.Name)
		// Over the content-creation limit with limits.contentRefusal
		// "field", GitHub answers the field, not the request (evidence in
		// limiter.Middleware.secondary).
		if ec.op.Operation == ast.Mutation && !limiter.TakeContent(ec.ctx) {
			ec.addError(path, f, errorf("UNPROCESSABLE", "was submitted too quickly"))
			return nil, fdef.Type.NonNull
		}
	}
	ec.field, ec.path = f, path
	v, err := ec.call(fn, src, args)
	if err != nil {
		ec.addError(path, f, err)
		return nil, fdef.Type.NonNull
	}
	return ec.complete(fdef.Type, fields, v, path)
}

// call runs a resolver; a panic becomes the field's error, so one broken
// resolver cannot take the whole answer down.
func (ec *execCtx) call(fn resolver, src any, args map[string]any) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, errorf("INTERNAL", "Something went wrong while executing your query: %v", p)
		}
	}()
	return fn(ec, src, args)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// complete turns a resolved Go value into its response value for type t.
func (ec *execCtx) complete(t *ast.Type, fields []*ast.Field, v any, path []any) (any, bool) {
	if isNil(v) {
		if t.NonNull {
			ec.addError(path, fields[0], fmt.Errorf("Cannot return null for non-nullable field %s", fields[0].Name))
			return nil, true
		}
		return nil, false
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			ec.addError(path, fields[0], fmt.Errorf("internal error: %T is not a list", v))
			return nil, t.NonNull
		}
		out := make([]any, rv.Len())
		for i := range out {
			item, bad := ec.complete(t.Elem, fields, rv.Index(i).Interface(), append(path, i))
			if bad {
				return nil, t.NonNull
			}
			out[i] = item
		}
		return out, false
	}
	def := ec.schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		return serializeLeaf(def, v), false
	}
	concrete := def
	if tv, ok := v.(typed); ok {
		concrete = ec.schema.Types[tv.Type]
		v = tv.Value
	} else if def.Kind != ast.Object {
		concrete = ec.schema.Types[typeNameOf(v)]
	}
	if concrete == nil {
		ec.addError(path, fields[0], fmt.Errorf("internal error: no GraphQL type for %T", v))
		return nil, t.NonNull
	}
	var sel ast.SelectionSet
	for _, f := range fields {
		sel = append(sel, f.SelectionSet...)
	}
	o, bad := ec.executeSelectionSet(concrete, v, sel, path)
	if bad {
		return nil, t.NonNull
	}
	return o, false
}

func serializeLeaf(def *ast.Definition, v any) any {
	switch def.Name {
	case "Int":
		switch n := v.(type) {
		case int:
			return n
		case int64:
			return int(n)
		}
	case "Boolean":
		if b, ok := v.(bool); ok {
			return b
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	case int:
		if def.Name == "ID" || def.Kind == ast.Enum {
			return strconv.Itoa(x)
		}
		return x
	}
	return v
}

// coerceArgs computes the argument values of a field: literals, variables
// and defaults, coerced to the argument types.
func (ec *execCtx) coerceArgs(defs ast.ArgumentDefinitionList, args ast.ArgumentList) (map[string]any, error) {
	out := make(map[string]any, len(defs))
	for _, d := range defs {
		var (
			val any
			has bool
		)
		if a := args.ForName(d.Name); a != nil {
			if a.Value.Kind == ast.Variable {
				val, has = ec.vars[a.Value.Raw]
			} else {
				v, err := a.Value.Value(ec.vars)
				if err != nil {
					return nil, fmt.Errorf("argument '%s': %w", d.Name, err)
				}
				val, has = v, true
			}
		}
		if !has && d.DefaultValue != nil {
			v, err := d.DefaultValue.Value(nil)
			if err != nil {
				return nil, fmt.Errorf("default of argument '%s': %w", d.Name, err)
			}
			val, has = v, true
		}
		if !has {
			continue
		}
		cv, err := ec.coerceInput(d.Type, val)
		if err != nil {
			return nil, under(d.Name, err)
		}
		out[d.Name] = cv
	}
	return out, nil
}

// inputError is a value that cannot be coerced to its input type; path
// leads from the argument to the bad value.
type inputError struct {
	path []string
	msg  string
}

func (e *inputError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	return strings.Join(e.path, ".") + ": " + e.msg
}

func under(step string, err error) error {
	var ie *inputError
	if errors.As(err, &ie) {
		return &inputError{path: append([]string{step}, ie.path...), msg: ie.msg}
	}
	return err
}

// coerceInput normalises an input value to plain Go types: int, float64,
// string, bool, []any and map[string]any, applying input field defaults.
// Base64String values must be RFC 4648 base64 with padding, as GitHub
// requires for createCommitOnBranch file contents.
func (ec *execCtx) coerceInput(t *ast.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			e, err := ec.coerceInput(t.Elem, v)
			if err != nil {
				return nil, err
			}
			return []any{e}, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			e, err := ec.coerceInput(t.Elem, rv.Index(i).Interface())
			if err != nil {
				return nil, under(strconv.Itoa(i), err)
			}
			out[i] = e
		}
		return out, nil
	}
	def := ec.schema.Types[t.NamedType]
	if def == nil {
		return nil, &inputError{msg: "unknown type " + t.NamedType}
	}
	switch def.Kind {
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, &inputError{msg: fmt.Sprintf("Expected value to be an object of %s", def.Name)}
		}
		out := make(map[string]any, len(def.Fields))
		for _, fd := range def.Fields {
			fv, has := m[fd.Name]
			if !has && fd.DefaultValue != nil {
				dv, err := fd.DefaultValue.Value(nil)
				if err != nil {
					return nil, err
				}
				fv, has = dv, true
			}
			if !has {
				continue
			}
			cv, err := ec.coerceInput(fd.Type, fv)
			if err != nil {
				return nil, under(fd.Name, err)
			}
			out[fd.Name] = cv
		}
		return out, nil
	case ast.Enum:
		s, ok := v.(string)
		if !ok {
			return nil, &inputError{msg: fmt.Sprintf("Expected a value of enum %s", def.Name)}
		}
		return s, nil
	}
	switch def.Name {
	case "Int":
		switch n := v.(type) {
		case int:
			return n, nil
		case int64:
			return int(n), nil
		case float64:
			return int(n), nil
		}
	case "Float":
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		case int:
			return float64(n), nil
		}
	case "Boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "Base64String":
		if s, ok := v.(string); ok {
			if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
				return nil, &inputError{msg: fmt.Sprintf("Could not coerce value %q to Base64String", s)}
			}
			return s, nil
		}
	default: // String, ID and GitHub's other custom scalars travel as strings.
		switch s := v.(type) {
		case string:
			return s, nil
		case int64:
			return strconv.FormatInt(s, 10), nil
		case int:
			return strconv.Itoa(s), nil
		case float64:
			return strconv.FormatFloat(s, 'f', -1, 64), nil
		}
	}
	return nil, &inputError{msg: fmt.Sprintf("Could not coerce value %v to %s", v, def.Name)}
}

// checkRootArgs coerces the arguments of the top-level fields before
// anything runs: like GitHub, a document whose input cannot be coerced
// (e.g. file contents that are not padded base64) fails as a whole.
func (ec *execCtx) checkRootArgs(root *ast.Definition) []apiError {
	var errs []apiError
	for _, g := range ec.collectFields(root, ec.op.SelectionSet, nil, nil) {
		for _, f := range g.fields {
			fdef := root.Fields.ForName(f.Name)
			if fdef == nil {
				continue
			}
			for _, ad := range fdef.Arguments {
				a := f.Arguments.ForName(ad.Name)
				if a == nil {
					continue
				}
				single := ast.ArgumentDefinitionList{ad}
				_, err := ec.coerceArgs(single, ast.ArgumentList{a})
				var ie *inputError
				if err == nil || !errors.As(err, &ie) {
					continue
				}
				e := apiError{Path: []any{g.key}, Locations: loc(a.Position)}
				if a.Value.Kind == ast.Variable {
					vd := ec.op.VariableDefinitions.ForName(a.Value.Raw)
					typ := ad.Type.String()
					if vd != nil {
						typ = vd.Type.String()
						e.Locations = loc(vd.Position)
					}
					sub := ie.path[1:] // drop the argument's own name
					e.Path = nil
					e.Message = fmt.Sprintf("Variable $%s of type %s was provided invalid value for %s (%s)", a.Value.Raw, typ, strings.Join(sub, "."), ie.msg)
					e.Extensions = map[string]any{"problems": []any{map[string]any{"path": sub, "explanation": ie.msg}}}
				} else {
					e.Message = fmt.Sprintf("Argument '%s' on Field '%s' has an invalid value (%s). Expected type '%s'.", ad.Name, f.Name, a.Value.String(), ad.Type.String())
					e.Extensions = map[string]any{"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": ad.Name}
				}
				errs = append(errs, e)
			}
		}
	}
	return errs
}
