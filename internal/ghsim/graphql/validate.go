package graphql

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// rulesInRubyStyle are the gqlparser rules whose findings rubyCheck reports
// itself, with graphql-ruby's codes and messages as GitHub sends them.
var rulesInRubyStyle = map[string]bool{
	"FieldsOnCorrectType":        true,
	"KnownArgumentNames":         true,
	"ProvidedRequiredArguments":  true,
	"ValuesOfCorrectType":        true,
	"VariablesInAllowedPosition": true,
	"ScalarLeafs":                true,
}

// validate checks doc against the schema and returns GitHub-shaped errors.
// gqlparser decides whether the document is valid; for the common mistakes
// the errors are rewritten the way graphql-ruby (GitHub's server) words them.
func validate(schema *ast.Schema, doc *ast.QueryDocument) []apiError {
	gerrs := validator.Validate(schema, doc)
	if len(gerrs) == 0 {
		return nil
	}
	rc := &rubyCheck{schema: schema, doc: doc}
	for _, op := range doc.Operations {
		name := string(op.Operation)
		if op.Name != "" {
			name += " " + op.Name
		}
		rc.op = op
		root := rootType(schema, op.Operation)
		if root == nil {
			continue
		}
		rc.selections(root, op.SelectionSet, []any{name})
	}
	for _, frag := range doc.Fragments {
		rc.op = nil
		def := schema.Types[frag.TypeCondition]
		if def == nil {
			continue
		}
		rc.selections(def, frag.SelectionSet, []any{"fragment " + frag.Name})
	}
	out := rc.errs
	for _, ge := range gerrs {
		if len(rc.errs) > 0 && rulesInRubyStyle[ge.Rule] {
			continue
		}
		if e, ok := rubyReword(doc, ge); ok {
			out = append(out, e)
			continue
		}
		out = append(out, fromGQLError(ge))
	}
	return out
}

var (
	reUnusedVar    = regexp.MustCompile(`^Variable "\$([^"]+)" is never used(?: in operation "([^"]+)")?\.$`)
	reUndefinedVar = regexp.MustCompile(`^Variable "\$?([^"]+)" is not defined(?: by operation "([^"]+)")?\.$`)
	reUnusedFrag   = regexp.MustCompile(`^Fragment "([^"]+)" is never used\.$`)
	reUnknownFrag  = regexp.MustCompile(`^Unknown fragment "([^"]+)"\.$`)
)

// rubyReword rewrites gqlparser's findings about variables and fragments
// in graphql-ruby's words, recovering the names from gqlparser's message.
func rubyReword(doc *ast.QueryDocument, ge *gqlerror.Error) (apiError, bool) {
	e := fromGQLError(ge)
	opName := func(name string) (string, []any) {
		op := doc.Operations.ForName(name)
		if name == "" && len(doc.Operations) > 0 {
			op = doc.Operations[0]
		}
		if op == nil {
			return "anonymous query", []any{"query"}
		}
		if op.Name == "" {
			return "anonymous " + string(op.Operation), []any{string(op.Operation)}
		}
		return op.Name, []any{string(op.Operation) + " " + op.Name}
	}
	switch {
	case reUnusedVar.MatchString(ge.Message):
		m := reUnusedVar.FindStringSubmatch(ge.Message)
		by, path := opName(m[2])
		e.Path, e.Message = path, fmt.Sprintf("Variable $%s is declared by %s but not used", m[1], by)
		e.Extensions = map[string]any{"code": "variableNotUsed", "variableName": m[1]}
	case reUndefinedVar.MatchString(ge.Message):
		m := reUndefinedVar.FindStringSubmatch(ge.Message)
		by, path := opName(m[2])
		e.Path, e.Message = path, fmt.Sprintf("Variable $%s is used by %s but not declared", m[1], by)
		e.Extensions = map[string]any{"code": "variableNotDefined", "variableName": m[1]}
	case reUnusedFrag.MatchString(ge.Message):
		m := reUnusedFrag.FindStringSubmatch(ge.Message)
		e.Path, e.Message = []any{"fragment " + m[1]}, fmt.Sprintf("Fragment %s was defined, but not used", m[1])
		e.Extensions = map[string]any{"code": "useAndDefineFragment", "fragmentName": m[1]}
	case reUnknownFrag.MatchString(ge.Message):
		m := reUnknownFrag.FindStringSubmatch(ge.Message)
		e.Message = fmt.Sprintf("Fragment %s was used, but not defined", m[1])
		e.Extensions = map[string]any{"code": "useAndDefineFragment", "fragmentName": m[1]}
	default:
		return apiError{}, false
	}
	return e, true
}

func fromGQLError(ge *gqlerror.Error) apiError {
	e := apiError{Message: ge.Message}
	for _, l := range ge.Locations {
		e.Locations = append(e.Locations, location{Line: l.Line, Column: l.Column})
	}
	return e
}

func rootType(schema *ast.Schema, op ast.Operation) *ast.Definition {
	switch op {
	case ast.Query:
		return schema.Query
	case ast.Mutation:
		return schema.Mutation
	case ast.Subscription:
		return schema.Subscription
	}
	return nil
}

