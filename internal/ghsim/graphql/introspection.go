package graphql

import (
	"maps"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection (__schema and __type) over the loaded schema, so that
// GraphiQL-style tools can explore the standalone simulator.

var (
	schemaMetaField = &ast.FieldDefinition{Name: "__schema", Type: ast.NonNullNamedType("__Schema", nil)}
	typeMetaField   = &ast.FieldDefinition{
		Name:      "__type",
		Arguments: ast.ArgumentDefinitionList{{Name: "name", Type: ast.NonNullNamedType("String", nil)}},
		Type:      ast.NamedType("__Type", nil),
	}
)

// metaField returns the definition of an introspection field of the query
// root, which schemas do not list among the root's fields.
func metaField(parent *ast.Definition, schema *ast.Schema, name string) *ast.FieldDefinition {
	if parent != schema.Query {
		return nil
	}
	switch name {
	case "__schema":
		return schemaMetaField
	case "__type":
		return typeMetaField
	}
	return nil
}

type (
	schemaV struct{}
	// typeV is a named type (def) or a wrapping type (wrap: list or non-null).
	typeV struct {
		def  *ast.Definition
		wrap *ast.Type
	}
	inputV struct {
		name, desc string
		typ        *ast.Type
		def        *ast.Value
		dirs       ast.DirectiveList
	}
)

func (ec *execCtx) typeRef(t *ast.Type) typeV {
	if t.NonNull || t.Elem != nil {
		return typeV{wrap: t}
	}
	return typeV{def: ec.schema.Types[t.NamedType]}
}

func deprecation(dirs ast.DirectiveList) (bool, any) {
	d := dirs.ForName("deprecated")
	if d == nil {
		return false, nil
	}
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		return true, a.Value.Raw
	}
	return true, "No longer supported"
}

func optString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func includeDeprecated(args map[string]any) bool {
	b, _ := argBool(args, "includeDeprecated")
	return b
}

func (ec *execCtx) inputValues(args ast.ArgumentDefinitionList, all bool) []any {
	out := []any{}
	for _, a := range args {
		if dep, _ := deprecation(a.Directives); dep && !all {
			continue
		}
		out = append(out, inputV{name: a.Name, desc: a.Description, typ: a.Type, def: a.DefaultValue, dirs: a.Directives})
	}
	return out
}

