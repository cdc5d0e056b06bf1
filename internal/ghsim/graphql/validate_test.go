package graphql

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSchemaLoads(t *testing.T) {
	s, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Repository", "CreateCommitOnBranchInput", "Base64String", "RateLimit"} {
		if s.Types[name] == nil {
			t.Errorf("type %s missing from the schema", name)
		}
	}
	if f := s.Types["EnterpriseOwnerInfo"].Fields; len(f) == 0 {
		t.Error("EnterpriseOwnerInfo has no fields")
	} else {
		seen := map[string]bool{}
		for _, fd := range f {
			if seen[fd.Name] {
				t.Errorf("duplicate field %s survived", fd.Name)
			}
			seen[fd.Name] = true
		}
	}
}

// TestInvalidDocuments checks the shape GitHub gives validation errors:
// HTTP 200, no data, and graphql-ruby's messages and extensions.
func TestInvalidDocuments(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  []map[string]any
	}{
		{
			name:  "undefinedField",
			query: "query {\n  viewer { login nope }\n}",
			want: []map[string]any{{
				"path":       []any{"query", "viewer", "nope"},
				"extensions": map[string]any{"code": "undefinedField", "typeName": "User", "fieldName": "nope"},
				"locations":  []any{map[string]any{"line": 2.0, "column": 18.0}},
				"message":    "Field 'nope' doesn't exist on type 'User'",
			}},
		},
		{
			name:  "missingRequiredArguments",
			query: `query Q { repository(owner: "acme") { id } }`,
			want: []map[string]any{{
				"path":       []any{"query Q", "repository"},
				"extensions": map[string]any{"code": "missingRequiredArguments", "className": "Field", "name": "repository", "arguments": "name"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 11.0}},
				"message":    "Field 'repository' is missing required arguments: name",
			}},
		},
		{
			name:  "argumentLiteralsIncompatible",
			query: `{ repository(owner: "acme", name: 123) { id } }`,
			want: []map[string]any{{
				"path":       []any{"query", "repository"},
				"extensions": map[string]any{"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": "name"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 35.0}},
				"message":    "Argument 'name' on Field 'repository' has an invalid value (123). Expected type 'String!'.",
			}},
		},
		{
			name:  "variableMismatch",
			query: `query($n: Int!) { repository(owner: "acme", name: $n) { id } }`,
			vars:  map[string]any{"n": 1},
			want: []map[string]any{{
				"path":       []any{"query", "repository"},
				"extensions": map[string]any{"code": "variableMismatch", "variableName": "n", "typeName": "Int!", "argumentName": "name", "errorMessage": "Type mismatch"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 51.0}},
				"message":    "Type mismatch on variable $n and argument name (Int! / String!)",
			}},
		},
		{
			name:  "nullability mismatch",
			query: `query($n: String) { repository(owner: "acme", name: $n) { id } }`,
			want: []map[string]any{{
				"path":       []any{"query", "repository"},
				"extensions": map[string]any{"code": "variableMismatch", "variableName": "n", "typeName": "String", "argumentName": "name", "errorMessage": "Nullability mismatch"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 53.0}},
				"message":    "Nullability mismatch on variable $n and argument name (String / String!)",
			}},
		},
		{
			name:  "argumentNotAccepted",
			query: `{ viewer { login(x: 1) } }`,
			want: []map[string]any{{
				"path":       []any{"query", "viewer", "login"},
				"extensions": map[string]any{"code": "argumentNotAccepted", "name": "login", "typeName": "Field", "argumentName": "x"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 18.0}},
				"message":    "Field 'login' doesn't accept argument 'x'",
			}},
		},
		{
			name:  "selectionMismatch",
			query: `{ viewer }`,
			want: []map[string]any{{
				"path":       []any{"query", "viewer"},
				"extensions": map[string]any{"code": "selectionMismatch", "nodeName": "field 'viewer'", "typeName": "User"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 3.0}},
				"message":    "Field must have selections (field 'viewer' returns User but has no selections. Did you mean 'viewer { ... }'?)",
			}},
		},
		{
			name:  "field in inline fragment and alias",
			query: `{ r: repository(owner:"a", name:"b") { object(expression:"x") { ... on Blob { txt } } } }`,
			want: []map[string]any{{
				"path":       []any{"query", "r", "object", "... on Blob", "txt"},
				"extensions": map[string]any{"code": "undefinedField", "typeName": "Blob", "fieldName": "txt"},
				"locations":  []any{map[string]any{"line": 1.0, "column": 79.0}},
				"message":    "Field 'txt' doesn't exist on type 'Blob'",
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.query, tc.vars)
			if r.Data != nil || strings.Contains(string(r.raw), `"data"`) {
				t.Errorf("invalid document must have no data: %s", r.raw)
			}
			if diff := cmp.Diff(tc.want, r.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOtherRequestErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"no query", "", nil, "A query attribute must be specified and must be a string."},
		{"parse error", "{ viewer { login }", nil, "Unexpected end of document"},
		{"unused variable", "query($x: Int) { viewer { login } }", nil, `Variable $x is declared by anonymous query but not used`},
		{"undefined variable", "query Q { repository(owner: $o, name: \"x\") { id } }", nil, `Variable $o is used by Q but not declared`},
		{"unused fragment", "query { viewer { login } } fragment F on User { login }", nil, `Fragment F was defined, but not used`},
		{"unknown fragment", "query { viewer { ...G } }", nil, `Fragment G was used, but not defined`},
		{"other rules keep gqlparser's words", "query { viewer { login } } query { viewer { id } }", nil, `This anonymous operation must be the only defined operation.`},
		{"variable missing", `query($n: String!) { repository(owner:"acme", name:$n) { id } }`, nil, "Variable $n of type String! was provided invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.query, tc.vars)
			if len(r.Errors) == 0 || !strings.Contains(r.Errors[0]["message"].(string), tc.want) {
				t.Errorf("errors = %s, want a message containing %q", r.raw, tc.want)
			}
			if r.Data != nil {
				t.Errorf("data = %v, want none", r.Data)
			}
		})
	}
	status, body := e.post("t-writer", "", nil)
	if status != http.StatusOK {
		t.Errorf("empty query: status %d, want 200 (%s)", status, body)
	}
}