// rubyCheck walks a document and reports errors as graphql-ruby does: the
// path names the operation or fragment, then the response keys.
type rubyCheck struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	errs   []apiError
}

func loc(p *ast.Position) []location {
	if p == nil {
		return nil
	}
	return []location{{Line: p.Line, Column: p.Column}}
}

func (rc *rubyCheck) add(path []any, pos *ast.Position, ext map[string]any, format string, a ...any) {
	rc.errs = append(rc.errs, apiError{
		Path:       append([]any(nil), path...),
		Extensions: ext,
		Locations:  loc(pos),
		Message:    fmt.Sprintf(format, a...),
	})
}

// selections checks sel, the selections of parent, with the response path
// graphql-ruby reports (fragment spreads are checked where they are
// defined, see validate).
func (rc *rubyCheck) selections(parent *ast.Definition, sel ast.SelectionSet, path []any) {
	w := walker[[]any]{schema: rc.schema,
		field: func(parent *ast.Definition, f *ast.Field, path []any) (*ast.Definition, []any, bool) {
			path = append(path, responseKey(f))
			def, ok := rc.field(parent, f, path)
			return def, path, ok
		},
		inline: func(f *ast.InlineFragment, path []any) []any {
			if f.TypeCondition != "" {
				return append(path, "... on "+f.TypeCondition)
			}
			return append(path, "...")
		}}
	w.walk(parent, sel, path)
}

// field checks f, a field of parent, and returns the type whose selections
// it has, if they are to be checked.
func (rc *rubyCheck) field(parent *ast.Definition, f *ast.Field, path []any) (*ast.Definition, bool) {
	if strings.HasPrefix(f.Name, "__") {
		return nil, false
	}
	fdef := parent.Fields.ForName(f.Name)
	if fdef == nil {
		rc.add(path, f.Position, map[string]any{"code": "undefinedField", "typeName": parent.Name, "fieldName": f.Name},
			"Field '%s' doesn't exist on type '%s'", f.Name, parent.Name)
		return nil, false
	}
	for _, a := range f.Arguments {
		adef := fdef.Arguments.ForName(a.Name)
		if adef == nil {
			rc.add(path, a.Position, map[string]any{"code": "argumentNotAccepted", "name": f.Name, "typeName": "Field", "argumentName": a.Name},
				"Field '%s' doesn't accept argument '%s'", f.Name, a.Name)
			continue
		}
		rc.argValue(path, "Field", f.Name, a.Name, a.Value, adef.Type, adef.DefaultValue != nil)
	}
	var missing []string
	for _, adef := range fdef.Arguments {
		if adef.Type.NonNull && adef.DefaultValue == nil && f.Arguments.ForName(adef.Name) == nil {
			missing = append(missing, adef.Name)
		}
	}
	if len(missing) > 0 {
		rc.add(path, f.Position, map[string]any{"code": "missingRequiredArguments", "className": "Field", "name": f.Name, "arguments": strings.Join(missing, ", ")},
			"Field '%s' is missing required arguments: %s", f.Name, strings.Join(missing, ", "))
	}
	def := rc.schema.Types[fdef.Type.Name()]
	if def == nil {
		return nil, false
	}
	leaf := def.Kind == ast.Scalar || def.Kind == ast.Enum
	switch {
	case leaf && len(f.SelectionSet) > 0:
		var names []string
		for _, s := range f.SelectionSet {
			if sf, ok := s.(*ast.Field); ok {
				names = append(names, sf.Name)
			}
		}
		rc.add(path, f.Position, map[string]any{"code": "selectionMismatch", "nodeName": fmt.Sprintf("field '%s'", f.Name), "typeName": def.Name},
			"Selections can't be made on %s (field '%s' returns %s but has selections [%s])", kindPlural(def), f.Name, def.Name, strings.Join(names, ", "))
	case !leaf && len(f.SelectionSet) == 0:
		rc.add(path, f.Position, map[string]any{"code": "selectionMismatch", "nodeName": fmt.Sprintf("field '%s'", f.Name), "typeName": def.Name},
			"Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", f.Name, def.Name, f.Name)
	case !leaf:
		return def, true
	}
	return nil, false
}

func kindPlural(def *ast.Definition) string {
	if def.Kind == ast.Enum {
		return "enums"
	}
	return "scalars"
}

