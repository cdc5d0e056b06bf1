package graphql

import (
	"errors"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// maxCachedDocuments bounds the document cache; it is emptied when full.
const maxCachedDocuments = 256

// documents caches parsed and validated documents by their text, as
// clients such as githubv4 send the same document with new variables.
// Execution only reads a document, so one may serve concurrent requests.
type documents struct {
	mu sync.Mutex
	m  map[string]parsed
}

type parsed struct {
	doc  *ast.QueryDocument
	errs []apiError
}

// get returns the parsed document for query, or the errors that make it
// invalid, worded as GitHub words them.
func (d *documents) get(schema *ast.Schema, query string) (*ast.QueryDocument, []apiError) {
	d.mu.Lock()
	p, ok := d.m[query]
	d.mu.Unlock()
	if ok {
		return p.doc, p.errs
	}
	p = parse(schema, query)
	d.mu.Lock()
	if d.m == nil || len(d.m) >= maxCachedDocuments {
		d.m = make(map[string]parsed, maxCachedDocuments)
	}
	d.m[query] = p
	d.mu.Unlock()
	return p.doc, p.errs
}

func parse(schema *ast.Schema, query string) parsed {
	doc, perr := parser.ParseQuery(&ast.Source{Input: query})
	if perr != nil {
		e := apiError{Message: "Parse error: " + perr.Error()}
		var ge *gqlerror.Error
		if errors.As(perr, &ge) {
			e.Message = "Parse error: " + ge.Message
			for _, l := range ge.Locations {
				e.Locations = append(e.Locations, location{Line: l.Line, Column: l.Column})
			}
			if len(ge.Locations) > 0 {
				if msg := rubyParseError(query, ge.Locations[0].Line, ge.Locations[0].Column); msg != "" {
					e.Message = msg
				}
			}
		}
		return parsed{errs: []apiError{e}}
	}
	if errs := validate(schema, doc); len(errs) > 0 {
		return parsed{errs: errs}
	}
	return parsed{doc: doc}
}