func init() {
	register("Query", map[string]resolver{
		"__schema": func(*execCtx, any, map[string]any) (any, error) { return schemaV{}, nil },
		"__type": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			def := ec.schema.Types[argString(args, "name")]
			if def == nil {
				return nil, nil
			}
			return typeV{def: def}, nil
		},
	})
	register("__Schema", map[string]resolver{
		"description": func(*execCtx, any, map[string]any) (any, error) { return nil, nil },
		"types": func(ec *execCtx, _ any, _ map[string]any) (any, error) {
			out := make([]any, 0, len(ec.schema.Types))
			for _, name := range slices.Sorted(maps.Keys(ec.schema.Types)) {
				out = append(out, typeV{def: ec.schema.Types[name]})
			}
			return out, nil
		},
		"queryType": func(ec *execCtx, _ any, _ map[string]any) (any, error) { return typeV{def: ec.schema.Query}, nil },
		"mutationType": func(ec *execCtx, _ any, _ map[string]any) (any, error) {
			if ec.schema.Mutation == nil {
				return nil, nil
			}
			return typeV{def: ec.schema.Mutation}, nil
		},
		"subscriptionType": func(ec *execCtx, _ any, _ map[string]any) (any, error) {
			if ec.schema.Subscription == nil {
				return nil, nil
			}
			return typeV{def: ec.schema.Subscription}, nil
		},
		"directives": func(ec *execCtx, _ any, _ map[string]any) (any, error) {
			out := []any{}
			for _, name := range slices.Sorted(maps.Keys(ec.schema.Directives)) {
				out = append(out, ec.schema.Directives[name])
			}
			return out, nil
		},
	})
	register("__Type", map[string]resolver{
		"kind": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(typeV)
			switch {
			case t.wrap != nil && t.wrap.NonNull:
				return "NON_NULL", nil
			case t.wrap != nil:
				return "LIST", nil
			}
			return map[ast.DefinitionKind]string{ast.Scalar: "SCALAR", ast.Object: "OBJECT", ast.Interface: "INTERFACE",
				ast.Union: "UNION", ast.Enum: "ENUM", ast.InputObject: "INPUT_OBJECT"}[t.def.Kind], nil
		},
		"name": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if t := src.(typeV); t.def != nil {
				return t.def.Name, nil
			}
			return nil, nil
		},
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if t := src.(typeV); t.def != nil {
				return optString(t.def.Description), nil
			}
			return nil, nil
		},
		"specifiedByURL": func(*execCtx, any, map[string]any) (any, error) { return nil, nil },
		"isOneOf": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if t := src.(typeV); t.def != nil && t.def.Kind == ast.InputObject {
				return t.def.Directives.ForName("oneOf") != nil, nil
			}
			return nil, nil
		},
		"ofType": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(typeV)
			switch {
			case t.wrap == nil:
				return nil, nil
			case t.wrap.NonNull:
				inner := *t.wrap
				inner.NonNull = false
				return ec.typeRef(&inner), nil
			}
			return ec.typeRef(t.wrap.Elem), nil
		},
		"fields": func(_ *execCtx, src any, args map[string]any) (any, error) {
			t := src.(typeV)
			if t.def == nil || (t.def.Kind != ast.Object && t.def.Kind != ast.Interface) {
				return nil, nil
			}
			out := []any{}
			for _, f := range t.def.Fields {
				if len(f.Name) > 1 && f.Name[:2] == "__" {
					continue
				}
				if dep, _ := deprecation(f.Directives); dep && !includeDeprecated(args) {
					continue
				}
				out = append(out, f)
			}
			return out, nil
		},
		"inputFields": func(ec *execCtx, src any, args map[string]any) (any, error) {
			t := src.(typeV)
			if t.def == nil || t.def.Kind != ast.InputObject {
				return nil, nil
			}
			out := []any{}
			for _, f := range t.def.Fields {
				if dep, _ := deprecation(f.Directives); dep && !includeDeprecated(args) {
					continue
				}
				out = append(out, inputV{name: f.Name, desc: f.Description, typ: f.Type, def: f.DefaultValue, dirs: f.Directives})
			}
			return out, nil
		},
		"interfaces": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(typeV)
			if t.def == nil || (t.def.Kind != ast.Object && t.def.Kind != ast.Interface) {
				return nil, nil
			}
			out := []any{}
			for _, name := range t.def.Interfaces {
				out = append(out, typeV{def: ec.schema.Types[name]})
			}
			return out, nil
		},
		"possibleTypes": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(typeV)
			if t.def == nil || (t.def.Kind != ast.Interface && t.def.Kind != ast.Union) {
				return nil, nil
			}
			out := []any{}
			for _, d := range ec.schema.GetPossibleTypes(t.def) {
				out = append(out, typeV{def: d})
			}
			return out, nil
		},
		"enumValues": func(_ *execCtx, src any, args map[string]any) (any, error) {
			t := src.(typeV)
			if t.def == nil || t.def.Kind != ast.Enum {
				return nil, nil
			}
			out := []any{}
			for _, v := range t.def.EnumValues {
				if dep, _ := deprecation(v.Directives); dep && !includeDeprecated(args) {
					continue
				}
				out = append(out, v)
			}
			return out, nil
		},
	})
	register("__Field", map[string]resolver{
		"name": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(*ast.FieldDefinition).Name, nil },
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return optString(src.(*ast.FieldDefinition).Description), nil
		},
		"args": func(ec *execCtx, src any, args map[string]any) (any, error) {
			return ec.inputValues(src.(*ast.FieldDefinition).Arguments, includeDeprecated(args)), nil
		},
		"type": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			return ec.typeRef(src.(*ast.FieldDefinition).Type), nil
		},
		"isDeprecated": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			dep, _ := deprecation(src.(*ast.FieldDefinition).Directives)
			return dep, nil
		},
		"deprecationReason": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			_, reason := deprecation(src.(*ast.FieldDefinition).Directives)
			return reason, nil
		},
	})
	register("__InputValue", map[string]resolver{
		"name":        func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(inputV).name, nil },
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) { return optString(src.(inputV).desc), nil },
		"type":        func(ec *execCtx, src any, _ map[string]any) (any, error) { return ec.typeRef(src.(inputV).typ), nil },
		"defaultValue": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if d := src.(inputV).def; d != nil {
				return d.String(), nil
			}
			return nil, nil
		},
		"isDeprecated": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			dep, _ := deprecation(src.(inputV).dirs)
			return dep, nil
		},
		"deprecationReason": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			_, reason := deprecation(src.(inputV).dirs)
			return reason, nil
		},
	})
	register("__EnumValue", map[string]resolver{
		"name": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return src.(*ast.EnumValueDefinition).Name, nil
		},
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return optString(src.(*ast.EnumValueDefinition).Description), nil
		},
		"isDeprecated": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			dep, _ := deprecation(src.(*ast.EnumValueDefinition).Directives)
			return dep, nil
		},
		"deprecationReason": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			_, reason := deprecation(src.(*ast.EnumValueDefinition).Directives)
			return reason, nil
		},
	})
	register("__Directive", map[string]resolver{
		"name": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return src.(*ast.DirectiveDefinition).Name, nil
		},
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return optString(src.(*ast.DirectiveDefinition).Description), nil
		},
		"isRepeatable": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return src.(*ast.DirectiveDefinition).IsRepeatable, nil
		},
		"locations": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			var out []any
			for _, l := range src.(*ast.DirectiveDefinition).Locations {
				out = append(out, string(l))
			}
			return out, nil
		},
		"args": func(ec *execCtx, src any, args map[string]any) (any, error) {
			return ec.inputValues(src.(*ast.DirectiveDefinition).Arguments, includeDeprecated(args)), nil
		},
	})
}