// argValue checks one argument (of a field or of an input object) against
// its type: literals must fit, variables must be of a compatible type.
func (rc *rubyCheck) argValue(path []any, ownerKind, owner, arg string, v *ast.Value, t *ast.Type, hasDefault bool) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		rc.variable(path, arg, v, t, hasDefault)
		return
	}
	if v.Kind == ast.ObjectValue && t.Elem == nil {
		def := rc.schema.Types[t.NamedType]
		if def != nil && def.Kind == ast.InputObject {
			for _, c := range v.Children {
				fd := def.Fields.ForName(c.Name)
				if fd == nil {
					rc.add(path, c.Position, map[string]any{"code": "argumentNotAccepted", "name": def.Name, "typeName": "InputObject", "argumentName": c.Name},
						"InputObject '%s' doesn't accept argument '%s'", def.Name, c.Name)
					continue
				}
				rc.argValue(path, "InputObject", def.Name, c.Name, c.Value, fd.Type, fd.DefaultValue != nil)
			}
			for _, fd := range def.Fields {
				if fd.Type.NonNull && fd.DefaultValue == nil && v.Children.ForName(fd.Name) == nil {
					rc.add(path, v.Position, map[string]any{"code": "missingRequiredInputObjectAttribute", "argumentName": fd.Name, "argumentType": fd.Type.String(), "inputObjectType": def.Name},
						"Argument '%s' on InputObject '%s' is required. Expected type %s", fd.Name, def.Name, fd.Type.String())
				}
			}
			return
		}
	}
	if !rc.literalFits(v, t) {
		rc.add(path, v.Position, map[string]any{"code": "argumentLiteralsIncompatible", "typeName": ownerKind, "argumentName": arg},
			"Argument '%s' on %s '%s' has an invalid value (%s). Expected type '%s'.", arg, ownerKind, owner, v.String(), t.String())
	}
}

// literalFits reports whether a literal can be coerced to t. Variables
// inside lists and objects are checked elsewhere and fit here.
func (rc *rubyCheck) literalFits(v *ast.Value, t *ast.Type) bool {
	switch v.Kind {
	case ast.Variable:
		return true
	case ast.NullValue:
		return !t.NonNull
	}
	if t.Elem != nil {
		if v.Kind != ast.ListValue {
			return rc.literalFits(v, t.Elem)
		}
		for _, c := range v.Children {
			if !rc.literalFits(c.Value, t.Elem) {
				return false
			}
		}
		return true
	}
	def := rc.schema.Types[t.NamedType]
	if def == nil {
		return false
	}
	switch def.Kind {
	case ast.Enum:
		return v.Kind == ast.EnumValue && def.EnumValues.ForName(v.Raw) != nil
	case ast.InputObject:
		if v.Kind != ast.ObjectValue {
			return false
		}
		for _, c := range v.Children {
			fd := def.Fields.ForName(c.Name)
			if fd == nil || !rc.literalFits(c.Value, fd.Type) {
				return false
			}
		}
		for _, fd := range def.Fields {
			if fd.Type.NonNull && fd.DefaultValue == nil && v.Children.ForName(fd.Name) == nil {
				return false
			}
		}
		return true
	}
	switch def.Name {
	case "Int":
		if v.Kind != ast.IntValue {
			return false
		}
		var n int64
		_, err := fmt.Sscan(v.Raw, &n)
		return err == nil && n >= math.MinInt32 && n <= math.MaxInt32
	case "Float":
		return v.Kind == ast.IntValue || v.Kind == ast.FloatValue
	case "Boolean":
		return v.Kind == ast.BooleanValue
	case "ID":
		return v.Kind == ast.StringValue || v.Kind == ast.BlockValue || v.Kind == ast.IntValue
	}
	// String and GitHub's custom scalars (GitObjectID, URI, DateTime,
	// Base64String, GitRefname, …) are written as strings.
	return v.Kind == ast.StringValue || v.Kind == ast.BlockValue
}

func (rc *rubyCheck) variable(path []any, arg string, v *ast.Value, t *ast.Type, locationHasDefault bool) {
	if rc.op == nil {
		return // fragments are checked through the operations that use them
	}
	vd := rc.op.VariableDefinitions.ForName(v.Raw)
	if vd == nil {
		return // NoUndefinedVariables reports it
	}
	varType := vd.Type
	if !varType.NonNull && t.NonNull && (vd.DefaultValue != nil || locationHasDefault) {
		varType = &ast.Type{NamedType: varType.NamedType, Elem: varType.Elem, NonNull: true}
	}
	problem := typeMismatch(varType, t)
	if problem == "" {
		return
	}
	rc.add(path, v.Position, map[string]any{"code": "variableMismatch", "variableName": v.Raw, "typeName": vd.Type.String(), "argumentName": arg, "errorMessage": problem},
		"%s on variable $%s and argument %s (%s / %s)", problem, v.Raw, arg, vd.Type.String(), t.String())
}

// typeMismatch names graphql-ruby's problem when a variable of type have
// cannot be used where want is expected, or returns "".
func typeMismatch(have, want *ast.Type) string {
	strip := func(t *ast.Type) *ast.Type { return &ast.Type{NamedType: t.NamedType, Elem: t.Elem} }
	if want.NonNull {
		if !have.NonNull {
			if p := typeMismatch(have, strip(want)); p != "" {
				return p
			}
			return "Nullability mismatch"
		}
		return typeMismatch(strip(have), strip(want))
	}
	if have.NonNull {
		return typeMismatch(strip(have), want)
	}
	switch {
	case (have.Elem == nil) != (want.Elem == nil):
		return "List dimension mismatch"
	case have.Elem != nil:
		return typeMismatch(have.Elem, want.Elem)
	case have.NamedType != want.NamedType:
		return "Type mismatch"
	}
	return ""
}
