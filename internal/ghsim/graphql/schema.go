package graphql

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// schemaSDL is GitHub's public GraphQL schema as published by
// octokit/graphql-schema (MIT, "Copyright (c) GitHub 2025"), byte-identical
// to /work/shared/github-api/schema.graphql. It is embedded so that the
// standalone simulator validates documents without the shared directory.
//
//go:embed schema.graphql
var schemaSDL string

var (
	schemaOnce sync.Once
	schemaVal  *ast.Schema
	schemaErr  error
)

// Schema returns GitHub's GraphQL schema, loaded and validated once per
// process. gqlparser refuses the upstream file as shipped because two fields
// of EnterpriseOwnerInfo are defined twice, so repeated fields are dropped
// before validation.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		schemaVal, schemaErr = ParseSchema(schemaSDL)
	})
	return schemaVal, schemaErr
}

// ParseSchema parses and validates a copy of GitHub's schema SDL, dropping
// the fields the upstream file defines twice. Schema uses it on the embedded
// copy; the conformance validator on the one in ../shared.
func ParseSchema(sdl string) (*ast.Schema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("parsing GitHub schema: %w", err)
	}
	dedupe := func(defs ast.DefinitionList) {
		for _, def := range defs {
			seen := make(map[string]bool, len(def.Fields))
			kept := def.Fields[:0]
			for _, f := range def.Fields {
				if seen[f.Name] {
					continue
				}
				seen[f.Name] = true
				kept = append(kept, f)
			}
			def.Fields = kept
		}
	}
	dedupe(doc.Definitions)
	dedupe(doc.Extensions)
	s, gerr := validator.ValidateSchemaDocument(doc)
	if gerr != nil {
		return nil, fmt.Errorf("validating GitHub schema: %w", gerr)
	}
	return s, nil
}