func TestPaginationBoundaries(t *testing.T) {
	e := newEnv(t)
	r := e.do(`{ repository(owner:"acme", name:"app") { labels { totalCount } } }`, nil)
	want := []map[string]any{{
		"type":      "MISSING_PAGINATION_BOUNDARIES",
		"path":      []any{"repository", "labels"},
		"locations": []any{map[string]any{"line": 1.0, "column": 42.0}},
		"message":   "You must provide a `first` or `last` value to properly paginate the `labels` connection.",
	}}
	if diff := cmp.Diff(want, r.Errors); diff != "" {
		t.Errorf("missing boundaries (-want +got):\n%s", diff)
	}
	r = e.do(`query($n: Int) { organization(login:"acme") { repositories(first: $n) { totalCount } } }`, map[string]any{"n": 101})
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "EXCESSIVE_PAGINATION" ||
		r.Errors[0]["message"] != "Requesting 101 records on the `repositories` connection exceeds the `first` limit of 100 records." {
		t.Errorf("excessive: %s", r.raw)
	}
	r = e.do(`{ organization(login:"acme") { repositories(last: 0) { totalCount } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "INVALID_PAGINATION" {
		t.Errorf("zero: %s", r.raw)
	}
	e.do(`{ organization(login:"acme") { repositories(first: 100) { totalCount } } }`, nil).ok(t)
}

func TestParseErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ query, want string }{
		{"{ viewer { login }", "Unexpected end of document"},
		{"{ viewer { login } } }", `Parse error on "}" (RCURLY) at [1, 22]`},
		{"query { repository(owner: ) { id } }", `Parse error on ")" (RPAREN) at [1, 27]`},
	}
	for _, tc := range tests {
		r := e.do(tc.query, nil)
		if r.Data != nil || len(r.Errors) != 1 || r.Errors[0]["message"] != tc.want {
			t.Errorf("%q: %s, want message %q", tc.query, r.raw, tc.want)
		}
	}
}

func TestDocumentCache(t *testing.T) {
	e := newEnv(t)
	for i := range 2 {
		if r := e.do(`{ viewer { nope } }`, nil); len(r.Errors) != 1 || r.Errors[0]["message"] != "Field 'nope' doesn't exist on type 'User'" {
			t.Errorf("invalid document, try %d: %s", i, r.raw)
		}
		q := `query($name: String!) { repository(owner: "acme", name: $name) { name } }`
		if got := e.do(q, map[string]any{"name": "app"}).ok(t).str(t, "repository", "name"); got != "app" {
			t.Errorf("try %d: name = %q", i, got)
		}
		if r := e.do(q, map[string]any{"name": "missing"}); r.get(t, "repository") != nil || len(r.Errors) != 1 {
			t.Errorf("try %d: missing: %s", i, r.raw)
		}
	}
	var d documents
	s, _ := Schema()
	for i := range maxCachedDocuments + 10 {
		if doc, errs := d.get(s, "{ viewer { login } }"+strings.Repeat(" ", i)); doc == nil || len(errs) > 0 {
			t.Fatalf("document %d: %v", i, errs)
		}
	}
	if len(d.m) > maxCachedDocuments {
		t.Errorf("cache holds %d documents, want at most %d", len(d.m), maxCachedDocuments)
	}
}
