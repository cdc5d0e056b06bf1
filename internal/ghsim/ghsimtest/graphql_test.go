package ghsimtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/testshared"
)

func requireGraphQL(t *testing.T) *GraphQLSchema {
	t.Helper()
	g, err := LoadGraphQL()
	if err != nil {
		testshared.Absent(t, err)
	}
	return g
}

func TestGraphQLValidateResponse(t *testing.T) {
	g := requireGraphQL(t)
	const oid = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
	repoQuery := `query($withURL: Boolean!) {
	  r0: repository(owner: "acme", name: "app") {
	    id nameWithOwner viewerPermission url @include(if: $withURL)
	    defaultBranchRef { name target { oid ... on Commit { message } } }
	    f0: object(expression: "HEAD:Dockerfile") { __typename ... on Blob { text isTruncated } }
	    ...Extra
	  }
	  r1: repository(owner: "acme", name: "gone") { id }
	  rateLimit { cost remaining resetAt }
	}
	fragment Extra on Repository { isArchived }`
	vars := map[string]any{"withURL": false}
	tests := []struct {
		name    string
		query   string
		vars    map[string]any
		body    string
		wantErr string // "" = valid
	}{
		{"viewer", `{viewer{login}}`, nil, `{"data":{"viewer":{"login":"admin"}}}`, ""},
		{"viewer with errors key null-free", `{viewer{login}}`, nil, `{"data":{"viewer":null},"errors":[{"message":"boom","type":"INTERNAL","path":["viewer"]}]}`, "null for non-null"},
		{"missing field", `{viewer{login id}}`, nil, `{"data":{"viewer":{"login":"admin"}}}`, "want [login id]"},
		{"extra field", `{viewer{login}}`, nil, `{"data":{"viewer":{"login":"admin","id":"U_1"}}}`, "want [login]"},
		{"selection order", `{viewer{login id}}`, nil, `{"data":{"viewer":{"id":"U_1","login":"admin"}}}`, "selection order"},
		{"alias", `{me: viewer{name: login}}`, nil, `{"data":{"me":{"name":"admin"}}}`, ""},
		{"full repository batch", repoQuery, vars, `{"data":{
			"r0":{"id":"R_1","nameWithOwner":"acme/app","viewerPermission":"ADMIN",
			  "defaultBranchRef":{"name":"main","target":{"oid":"` + oid + `","message":"init"}},
			  "f0":{"__typename":"Blob","text":"FROM alpine\n","isTruncated":false},
			  "isArchived":false},
			"r1":null,
			"rateLimit":{"cost":1,"remaining":4999,"resetAt":"2026-11-27T22:00:00Z"}},
			"errors":[{"type":"NOT_FOUND","path":["r1"],"locations":[{"line":8,"column":3}],"message":"Could not resolve to a Repository with the name 'acme/gone'."}]}`, ""},
		{"@include false keeps url out", repoQuery, vars, `{"data":{
			"r0":{"id":"R_1","nameWithOwner":"acme/app","viewerPermission":"ADMIN","url":"http://x/acme/app",
			  "defaultBranchRef":null,"f0":null,"isArchived":false},"r1":null,
			"rateLimit":{"cost":1,"remaining":4999,"resetAt":"2026-11-27T22:00:00Z"}}}`, "want [id nameWithOwner viewerPermission defaultBranchRef f0 isArchived]"},
		{"error path at a value", `{viewer{login} rateLimit{cost}}`, nil, `{"data":{"viewer":{"login":"a"},"rateLimit":{"cost":1}},"errors":[{"message":"m","path":["rateLimit"]}]}`, "points at a value"},
		{"error path through a null parent", `{repository(owner:"a",name:"b"){defaultBranchRef{name}}}`, nil, `{"data":{"repository":null},"errors":[{"message":"m","path":["repository","defaultBranchRef","name"]}]}`, ""},
		{"error path naming nothing", `{viewer{login}}`, nil, `{"data":{"viewer":{"login":"a"}},"errors":[{"message":"m","path":["nope"]}]}`, "names no field"},
		{"bad enum", `{repository(owner:"a",name:"b"){viewerPermission}}`, nil, `{"data":{"repository":{"viewerPermission":"OWNER"}}}`, "enum RepositoryPermission"},
		{"bad oid", `{repository(owner:"a",name:"b"){defaultBranchRef{target{oid}}}}`, nil, `{"data":{"repository":{"defaultBranchRef":{"target":{"oid":"HEAD"}}}}}`, "GitObjectID"},
		{"wrong __typename", `{repository(owner:"a",name:"b"){object(expression:"HEAD"){__typename}}}`, nil, `{"data":{"repository":{"object":{"__typename":"Repository"}}}}`, "not a possible type"},
		{"tree answered to a blob fragment", `{repository(owner:"a",name:"b"){object(expression:"HEAD:"){... on Blob{text}}}}`, nil, `{"data":{"repository":{"object":{}}}}`, ""},
		{"int as string", `{rateLimit{cost}}`, nil, `{"data":{"rateLimit":{"cost":"1"}}}`, "Int is a string"},
		{"list of objects", `{repository(owner:"a",name:"b"){labels(first:2){nodes{name}}}}`, nil, `{"data":{"repository":{"labels":{"nodes":[{"name":"x"},{"name":5}]}}}}`, "nodes[1].name"},
		{"invalid document, errors only", `{viewer{nope}}`, nil, `{"errors":[{"path":["query","viewer","nope"],"extensions":{"code":"undefinedField"},"locations":[{"line":1,"column":9}],"message":"Field 'nope' doesn't exist on type 'User'"}]}`, ""},
		{"invalid document answered with data", `{viewer{nope}}`, nil, `{"data":{"viewer":{}}}`, "answered with data"},
		{"error without message", `{viewer{login}}`, nil, `{"data":null,"errors":[{"type":"RATE_LIMITED"}]}`, "no string message"},
		{"rate limited", `{viewer{login}}`, nil, `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]}`, ""},
		{"nothing at all", `{viewer{login}}`, nil, `{}`, "no data and no errors"},
		{"mutation payload", `mutation($input: CreateRefInput!){createRef(input:$input){ref{name target{oid}}}}`, nil, `{"data":{"createRef":{"ref":{"name":"x","target":{"oid":"` + oid + `"}}}}}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := g.ValidateResponse(GraphQLRequest{Query: tc.query, Variables: tc.vars}, []byte(tc.body))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("ValidateResponse() = %v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("ValidateResponse() = nil, want an error about %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("ValidateResponse() = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

// BenchmarkGraphQLValidate checks the answer to a hydration document of 50
// repositories with 3 files each, the Action's largest document.
func BenchmarkGraphQLValidate(b *testing.B) {
	g, err := LoadGraphQL()
	if err != nil {
		testshared.Absent(b, err)
	}
	var q, d strings.Builder
	q.WriteString("query {")
	d.WriteString(`{"data":{`)
	for i := 0; i < 50; i++ {
		if i > 0 {
			d.WriteString(",")
		}
		fmt.Fprintf(&q, ` r%d: repository(owner: "acme", name: "svc%d") { id nameWithOwner isArchived defaultBranchRef { name target { oid } }`, i, i)
		fmt.Fprintf(&d, `"r%d":{"id":"R_%d","nameWithOwner":"acme/svc%d","isArchived":false,"defaultBranchRef":{"name":"main","target":{"oid":"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"}}`, i, i, i)
		for f := 0; f < 3; f++ {
			fmt.Fprintf(&q, ` f%d: object(expression: "HEAD:d%d/Dockerfile") { ... on Blob { text isBinary byteSize } }`, f, f)
			fmt.Fprintf(&d, `,"f%d":{"text":"FROM alpine\n","isBinary":false,"byteSize":12}`, f)
		}
		q.WriteString(" }")
		d.WriteString("}")
	}
	q.WriteString(" }")
	d.WriteString("}}")
	req := GraphQLRequest{Query: q.String()}
	body := []byte(d.String())
	if err := g.ValidateResponse(req, body); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := g.ValidateResponse(req, body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmbeddedSchemaIsShared checks that the simulator's embedded copy of
// GitHub's schema is the published file the validator reads, byte for byte,
// so the simulator cannot drift from what it is checked against.
func TestEmbeddedSchemaIsShared(t *testing.T) {
	shared, err := os.ReadFile(testshared.Require(t, SchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := os.ReadFile(filepath.Join("..", "graphql", "schema.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, embedded) {
		t.Errorf("internal/ghsim/graphql/schema.graphql (%d bytes) differs from the shared %s (%d bytes)", len(embedded), SchemaFile, len(shared))
	}
}
