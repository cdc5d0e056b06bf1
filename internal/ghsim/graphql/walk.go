package graphql

import (
	"maps"

	"github.com/vektah/gqlparser/v2/ast"
)

// walker goes through a selection set of a type, field by field, carrying a
// state S (a response path, a node multiplier) from each field down to its
// own selections. The pagination check, the cost measure and the
// graphql-ruby wording of validation errors all walk with it.
type walker[S any] struct {
	schema *ast.Schema
	// doc, when set, is where fragment spreads are looked up and followed
	// (each at most once along a path); without it they are not followed.
	doc *ast.QueryDocument
	// field is called for every field of a type the schema knows. It
	// returns the type and state for the field's selections, or false to
	// leave them.
	field func(parent *ast.Definition, f *ast.Field, st S) (*ast.Definition, S, bool)
	// inline, when set, gives the state inside an inline fragment.
	inline func(f *ast.InlineFragment, st S) S
}

// walk visits sel, the selections of def, with state st.
func (w *walker[S]) walk(def *ast.Definition, sel ast.SelectionSet, st S) {
	w.selections(def, sel, st, nil)
}

func (w *walker[S]) selections(def *ast.Definition, sel ast.SelectionSet, st S, seen map[string]bool) {
	if def == nil {
		return
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if child, next, ok := w.field(def, s, st); ok {
				w.selections(child, s.SelectionSet, next, seen)
			}
		case *ast.InlineFragment:
			d := def
			if s.TypeCondition != "" {
				d = w.schema.Types[s.TypeCondition]
			}
			next := st
			if w.inline != nil {
				next = w.inline(s, st)
			}
			w.selections(d, s.SelectionSet, next, seen)
		case *ast.FragmentSpread:
			if w.doc == nil || seen[s.Name] {
				continue
			}
			frag := w.doc.Fragments.ForName(s.Name)
			if frag == nil {
				continue
			}
			next := maps.Clone(seen)
			if next == nil {
				next = map[string]bool{}
			}
			next[s.Name] = true
			w.selections(w.schema.Types[frag.TypeCondition], frag.SelectionSet, st, next)
		}
	}
}

// fieldType returns the definition of field f of parent and of the type it
// returns, or false when the schema knows either not.
func fieldType(schema *ast.Schema, parent *ast.Definition, f *ast.Field) (*ast.FieldDefinition, *ast.Definition, bool) {
	fdef := parent.Fields.ForName(f.Name)
	if fdef == nil {
		return nil, nil, false
	}
	child := schema.Types[fdef.Type.Name()]
	return fdef, child, child != nil
}
